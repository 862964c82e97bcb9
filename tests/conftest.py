"""Shared fixtures: a fresh database per test, built through the product's own functions."""

from __future__ import annotations

import os

import pytest
import pytest_asyncio
from tortoise import Tortoise

from models.db import tortoise_config
from tests import factories


@pytest_asyncio.fixture
async def db(tmp_path):
    """A fresh SQLite database with the current schema, visible to every task."""
    url = f"sqlite://{tmp_path / 'test.sqlite3'}"
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await Tortoise.generate_schemas()
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


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: Redis tests need a server (CI sets it)")
    return url
