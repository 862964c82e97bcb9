"""Searching pledge items by their text through an index.

A search for a part of a word (``LIKE '%…%'``) cannot use an ordinary index: it reads every
item's text, about 14 ms per 100k items on SQLite and 50 ms on PostgreSQL, on every page of
a search. Both databases can index every three characters of a text (trigrams), so that a
substring of three or more characters is found without reading the rest, in any script:

- SQLite: an FTS5 table with the ``trigram`` tokenizer, external content over
  ``pledge_item.text`` (it stores no copy of the texts, only the trigrams), kept current by
  triggers on the item table. The search asks it first (``pledge_ids_with_item_text``).
- PostgreSQL: a GIN index with ``pg_trgm`` on the very expression the plain search compares
  (``UPPER(CAST(text AS VARCHAR))``, ``icontains``), so the planner uses it for that search
  as it is. ``pg_trgm`` comes with PostgreSQL and is a trusted extension (13 and later): a
  user who may create objects in the database may add it. Where it may not, or where it is
  missing, there is no index and the search reads every text, as before.

The migration creates the index (``0008_pledge_item_text_index``); the test suite, which
builds its schema from the models rather than the migrations, creates it through
``create_item_text_index`` too.

Without the index (a SQLite before 3.34, PostgreSQL without ``pg_trgm``) and for searches
of one or two characters (no trigram in them), the search stays the plain ``LIKE``
(``models.text.containing``).
"""

from __future__ import annotations

import sqlite3
from weakref import WeakKeyDictionary

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import OperationalError
from tortoise.filters import escape_like

ITEM_TEXT_INDEX = "pledge_item_fts"
TRIGRAM = 3  # characters in a trigram: shorter searches cannot be looked up in the index

# The standard external-content pattern of the FTS5 documentation (section 4.4.3): the index
# holds what the item table holds, as long as every change of a text goes through these.
_CREATE = (
    f"CREATE VIRTUAL TABLE {ITEM_TEXT_INDEX} USING fts5("
    "text, content='pledge_item', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {ITEM_TEXT_INDEX}_insert AFTER INSERT ON pledge_item BEGIN "
    f"INSERT INTO {ITEM_TEXT_INDEX}(rowid, text) VALUES (new.id, new.text); END",
    f"CREATE TRIGGER {ITEM_TEXT_INDEX}_delete AFTER DELETE ON pledge_item BEGIN "
    f"INSERT INTO {ITEM_TEXT_INDEX}({ITEM_TEXT_INDEX}, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    f"CREATE TRIGGER {ITEM_TEXT_INDEX}_update AFTER UPDATE OF text ON pledge_item BEGIN "
    f"INSERT INTO {ITEM_TEXT_INDEX}({ITEM_TEXT_INDEX}, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    f"INSERT INTO {ITEM_TEXT_INDEX}(rowid, text) VALUES (new.id, new.text); END",
    # The items written before the index existed.
    f"INSERT INTO {ITEM_TEXT_INDEX}({ITEM_TEXT_INDEX}) VALUES ('rebuild')",
)
# PostgreSQL: the expression of Tortoise's ``icontains`` (models.text.containing).
POSTGRES_ITEM_TEXT_INDEX = "pledge_item_text_trgm"
_POSTGRES_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS {POSTGRES_ITEM_TEXT_INDEX} ON pledge_item "
    "USING gin ((UPPER(CAST(text AS VARCHAR))) gin_trgm_ops)",
)
# Installed already, or installable by this user: a failed CREATE EXTENSION would abort the
# migration's transaction, so it is only tried when it will work.
_POSTGRES_TRIGRAMS_AT_HAND = (
    "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') "
    "OR (EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') "
    "AND ((SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
    "OR (current_setting('server_version_num')::int >= 130000 "
    "AND has_database_privilege(current_database(), 'CREATE')))) AS at_hand"
)

_DROP = (
    f"DROP TRIGGER IF EXISTS {ITEM_TEXT_INDEX}_insert",
    f"DROP TRIGGER IF EXISTS {ITEM_TEXT_INDEX}_delete",
    f"DROP TRIGGER IF EXISTS {ITEM_TEXT_INDEX}_update",
    f"DROP TABLE IF EXISTS {ITEM_TEXT_INDEX}",
)

