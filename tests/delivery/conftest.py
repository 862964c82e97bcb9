"""Fixtures for outbox and delivery tests: a sandbox Bot API server, workers that talk to
it, and ``any_db`` to run a model test on SQLite and (when configured) PostgreSQL.

PostgreSQL tests use ``pg_db`` from ``tests/conftest.py`` (a fresh database per test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiogram import Bot

from bot.delivery import DeliveryWorker
from bot.sandbox import SandboxServer
from bot.sandbox.testing import sandbox_bot
from tests.delivery.support import FAST


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest) -> str:
    """The test's database URL, once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    """Limits off: tests that need them call ``sandbox.state.limiter.configure``."""
    async with SandboxServer() as server:
        yield server


@pytest.fixture
async def bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    b = sandbox_bot(sandbox)
    yield b
    await b.session.close()


@pytest.fixture
def make_worker(bot: Bot) -> Callable[..., DeliveryWorker]:
    def make(worker_id: str = "test-worker", **options) -> DeliveryWorker:
        return DeliveryWorker(bot, worker_id=worker_id, **{**FAST, **options})

    return make
