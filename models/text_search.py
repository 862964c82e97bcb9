"""The pledge search's text indexes: pledge item texts and member names.

A search for a part of a word (``LIKE '%…%'``) cannot use an ordinary index: it reads every
row's text (100k item texts: about 14 ms on SQLite, 50 ms on PostgreSQL) on every page of a
search. Both databases can index every three characters of a text (trigrams), so that a
substring of three or more characters is found without reading the rest, in any script.
A ``TrigramIndex`` is that index for one column:

- SQLite: an FTS5 table with the ``trigram`` tokenizer, external content over the column (it
  stores no copy of the texts, only the trigrams), kept current by triggers on the table.
  The search asks it first (``TrigramIndex.condition``, which the pledge list's search uses).
- PostgreSQL: a GIN index with ``pg_trgm`` on the very expression the plain search compares
  (``UPPER(CAST(column AS VARCHAR))``, ``icontains``), so the planner uses it for that search
  as it is. ``pg_trgm`` comes with PostgreSQL and is a trusted extension (13 and later): a
  user who may create objects in the database may add it. Where it may not, or where it is
  missing, there is no index and the search reads every text, as before.

Migrations create them (0008 the items', 0010 the names'); the test suite, which builds its
schema from the models rather than the migrations, creates them through ``create`` too.

Without an index (a SQLite before 3.34, PostgreSQL without ``pg_trgm``) and for searches
of one or two characters (no trigram in them), the search stays the plain ``LIKE``
(``models.text.containing``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import OperationalError
from tortoise.expressions import Q, Subquery
from tortoise.filters import escape_like
from tortoise.queryset import QuerySet

from models.text import containing

TRIGRAM = 3  # characters in a trigram: shorter searches cannot be looked up in the index
MATCHES_LISTED = 500  # ids a search condition passes on as they are (see ``TrigramIndex.condition``)

# PostgreSQL: installed already, or installable by this user (a failed CREATE EXTENSION would
# abort the migration's transaction, so it is only tried when it will work).
_POSTGRES_TRIGRAMS_AT_HAND = (
    "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') "
    "OR (EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') "
    "AND ((SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
    "OR (current_setting('server_version_num')::int >= 130000 "
    "AND has_database_privilege(current_database(), 'CREATE')))) AS at_hand"
)

# Whether each open connection's database has each index: looked up once per connection (a
# process may open several, as the test suite does), forgotten when the connection goes.
_present: WeakKeyDictionary[BaseDBAsyncClient, dict[str, bool]] = WeakKeyDictionary()


def _is_sqlite(client: BaseDBAsyncClient) -> bool:
    return client.capabilities.dialect == "sqlite"


async def trigram_tokenizer_available(client: BaseDBAsyncClient) -> bool:
    """Whether this SQLite has FTS5 with the trigram tokenizer (3.34 and later, when built
    with FTS5): tried on a throwaway table in the connection's temporary schema."""
    probe = "temp.xianfeng_trigram_probe"
    try:
        await client.execute_query(
            f"CREATE VIRTUAL TABLE {probe} USING fts5(text, tokenize='trigram')")
    except (OperationalError, sqlite3.OperationalError):
        return False
    await client.execute_query(f"DROP TABLE {probe}")
    return True


