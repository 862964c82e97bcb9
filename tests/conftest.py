"""Shared fixtures: a fresh database per test, built through the product's own functions."""

from __future__ import annotations

import os
import uuid

import pytest
import pytest_asyncio
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from models.db import tortoise_config
from tests import factories


async def open_test_database(url: str) -> None:
    """Open ``url`` for every task of this process and create the current schema."""
    # Tortoise caches insert SQL per (connection name, table), not per dialect; only the
    # test suite switches one process between SQLite and PostgreSQL, so it clears the cache.
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await Tortoise.generate_schemas()


@pytest_asyncio.fixture
async def db(tmp_path):
    """A fresh SQLite database with the current schema, visible to every task."""
    url = f"sqlite://{tmp_path / 'test.sqlite3'}"
    await open_test_database(url)
    yield url
    await Tortoise.close_connections()


@pytest_asyncio.fixture
async def org(db):
    """The demo-like tree: 东风区 / 东风街道 / {南园社区, 新风社区} / branches."""
    return await factories.org_tree()


@pytest.fixture
def postgres_url():
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TEST_POSTGRES_URL is not set: PostgreSQL tests need a server (CI sets it)")
    return url


@pytest_asyncio.fixture
async def fresh_postgres_url(postgres_url):
    """A brand-new PostgreSQL database for this test, dropped afterwards."""
    import asyncpg

    name = f"xf_test_{uuid.uuid4().hex[:12]}"
    server = await asyncpg.connect(postgres_url.replace("postgres://", "postgresql://", 1))
    try:
        await server.execute(f'CREATE DATABASE "{name}"')
        base, _, _ = postgres_url.rpartition("/")
        yield f"{base}/{name}"
        await Tortoise.close_connections()
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await server.close()


@pytest_asyncio.fixture
async def pg_db(fresh_postgres_url):
    """Like ``db`` but on a fresh PostgreSQL database."""
    await open_test_database(fresh_postgres_url)
    yield fresh_postgres_url
    await Tortoise.close_connections()


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: Redis tests need a server (CI sets it)")
    return url
