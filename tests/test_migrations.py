"""The built-in migrations create the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from models.admins import AdminUser
from models.db import DatabaseUnusable, apply_migrations, init_db, open_tortoise, tortoise_config
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


@pytest.fixture
def sql_ascii_postgres_url(postgres_url):
    """A fresh PostgreSQL database in SQL_ASCII, as a cluster made under the C locale gives."""
    import asyncpg

    name = f"xf_test_ascii_{uuid.uuid4().hex[:10]}"
    server_dsn = postgres_url.replace("postgres://", "postgresql://", 1)

    async def run(sql: str) -> None:
        server = await asyncpg.connect(server_dsn)
        try:
            await server.execute(sql)
        finally:
            await server.close()

    asyncio.run(run(f"CREATE DATABASE \"{name}\" ENCODING 'SQL_ASCII' TEMPLATE template0 "
                    "LC_COLLATE 'C' LC_CTYPE 'C'"))
    yield f"{postgres_url.rpartition('/')[0]}/{name}"
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def table_count(url: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
    finally:
        await connection.close()


def test_a_postgres_database_that_cannot_hold_chinese_is_refused_before_migrating(sql_ascii_postgres_url):
    async def check() -> None:
        with pytest.raises(DatabaseUnusable) as refused:
            await apply_migrations(sql_ascii_postgres_url)
        assert refused.value.params["encoding"] == "SQL_ASCII"
        assert refused.value.params["database"] == sql_ascii_postgres_url.rpartition("/")[2]
        assert await table_count(sql_ascii_postgres_url) == 0  # nothing half-made
        with pytest.raises(DatabaseUnusable):  # a worker that does not migrate is refused too
            await init_db(sql_ascii_postgres_url, run_migrations=False)

    asyncio.run(check())


def test_the_command_line_explains_an_unusable_database(sql_ascii_postgres_url, monkeypatch, capsys, tmp_path):
    from xianfeng.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", sql_ascii_postgres_url)
    monkeypatch.setenv("DEFAULT_LOCALE", "zh_Hans")
    assert main(["migrate"]) == 2
    error = capsys.readouterr().err
    assert "SQL_ASCII" in error and "ENCODING 'UTF8'" in error
    assert "中文" in error  # said in the configured language
    assert "Traceback" not in error
