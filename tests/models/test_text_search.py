"""The trigram indexes of the pledge search (``models.text_search``): on SQLite each follows
every change of its rows, finds exactly what the plain LIKE search finds, comes with the
migrations, and is simply absent (the search stays a LIKE) where SQLite cannot build it; on
PostgreSQL the planner reads the plain search through it."""

from __future__ import annotations

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction
from tortoise.migrations.api import migrate

from models import text_search
from models.audit import Actor
from models.db import apply_migrations, init_db, tortoise_config
from models.members import Member
from models.pledges import ItemKind, PledgeItem, add_item, delete_item, pledge_for, update_item
from models.text import containing
from models.text_search import MEMBER_NAME, PLEDGE_ITEM_TEXT
from tests import factories
from tests.conftest import TEST_DATABASE

YEAR = 2026
BEFORE_THE_INDEX = "models.0007_list_sort_indexes"  # a migration target: 0008 reverted


async def pledge_ids_with_item_text(search: str, limit: int) -> list[int] | None:
    return await PLEDGE_ITEM_TEXT.matching(search, limit, select="pledge_id")


async def member_ids_named(search: str, limit: int) -> list[int] | None:
    return await MEMBER_NAME.matching(search, limit, select="id")


sqlite_only = pytest.mark.skipif(
    TEST_DATABASE != "sqlite", reason="SQLite's FTS5 index (PostgreSQL's serves the LIKE: see the test below)"
)

TEXTS = (
    "每月为居民服务一次",
    "清理楼道，打扫卫生",
    "Visit Mrs. Wang every WEEK",
    "visit the old people's home",
    '为"困难户"送温暖',
    "完成率 100% 以上",
    "a_b test",
    "axb test",
    "star*burst  two spaces",
    "Привет соседям",
)

# Each against the plain search: Chinese, mixed-case Latin, FTS5 query syntax that must stay
# text, LIKE wildcards that must stay text, double spaces, non-ASCII letter case (LIKE tells
# it apart), searches found nowhere, and the 1-2 character searches that use LIKE anyway.
SEARCHES = (
    "居民服务", "楼道", "打扫卫生", "visit", "VISIT MRS", "wEeK", "OLD PEOPLE'S",
    '"困难户"', '"困难', '困难户"', "100%", "0% 以", "a_b", "_b ", "r*b", "star*", "* ",
    "two  spaces", "o  s", "AND", "NOT visit", "(楼道)", "wang:", "привет", "ПРИВЕТ",
    "没有这个", "zzz", "楼", "楼道 ", "%", "_", "ab", "a_", '"', '""', "%%%", "___",
)


async def _items_with_texts(org, texts=TEXTS) -> tuple[Actor, list[PledgeItem]]:
    """``texts`` as items in that order, five to a pledge (a pledge holds a few); the actor
    is the first pledge's member."""
    items, actors = [], []
    for start in range(0, len(texts), 5):
        member = await factories.member(org.nanyuan_1, f"党员{start}")
        actors.append(Actor(member=member))
        pledge = await pledge_for(member, YEAR, actors[-1])
        for text in texts[start:start + 5]:
            items.append(await add_item(pledge, ItemKind.DUTY, text, actors[-1]))
    return actors[0], items


async def _like_pledge_ids(search: str) -> list[int]:
    """What the plain search (the path without the index) finds, in the same order."""
    return list(await PledgeItem.filter(containing("text", search)).order_by("id").values_list(
        "pledge_id", flat=True))


async def _indexed_item_ids(search: str) -> list[int]:
    """Item ids the index alone finds for ``search`` (no LIKE check after it)."""
    rows = await Tortoise.get_connection("default").execute_query_dict(
        f"SELECT rowid FROM {PLEDGE_ITEM_TEXT.fts_table} WHERE {PLEDGE_ITEM_TEXT.fts_table} MATCH ? ORDER BY rowid",
        ['"' + search.replace('"', '""') + '"'])
    return [row["rowid"] for row in rows]


async def _index_table_exists() -> bool:
    rows = await Tortoise.get_connection("default").execute_query_dict(
        "SELECT name FROM sqlite_master WHERE name = ?", [PLEDGE_ITEM_TEXT.fts_table])
    return bool(rows)


@sqlite_only
async def test_the_index_follows_inserts_edits_and_deletes(org):
    me, items = await _items_with_texts(org, ("清理楼道", "看望老人"))
    cleaning, visiting = items
    assert await _indexed_item_ids("理楼道") == [cleaning.id]

    await update_item(cleaning, "打扫楼梯", me)
    assert await _indexed_item_ids("理楼道") == []
    assert await _indexed_item_ids("打扫楼") == [cleaning.id]

    await add_item(await cleaning.pledge, ItemKind.PRACTICAL, "看望老人和楼道照明", me)
    [lighting] = await PledgeItem.filter(text="看望老人和楼道照明")
    assert await _indexed_item_ids("看望老人") == [visiting.id, lighting.id]

    await delete_item(visiting, me)
    assert await _indexed_item_ids("看望老人") == [lighting.id]

    # A pledge's items go with it (the foreign key's cascade): out of the index too.
    await (await lighting.pledge).delete()
    assert await PledgeItem.all().count() == 0
    assert await _indexed_item_ids("打扫楼") == await _indexed_item_ids("看望老人") == []
    await Tortoise.get_connection("default").execute_query(
        f"INSERT INTO {PLEDGE_ITEM_TEXT.fts_table}({PLEDGE_ITEM_TEXT.fts_table}) VALUES ('integrity-check')")


