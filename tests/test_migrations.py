"""The built-in migrations create the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from models.admins import AdminUser
from models.db import apply_migrations, init_db, open_tortoise, tortoise_config
from models.org import OrgUnit


async def assert_migrated_schema_works(url: str) -> None:
    await apply_migrations(url)
    await apply_migrations(url)  # a second run is a no-op
    await init_db(url, run_migrations=False)
    try:
        assert await OrgUnit.all().count() == 0
        assert await AdminUser.all().count() == 0
    finally:
        await Tortoise.close_connections()


async def test_migrations_apply_on_fresh_sqlite(tmp_path):
    await assert_migrated_schema_works(f"sqlite://{tmp_path / 'fresh.sqlite3'}")


async def test_migrations_apply_on_fresh_postgres(fresh_postgres_url):
    await assert_migrated_schema_works(fresh_postgres_url)


async def test_models_have_no_unmigrated_changes():
    config = tortoise_config("sqlite://:memory:")
    await open_tortoise(config)
    try:
        writers = await MigrationAutodetector(Tortoise.apps, config["apps"]).changes()
    finally:
        await Tortoise.close_connections()
    assert not writers, "models changed without a migration: run `tortoise -c models.db.TORTOISE_ORM makemigrations`"
