"""Database configuration, migrations and connection lifecycle."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tortoise import Tortoise, timezone
from tortoise.exceptions import BaseORMException
from tortoise.migrations.api import migrate

from locales import N_
from models.errors import DomainError

APP = "models"
MIGRATIONS_TABLE = "tortoise_migrations"  # Tortoise's record of the migrations applied


class DatabaseUnusable(DomainError):
    """The configured database cannot be opened, or cannot hold Xianfeng's data as it is set up."""


def tortoise_config(database_url: str) -> dict:
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        Path(database_url.removeprefix("sqlite://").split("?", 1)[0]).parent.mkdir(parents=True, exist_ok=True)
        if "synchronous=" not in database_url:
            # WAL (Tortoise's default) with synchronous=NORMAL: no fsync per commit, still
            # consistent after a crash of the process or the machine; a power cut may lose
            # the last commits. FULL costs about a third of the bot's throughput.
            database_url += ("&" if "?" in database_url else "?") + "synchronous=NORMAL"
    return {
        "connections": {"default": database_url},
        "apps": {APP: {"models": ["models"], "migrations": "models.migrations"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def apply_migrations(database_url: str) -> None:
    """Bring the schema up to date; DatabaseUnusable (and nothing created) for an unusable database."""
    await open_checked(database_url)
    await Tortoise.close_connections()
    previous = os.environ.get("TIMEZONE")
    try:
        await migrate(config=tortoise_config(database_url))
    finally:
        _give_timezone_back(previous)
    await Tortoise.close_connections()


async def init_db(database_url: str, *, run_migrations: bool = True) -> None:
    """Open the database for this process (every task sees it), migrating first if asked."""
    if run_migrations:
        await apply_migrations(database_url)
        await open_tortoise(tortoise_config(database_url), _enable_global_fallback=True)
    else:
        await open_checked(database_url, _enable_global_fallback=True)


async def open_checked(database_url: str, **options) -> None:
    """Open the database and check that it can hold Xianfeng's data, or raise DatabaseUnusable
    saying why (unreachable, refused, no such database, wrong encoding), leaving nothing open."""
    try:
        await open_tortoise(tortoise_config(database_url), **options)
        await require_unicode_text()
    except Exception as error:
        with contextlib.suppress(Exception):
            await Tortoise.close_connections()
        if isinstance(error, DatabaseUnusable) or not _cannot_connect(error):
            raise
        raise cannot_open(database_url, error) from error


def cannot_open(database_url: str, error: Exception) -> DatabaseUnusable:
    return DatabaseUnusable(
        N_("Cannot open the database {database}: {reason}. Check DATABASE_URL, and that the "
           "database server is running."),
        database=shown_url(database_url), reason=str(error) or type(error).__name__)


def _cannot_connect(error: Exception) -> bool:
    # asyncpg is imported only once a PostgreSQL connection was tried (it costs 25 ms to import).
    asyncpg = sys.modules.get("asyncpg")
    kinds = (OSError, BaseORMException) + ((asyncpg.PostgresError,) if asyncpg else ())
    return isinstance(error, kinds)


def shown_url(database_url: str) -> str:
    """The database URL without its password, to show in messages."""
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}@{netloc}"))


def known_migrations() -> set[str]:
    """The names of this code's migrations (``0001_initial`` …)."""
    import models.migrations

    folder = Path(models.migrations.__file__).parent
    return {path.stem for path in folder.glob("[0-9]*.py")}


async def require_current_schema(database_url: str) -> None:
    """For a process that does not migrate at start (PostgreSQL: ``xianfeng migrate`` once per
    release): refuse a database whose migrations are not exactly this code's, before the first
    request fails on a missing table or column."""
    connection = Tortoise.get_connection("default")
    try:
        _, rows = await connection.execute_query(
            f'SELECT name FROM "{MIGRATIONS_TABLE}" WHERE app = \'{APP}\'')
    except BaseORMException:  # no such table: never migrated
        rows = []
    applied, known = {row["name"] for row in rows}, known_migrations()
    if not applied:
        raise DatabaseUnusable(
            N_("The database {database} has no Xianfeng tables yet: run “xianfeng migrate” first."),
            database=shown_url(database_url))
    if missing := sorted(known - applied):
        raise DatabaseUnusable(
            N_("The database is not up to date for this Xianfeng: migrations {migrations} are not "
               "applied. Run “xianfeng migrate” (once per release), then start again."),
            migrations=", ".join(missing))
    if newer := sorted(applied - known):
        raise DatabaseUnusable(
            N_("The database was migrated by a newer Xianfeng (migrations {migrations}): run that "
               "version."), migrations=", ".join(newer))


async def require_unicode_text() -> None:
    """Refuse a PostgreSQL database whose encoding is not UTF8.

    A cluster created under the C locale (common on minimal servers and containers) makes
    databases in SQL_ASCII or another single-byte encoding: the schema migrates and ASCII
    rows go in, then the first Chinese name fails mid-request ("conversion between UTF8 and
    SQL_ASCII is not supported"). Better said once, at start. SQLite always stores Unicode.
    """
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect != "postgres":
        return
    _, rows = await connection.execute_query(
        "SELECT current_database() AS name, pg_encoding_to_char(encoding) AS encoding "
        "FROM pg_database WHERE datname = current_database()")
    name, encoding = rows[0]["name"], rows[0]["encoding"]
    if encoding != "UTF8":
        raise DatabaseUnusable(
            N_("The PostgreSQL database “{database}” stores text as {encoding}, which cannot hold "
               "Chinese text. Create a UTF8 database (CREATE DATABASE {database} ENCODING 'UTF8' "
               "TEMPLATE template0;) and point DATABASE_URL at it."),
            database=name, encoding=encoding)


async def open_tortoise(config: dict, **options) -> None:
    """``Tortoise.init`` that leaves the process's ``TIMEZONE`` variable as it was.

    Tortoise writes its own zone (UTC) into ``os.environ["TIMEZONE"]``, which is also
    Xianfeng's setting: a ``Settings()`` read afterwards would silently get UTC.
    """
    previous = os.environ.get("TIMEZONE")
    try:
        await Tortoise.init(config=config, **options)
    finally:
        _give_timezone_back(previous)


def _give_timezone_back(previous: str | None) -> None:
    # Tortoise reads its zone once and caches it: read it now, while it is still UTC.
    timezone.get_use_tz(), timezone.get_timezone(), timezone.get_default_timezone()
    if previous is None:
        os.environ.pop("TIMEZONE", None)
    else:
        os.environ["TIMEZONE"] = previous


async def refresh_planner_statistics() -> None:
    """SQLite only: ``ANALYZE``, so that the query planner knows how rows spread over each
    index (a pledge status matches a seventh of the pledges, a member id ten rows).

    Without statistics SQLite takes any indexed equality for a handful of rows: a list
    filtered by status would read every pledge of that status and sort them, rather than
    walk member names and stop after a page. Run when the panel starts (tens of ms per
    100k rows); PostgreSQL keeps its statistics itself (autovacuum).
    """
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect == "sqlite":
        await connection.execute_script("ANALYZE")


async def close_db() -> None:
    await Tortoise.close_connections()


# For Tortoise's own CLI when writing migrations:
#   tortoise -c models.db.TORTOISE_ORM makemigrations
TORTOISE_ORM = tortoise_config("sqlite://:memory:")
