"""Searching pledge items by their text through an index, on SQLite.

A search for a part of a word (``LIKE '%…%'``) cannot use an ordinary index: it reads every
item's text, about 14 ms per 100k items, on every page of a search. SQLite's FTS5 with the
``trigram`` tokenizer indexes every three characters of a text, so a substring of three or
more characters is found through the index, in whatever script, without reading the rest.

The index is an external-content table over ``pledge_item.text`` (it stores no copy of the
texts, only the trigrams), kept current by triggers on the item table. The migration creates
it on SQLite (``0008_pledge_item_text_index``); the test suite, which builds its schema from
the models rather than the migrations, creates it through ``create_item_text_index`` too.

Where it cannot help, the search stays the plain ``LIKE`` (``models.text.containing``): on
PostgreSQL, on a SQLite too old for the trigram tokenizer (before 3.34, the index is then
never created), and for searches of one or two characters (no trigram in them).
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
    """Create the item-text index and fill it from the items there are; True when done.

    False, changing nothing, on PostgreSQL (its search needs no index: the lists filter
    first) and on a SQLite without the trigram tokenizer: the search stays a LIKE there.
    Statement by statement, never ``executescript``: that would commit the migration's
    transaction half-way.
    """
    if not _is_sqlite(client) or not await trigram_tokenizer_available(client):
        return False
    for statement in _CREATE:
        await client.execute_query(statement)
    _index_present.pop(client, None)
    return True


async def drop_item_text_index(client: BaseDBAsyncClient) -> None:
    """Remove the index and its triggers (the reverse of the migration); nothing to do on
    PostgreSQL or where it was never created."""
    if not _is_sqlite(client):
        return
    for statement in _DROP:
        await client.execute_query(statement)
    _index_present.pop(client, None)


async def has_item_text_index(client: BaseDBAsyncClient) -> bool:
    """Whether ``client``'s database has the index (SQLite only), remembered per connection."""
    if not _is_sqlite(client):
        return False
    present = _index_present.get(client)
    if present is None:
        rows = await client.execute_query_dict(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [ITEM_TEXT_INDEX])
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

    None when the index cannot answer (PostgreSQL, no index, fewer than three characters, a
    NUL character, which ends an FTS5 query string early): the caller searches with LIKE.
    """
    if len(search) < TRIGRAM or "\x00" in search:
        return None
    client = Tortoise.get_connection("default")
    if not await has_item_text_index(client):
        return None
    rows = await client.execute_query_dict(
        _MATCHING_PLEDGE_IDS, [_phrase(search), f"%{escape_like(search)}%", limit])
    return [row["pledge_id"] for row in rows]