@sqlite_only
@pytest.mark.parametrize("search", SEARCHES)
async def test_the_indexed_search_finds_what_like_finds(org, search):
    await _items_with_texts(org)
    found = await pledge_ids_with_item_text(search, 1000)
    if len(search) < text_search.TRIGRAM:
        assert found is None  # no trigram in it: the caller uses LIKE
    else:
        assert found == await _like_pledge_ids(search)


@sqlite_only
async def test_a_nul_character_is_searched_with_like(org):
    """FTS5 ends a query string at a NUL (a syntax error): such a search takes the LIKE."""
    from admin.views.pledges import _items_containing

    await _items_with_texts(org)
    assert await pledge_ids_with_item_text("居民\x00服务", 10) is None
    assert await _items_containing("居民\x00服务") is None


@sqlite_only
async def test_letter_case_beyond_ascii_is_left_to_like(org):
    """The trigram tokenizer folds the case of every script, SQLite's LIKE only of ASCII
    letters: the index finds "Привет" for "ПРИВЕТ", the search does not, as before."""
    _, items = await _items_with_texts(org)
    assert await _indexed_item_ids("ПРИВЕТ") == [items[-1].id]
    assert await pledge_ids_with_item_text("ПРИВЕТ", 10) == await _like_pledge_ids("ПРИВЕТ") == []
    assert await pledge_ids_with_item_text("Привет", 10) == [items[-1].pledge_id]


@sqlite_only
async def test_the_search_stops_at_the_limit_in_item_order(org):
    me, items = await _items_with_texts(org, [f"第{n}次服务居民" for n in range(8)])
    assert await pledge_ids_with_item_text("服务居民", 3) == [item.pledge_id for item in items[:3]]
    assert await pledge_ids_with_item_text("服务居民", 3) == (await _like_pledge_ids("服务居民"))[:3]


@sqlite_only
async def test_without_the_index_the_search_is_like(org):
    """A database whose SQLite could not build the index (simulated by dropping it): the
    search says it cannot answer, and the pledge list finds the same pledges by LIKE."""
    from admin.views.pledges import _items_containing

    await _items_with_texts(org)
    with_index = await _items_containing("居民服务")
    assert await PLEDGE_ITEM_TEXT.present(Tortoise.get_connection("default"))

    await PLEDGE_ITEM_TEXT.drop(Tortoise.get_connection("default"))
    assert not await _index_table_exists()
    assert not await PLEDGE_ITEM_TEXT.present(Tortoise.get_connection("default"))
    assert await pledge_ids_with_item_text("居民服务", 10) is None
    assert await _items_containing("居民服务") == with_index
    # Items keep being written without the index's triggers.
    await PledgeItem.create(pledge_id=(await PledgeItem.first()).pledge_id, kind=ItemKind.DUTY,
                            text="居民服务二")
    assert len(await _like_pledge_ids("居民服务")) == 2


async def test_on_postgres_the_index_serves_the_like_search(org):
    """PostgreSQL's index is a pg_trgm GIN index on the plain search's own expression: the
    search stays the LIKE it was, and the planner reads it through the index."""
    if TEST_DATABASE != "postgres":
        pytest.skip("the PostgreSQL pass (TEST_DATABASE=postgres) checks this")
    await _items_with_texts(org)
    client = Tortoise.get_connection("default")
    assert await PLEDGE_ITEM_TEXT.present(client)
    assert await pledge_ids_with_item_text("居民服务", 10) is None
    sql = PledgeItem.filter(containing("text", "居民服务")).values("pledge_id").sql(params_inline=True)
    async with in_transaction() as connection:
        await connection.execute_script("SET LOCAL enable_seqscan = off")  # a table of a few rows
        plan = await connection.execute_query_dict(f"EXPLAIN {sql}")
    assert PLEDGE_ITEM_TEXT.postgres_index in "\n".join(row["QUERY PLAN"] for row in plan)


NAMES = ("王秀英", "欧阳秀英", "Li Xiuying", "LI MING", "张三", "王秀")


async def _like_member_ids(search: str) -> list[int]:
    return list(await Member.filter(containing("name", search)).order_by("id").values_list("id", flat=True))


