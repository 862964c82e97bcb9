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