@dataclass(frozen=True)
class TrigramIndex:
    """The trigram index of one text column: ``<table>_fts`` on SQLite, ``<table>_<column>_trgm``
    on PostgreSQL."""

    table: str
    column: str

    @property
    def fts_table(self) -> str:
        return f"{self.table}_fts"

    @property
    def postgres_index(self) -> str:
        return f"{self.table}_{self.column}_trgm"

    def _sqlite_create(self) -> tuple[str, ...]:
        # The standard external-content pattern of the FTS5 documentation (section 4.4.3):
        # the index holds what the table holds, as long as every change goes through these.
        fts, table, column = self.fts_table, self.table, self.column
        return (
            f"CREATE VIRTUAL TABLE {fts} USING fts5("
            f"{column}, content='{table}', content_rowid='id', tokenize='trigram')",
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END",
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
            # The rows written before the index existed.
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        )

    def _drop(self, client: BaseDBAsyncClient) -> tuple[str, ...]:
        if not _is_sqlite(client):
            return (f"DROP INDEX IF EXISTS {self.postgres_index}",)
        fts = self.fts_table
        return (f"DROP TRIGGER IF EXISTS {fts}_insert", f"DROP TRIGGER IF EXISTS {fts}_delete",
                f"DROP TRIGGER IF EXISTS {fts}_update", f"DROP TABLE IF EXISTS {fts}")

    async def create(self, client: BaseDBAsyncClient) -> bool:
        """Create the index (and on SQLite fill it from the rows there are); True when done.
        False, changing nothing, where the database cannot have it: the search stays a LIKE
        there. Statement by statement, never ``executescript``: that would commit the
        migration's transaction half-way.
        """
        if _is_sqlite(client):
            if not await trigram_tokenizer_available(client):
                return False
            statements = self._sqlite_create()
        else:
            [row] = await client.execute_query_dict(_POSTGRES_TRIGRAMS_AT_HAND)
            if not row["at_hand"]:
                return False
            # The expression of Tortoise's ``icontains`` (models.text.containing).
            statements = (
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                f"CREATE INDEX IF NOT EXISTS {self.postgres_index} ON {self.table} "
                f"USING gin ((UPPER(CAST({self.column} AS VARCHAR))) gin_trgm_ops)",
            )
        for statement in statements:
            await client.execute_query(statement)
        _present.pop(client, None)
        return True

    async def drop(self, client: BaseDBAsyncClient) -> None:
        """Remove the index (and its triggers): a migration's reverse. PostgreSQL keeps the
        ``pg_trgm`` extension, which other indexes may use."""
        for statement in self._drop(client):
            await client.execute_query(statement)
        _present.pop(client, None)

    async def present(self, client: BaseDBAsyncClient) -> bool:
        """Whether ``client``'s database has the index, remembered per connection."""
        known = _present.setdefault(client, {})
        if self.fts_table not in known:
            if _is_sqlite(client):
                rows = await client.execute_query_dict(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [self.fts_table])
            else:
                rows = await client.execute_query_dict(
                    "SELECT 1 FROM pg_indexes WHERE indexname = $1", [self.postgres_index])
            known[self.fts_table] = bool(rows)
        return known[self.fts_table]

    async def matching(self, search: str, limit: int, select: str) -> list[int] | None:
        """``select`` of the first ``limit`` rows (in id order) whose column contains
        ``search`` as the plain search means it (``models.text.containing``).

        None when the FTS5 index cannot answer (no index, fewer than three characters, a
        NUL character, which ends an FTS5 query string early) and on PostgreSQL, whose index
        serves the LIKE itself: the caller searches with LIKE.
        """
        if len(search) < TRIGRAM or "\x00" in search:
            return None
        client = Tortoise.get_connection("default")
        if not _is_sqlite(client) or not await self.present(client):
            return None
        # The index answers a phrase query; the LIKE of the plain search then checks each
        # match, so the result is exactly the plain search's. (The trigram tokenizer folds
        # the case of every script, LIKE only of ASCII letters.) FTS5 hands out its rows in
        # rowid (= id) order and stops at the LIMIT: a common word reads no more of the
        # index than a page needs.
        fts = self.fts_table
        rows = await client.execute_query(
            f"SELECT found.{select} FROM {fts} JOIN {self.table} AS found ON found.id = {fts}.rowid "
            f"WHERE {fts} MATCH ? AND found.{self.column} LIKE ? ESCAPE '\\' "
            f"ORDER BY {fts}.rowid LIMIT ?",
            [_phrase(search), f"%{escape_like(search)}%", limit])
        return [row[0] for row in rows[1]]

    async def condition(self, rows: QuerySet, select: str, field: str, search: str) -> Q | None:
        """``field`` among ``select`` of the ``rows`` whose column contains ``search``, found
        once, so that a page and its count do not read every text again: found through the
        index where it can answer, else by the plain search in id order (no sort, and a common
        word stops the read early). Up to ``MATCHES_LISTED`` matches are passed on as ids, more
        (a common word) as the search itself in a subquery. None when nothing matches.
        """
        matching = rows.filter(containing(self.column, search))
        found = await self.matching(search, MATCHES_LISTED + 1, select)
        if found is None:
            found = await matching.order_by("id").limit(MATCHES_LISTED + 1).values_list(select, flat=True)
        if not found:
            return None
        if len(found) <= MATCHES_LISTED:
            return Q(**{f"{field}__in": sorted(set(found))})
        return Q(**{f"{field}__in": Subquery(matching.values(select))})


PLEDGE_ITEM_TEXT = TrigramIndex("pledge_item", "text")
MEMBER_NAME = TrigramIndex("member", "name")


def _phrase(search: str) -> str:
    """``search`` as one FTS5 phrase: in double quotes, any inside doubled, so that nothing
    in it (``*``, ``-``, ``AND``, ``:``, brackets) is read as query syntax."""
    return '"' + search.replace('"', '""') + '"'
