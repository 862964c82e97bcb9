"""Database configuration, migrations and connection lifecycle."""

from __future__ import annotations

from pathlib import Path

from tortoise import Tortoise
from tortoise.migrations.api import migrate

APP = "models"


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
    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


async def init_db(database_url: str, *, run_migrations: bool = True) -> None:
    """Open the database for this process (every task sees it), migrating first if asked."""
    if run_migrations:
        await apply_migrations(database_url)
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


# For Tortoise's own CLI when writing migrations:
#   tortoise -c models.db.TORTOISE_ORM makemigrations
TORTOISE_ORM = tortoise_config("sqlite://:memory:")
