"""Graceful shutdown of a webhook bot: stop taking updates, finish (bounded) the ones in
flight, release the scheduler lock, close connections. (The outbox worker's part, a send
cut off at the deadline going back to the queue, is in tests/delivery/test_shutdown.py.)"""

from __future__ import annotations

import asyncio
import socket
from contextlib import AsyncExitStack

import pytest

from bot.middlewares import TelegramUserMiddleware
from bot.sandbox import SandboxClient, SandboxServer
from models.locks import FileLock
from models.updates import ProcessedUpdate
from xianfeng.runtime import start
from xianfeng.settings import Settings

SECRET = "shutdown-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def sandbox():
    async with SandboxServer() as server:
        yield server


def webhook_settings(tmp_path, sandbox: SandboxServer, **overrides) -> Settings:
    port = free_port()
    values = dict(
        bot_token=sandbox.token, telegram_api_url=sandbox.url,
        database_url=f"sqlite://{tmp_path / 'bot.sqlite3'}", default_locale="en", redis_url=None,
        webhook_url=f"http://127.0.0.1:{port}/tg", webhook_secret=SECRET, webhook_port=port,
        delivery_worker_id="worker-a", shutdown_timeout=5.0, scheduler_lock_retry=0.1,
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def slow_user(monkeypatch):
    """Updates from user 601 take ``delay`` seconds in the middle of handling."""
    touch = TelegramUserMiddleware._touch
    state = {"delay": 1.0, "entered": asyncio.Event(), "left": asyncio.Event()}

    async def slow(user, *, reachable):
        if user.id == 601:
            state["entered"].set()
            await asyncio.sleep(state["delay"])
            state["left"].set()
        return await touch(user, reachable=reachable)

    monkeypatch.setattr(TelegramUserMiddleware, "_touch", staticmethod(slow))
    return state


@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_sigterm_finishes_in_flight_updates_and_releases_the_lock(
    tmp_path, sandbox, slow_user, mode
):
    settings = webhook_settings(tmp_path, sandbox)
    if mode == "polling":
        settings = webhook_settings(tmp_path, sandbox, webhook_url=None)
    client = SandboxClient(sandbox.url, default_timeout=5)
    stack = AsyncExitStack()
    try:
        running = await start(settings, stack, admin=False)
        assert (running.webhook is not None) == (mode == "webhook")
        assert running.leadership.leading  # alone: this process runs the scheduler
        assert not await FileLock(tmp_path / "bot.sqlite3.scheduler.lock").try_acquire()

        await client.user(601, "Ann", language_code="en")
        await client.send_text(601, "/start")
        await asyncio.wait_for(slow_user["entered"].wait(), 5)
        await stack.aclose()  # what SIGTERM does (xianfeng.runtime.serve)
    finally:
        await stack.aclose()

    assert slow_user["left"].is_set()  # the update in flight was finished, not cut
    reply = await client.wait_for_bot_message(601)
    assert "invitation" in reply["text"]
    assert bool(sandbox.state.webhook.url) == (mode == "webhook")  # other workers keep serving it
    assert not sandbox.state.updates  # and nothing is left for them from this update

    from tortoise import Tortoise
    from models.db import init_db

    await init_db(settings.resolved_database_url, run_migrations=False)  # the process closed it
    try:
        assert await ProcessedUpdate.filter(processed_at__isnull=False).count() == 1
    finally:
        await Tortoise.close_connections()
    lock = FileLock(tmp_path / "bot.sqlite3.scheduler.lock")
    assert await lock.try_acquire()  # released at shutdown
    await lock.release()
    await client.close()


async def test_an_update_still_running_at_the_deadline_is_cancelled_and_kept_for_redelivery(
    tmp_path, sandbox, slow_user
):
    slow_user["delay"] = 60
    settings = webhook_settings(tmp_path, sandbox, shutdown_timeout=0.5)
    client = SandboxClient(sandbox.url, default_timeout=5)
    stack = AsyncExitStack()
    try:
        await start(settings, stack, admin=False, scheduler=False)
        await client.user(601, "Ann", language_code="en")
        await client.send_text(601, "/start")
        await asyncio.wait_for(slow_user["entered"].wait(), 5)
        await asyncio.wait_for(stack.aclose(), 20)
    finally:
        await stack.aclose()
    assert not slow_user["left"].is_set()
    # Not answered: the sandbox (like Telegram) keeps the update for the next worker ...
    assert len(sandbox.state.updates) == 1
    # ... and the claim was released, so that worker handles it.
    from tortoise import Tortoise
    from models.db import init_db

    await init_db(settings.resolved_database_url, run_migrations=False)
    try:
        assert await ProcessedUpdate.all().count() == 0
    finally:
        await Tortoise.close_connections()

    slow_user["delay"] = 0
    stack = AsyncExitStack()
    try:
        await start(settings, stack, admin=False, scheduler=False)  # the restarted worker
        reply = await client.wait_for_bot_message(601)
        assert "invitation" in reply["text"]
    finally:
        await stack.aclose()
    await client.close()
