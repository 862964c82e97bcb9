"""Opening the database leaves Xianfeng's own TIMEZONE setting alone."""

from __future__ import annotations

from tortoise import Tortoise

from models.db import init_db
from xianfeng.settings import Settings


async def test_opening_the_database_keeps_the_configured_zone(tmp_path, monkeypatch):
    # Tortoise writes TIMEZONE=UTC into the environment; a Settings() read afterwards
    # must still see the administrator's zone.
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    await init_db(f"sqlite://{tmp_path / 'x.sqlite3'}")
    try:
        assert Settings(_env_file=None).timezone == "Europe/Berlin"
    finally:
        await Tortoise.close_connections()


async def test_opening_the_database_adds_no_zone_when_none_was_set(tmp_path, monkeypatch):
    monkeypatch.delenv("TIMEZONE", raising=False)
    await init_db(f"sqlite://{tmp_path / 'x.sqlite3'}")
    try:
        assert Settings(_env_file=None).timezone == "Asia/Shanghai"
    finally:
        await Tortoise.close_connections()


async def test_planner_statistics_are_refreshed_on_sqlite(tmp_path):
    """The panel refreshes SQLite's statistics when it starts (ANALYZE): the planner then
    knows a pledge status matches many rows and a member id few."""
    from models.db import refresh_planner_statistics
    from models.org import OrgKind, create_org_unit

    await init_db(f"sqlite://{tmp_path / 'x.sqlite3'}")
    try:
        await create_org_unit("东风区委", OrgKind.DISTRICT)
        connection = Tortoise.get_connection("default")
        await refresh_planner_statistics()
        rows = await connection.execute_query_dict('SELECT "tbl" FROM "sqlite_stat1"')
        assert "org_unit" in {row["tbl"] for row in rows}
    finally:
        await Tortoise.close_connections()


def test_sqlite_datetimes_are_parsed_by_ciso8601():
    """Tortoise reads SQLite's datetime text with ciso8601 when it is installed (a dependency):
    the pure-Python fallback costs ~18 µs a value, a tenth of a list page's time."""
    import ciso8601
    from tortoise.fields import data

    assert data.parse_datetime is ciso8601.parse_datetime


async def test_stored_datetimes_read_back_equal(db):
    """Whatever the parser, a datetime written is the datetime read: with or without
    microseconds, in UTC or another offset."""
    from datetime import UTC, datetime, timedelta, timezone

    from models.members import Member
    from tests import factories

    tree = await factories.org_tree()
    member = await factories.member(tree.nanyuan_1)
    moments = [
        datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 8, 9, 30, 15, 5, tzinfo=timezone(timedelta(hours=8))),
    ]
    for when in moments:
        await Member.filter(id=member.id).update(created_at=when)
        assert (await Member.get(id=member.id)).created_at == when
        assert await Member.filter(id=member.id).values_list("created_at", flat=True) == [when]