# The index answers a phrase query; the LIKE of the plain search then checks each match, so
# the result is exactly the plain search's. (The trigram tokenizer folds the case of every
# script, LIKE only of ASCII letters: "ПРИВЕТ" finds "привет" in the index but not by LIKE.)
# FTS5 hands out its rows in rowid (= item id) order and stops at the LIMIT: a common word
# reads no more of the index than a page needs.
_MATCHING_PLEDGE_IDS = (
    f"SELECT item.pledge_id FROM {ITEM_TEXT_INDEX} "
    f"JOIN pledge_item AS item ON item.id = {ITEM_TEXT_INDEX}.rowid "
    f"WHERE {ITEM_TEXT_INDEX} MATCH ? AND item.text LIKE ? ESCAPE '\\' "
    f"ORDER BY {ITEM_TEXT_INDEX}.rowid LIMIT ?"
)

# Whether each open connection's database has the index: looked up once per connection (a
# process may open several, as the test suite does), forgotten when the connection goes.
_index_present: WeakKeyDictionary[BaseDBAsyncClient, bool] = WeakKeyDictionary()


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


async def create_item_text_index(client: BaseDBAsyncClient) -> bool:
    """Create the item-text index (and on SQLite fill it from the items there are); True
    when done. False, changing nothing, where the database cannot have it: the search
    stays a LIKE there. Statement by statement, never ``executescript``: that would commit
    the migration's transaction half-way.
    """
    if _is_sqlite(client):
        if not await trigram_tokenizer_available(client):
            return False
        statements = _CREATE
    else:
        [row] = await client.execute_query_dict(_POSTGRES_TRIGRAMS_AT_HAND)
        if not row["at_hand"]:
            return False
        statements = _POSTGRES_CREATE
    for statement in statements:
        await client.execute_query(statement)
    _index_present.pop(client, None)
    return True


async def drop_item_text_index(client: BaseDBAsyncClient) -> None:
    """Remove the index (and its triggers): the reverse of the migration. PostgreSQL keeps
    the ``pg_trgm`` extension, which other indexes may use."""
    statements = _DROP if _is_sqlite(client) else (f"DROP INDEX IF EXISTS {POSTGRES_ITEM_TEXT_INDEX}",)
    for statement in statements:
        await client.execute_query(statement)
    _index_present.pop(client, None)


async def has_item_text_index(client: BaseDBAsyncClient) -> bool:
    """Whether ``client``'s database has the index, remembered per connection."""
    present = _index_present.get(client)
    if present is None:
        if _is_sqlite(client):
            rows = await client.execute_query_dict(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [ITEM_TEXT_INDEX])
        else:
            rows = await client.execute_query_dict(
                "SELECT 1 FROM pg_indexes WHERE indexname = $1", [POSTGRES_ITEM_TEXT_INDEX])
        present = _index_present[client] = bool(rows)
    return present


def _phrase(search: str) -> str:
    """``search`` as one FTS5 phrase: in double quotes, any inside doubled, so that nothing
    in it (``*``, ``-``, ``AND``, ``:``, brackets) is read as query syntax."""
    return '"' + search.replace('"', '""') + '"'


async def pledge_ids_with_item_text(search: str, limit: int) -> list[int] | None:
    """The pledge ids of the first ``limit`` items (in id order) whose text contains
    ``search`` as the plain search means it (``models.text.containing``): a pledge id once
    per matching item.

    None when the FTS5 index cannot answer (no index, fewer than three characters, a NUL
    character, which ends an FTS5 query string early) and on PostgreSQL, whose index serves
    the LIKE itself: the caller searches with LIKE.
    """
    if len(search) < TRIGRAM or "\x00" in search:
        return None
    client = Tortoise.get_connection("default")
    if not _is_sqlite(client) or not await has_item_text_index(client):
        return None
    rows = await client.execute_query_dict(
        _MATCHING_PLEDGE_IDS, [_phrase(search), f"%{escape_like(search)}%", limit])
    return [row["pledge_id"] for row in rows]
