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