@sqlite_only
@pytest.mark.parametrize("search", ("秀英", "王秀英", "阳秀英", "li x", "LI MING", "i m", "没有这人", "王"))
async def test_the_member_name_index_finds_what_like_finds(org, search):
    for name in NAMES:
        await factories.member(org.nanyuan_1, name)
    found = await member_ids_named(search, 1000)
    if len(search) < text_search.TRIGRAM:
        assert found is None  # two-character names are searched with LIKE
    else:
        assert found == await _like_member_ids(search)


@sqlite_only
async def test_the_member_name_index_follows_new_renamed_and_deleted_members(org):
    member = await factories.member(org.nanyuan_1, "王秀英")
    assert await member_ids_named("王秀英", 10) == [member.id]
    member.name = "王建英"
    await member.save(update_fields=["name"])
    assert await member_ids_named("王秀英", 10) == []
    assert await member_ids_named("王建英", 10) == [member.id]
    await member.delete()
    assert await member_ids_named("王建英", 10) == []
    await Tortoise.get_connection("default").execute_query(
        f"INSERT INTO {MEMBER_NAME.fts_table}({MEMBER_NAME.fts_table}) VALUES ('integrity-check')")


async def test_on_postgres_the_member_name_index_serves_the_like_search(org):
    if TEST_DATABASE != "postgres":
        pytest.skip("the PostgreSQL pass (TEST_DATABASE=postgres) checks this")
    await factories.member(org.nanyuan_1, "王秀英")
    assert await MEMBER_NAME.present(Tortoise.get_connection("default"))
    assert await member_ids_named("王秀英", 10) is None
    sql = Member.filter(containing("name", "王秀英")).values("id").sql(params_inline=True)
    async with in_transaction() as connection:
        await connection.execute_script("SET LOCAL enable_seqscan = off")
        plan = await connection.execute_query_dict(f"EXPLAIN {sql}")
    assert MEMBER_NAME.postgres_index in "\n".join(row["QUERY PLAN"] for row in plan)


async def _migrated(url: str) -> None:
    await apply_migrations(url)
    await init_db(url, run_migrations=False)


async def test_the_migration_creates_the_index_and_its_reverse_drops_it(tmp_path):
    url = f"sqlite://{tmp_path / 'migrated.sqlite3'}"
    await _migrated(url)
    try:
        org = await factories.org_tree()
        _, items = await _items_with_texts(org)
        assert await PLEDGE_ITEM_TEXT.present(Tortoise.get_connection("default"))
        assert await MEMBER_NAME.present(Tortoise.get_connection("default"))
        assert await pledge_ids_with_item_text("visit", 10) == await _like_pledge_ids("visit")
        assert len(await _like_pledge_ids("visit")) == 2
    finally:
        await Tortoise.close_connections()

    await migrate(config=tortoise_config(url), target=BEFORE_THE_INDEX)
    await Tortoise.close_connections()
    await init_db(url, run_migrations=False)
    try:
        assert not await _index_table_exists()
        assert await pledge_ids_with_item_text("visit", 10) is None
        triggers = await Tortoise.get_connection("default").execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert triggers == []
    finally:
        await Tortoise.close_connections()

    # Applied again on a database with items: they are indexed ('rebuild').
    await _migrated(url)
    try:
        assert await _indexed_item_ids("visit") == [items[2].id, items[3].id]
    finally:
        await Tortoise.close_connections()


async def test_the_migration_skips_the_index_where_sqlite_has_no_trigram(tmp_path, monkeypatch):
    async def unavailable(client):
        return False

    monkeypatch.setattr(text_search, "trigram_tokenizer_available", unavailable)
    url = f"sqlite://{tmp_path / 'old_sqlite.sqlite3'}"
    await _migrated(url)
    try:
        assert not await _index_table_exists()
        org = await factories.org_tree()
        await _items_with_texts(org)
        assert await pledge_ids_with_item_text("visit", 10) is None
    finally:
        await Tortoise.close_connections()


async def test_this_sqlite_has_the_trigram_tokenizer(tmp_path):
    """Not a rule of the product (it copes without): a guard that the tests above ran the
    indexed path, which needs SQLite 3.34 or later built with FTS5."""
    await init_db(f"sqlite://{tmp_path / 'probe.sqlite3'}", run_migrations=False)
    try:
        assert await text_search.trigram_tokenizer_available(Tortoise.get_connection("default"))
    finally:
        await Tortoise.close_connections()


async def test_the_migration_applies_and_reverts_on_postgres(fresh_postgres_url):
    async def index_present() -> bool:
        await init_db(fresh_postgres_url, run_migrations=False)
        try:
            client = Tortoise.get_connection("default")
            return await PLEDGE_ITEM_TEXT.present(client) and await MEMBER_NAME.present(client)
        finally:
            await Tortoise.close_connections()

    await apply_migrations(fresh_postgres_url)
    assert await index_present()
    await migrate(config=tortoise_config(fresh_postgres_url), target=BEFORE_THE_INDEX)
    await Tortoise.close_connections()
    assert not await index_present()
    await apply_migrations(fresh_postgres_url)
    assert await index_present()
