"""Flow-test harness: the real dispatcher polls the sandbox Bot API server over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiohttp.test_utils import TestClient, TestServer

from admin.app import create_admin_app
from bot.app import create_bot, create_dispatcher
from bot.sandbox import SandboxClient, SandboxServer
from bot.webhook import WebhookServer
from tests.admin.conftest import login
from xianfeng.settings import Settings

WEBHOOK_SECRET = "test-webhook-secret"


class BotHarness:
    """A sandbox, a client acting as users, and a bot process that can be restarted.

    ``mode="webhook"``: the bot serves a webhook on a loopback port and the sandbox
    delivers to it; ``storage_factory`` gives each (re)started bot a new FSM storage.
    """

    def __init__(
        self, sandbox: SandboxServer, client: SandboxClient, *, mode: str = "polling",
        storage_factory: Callable[[], BaseStorage] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.client = client
        self.mode = mode
        self.storage_factory = storage_factory
        self.bot: Bot | None = None
        self.dispatcher: Dispatcher | None = None
        self.webhook: WebhookServer | None = None
        self._polling: asyncio.Task | None = None

    async def start_bot(self) -> None:
        self.bot = create_bot(self.sandbox.token, self.sandbox.url)
        storage = self.storage_factory() if self.storage_factory else None
        self.dispatcher = create_dispatcher(
            default_locale="zh_Hans", storage=storage, redeliver_transient=self.mode == "webhook"
        )
        if self.mode == "webhook":
            self.webhook = WebhookServer(
                self.dispatcher, self.bot, url=None, secret_token=WEBHOOK_SECRET, port=0,
                path="/tg", shutdown_timeout=5, reuse_port=False,
            )
            await self.webhook.start()
            return
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(self.bot, handle_signals=False, polling_timeout=1)
        )
        # No need to wait for readiness: the sandbox queues updates until they are polled.

    async def stop_bot(self) -> None:
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
            await self.dispatcher.storage.close()
            await self.bot.session.close()
            return
        if self._polling is None:
            return
        with contextlib.suppress(RuntimeError):
            await self.dispatcher.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self._polling, 10)
        self._polling = None
        await self.dispatcher.storage.close()

    async def restart_bot(self) -> None:
        """Like restarting the bot process: a new Bot and Dispatcher, same database."""
        await self.stop_bot()
        await self.start_bot()

    async def say(self, user_id: int, text: str, **user) -> dict:
        """Send text as the user and return the bot's first reply."""
        if user:
            await self.client.user(user_id, **user)
        message_id = await self.client.send_text(user_id, text)
        return await self.client.wait_for_bot_message(user_id, after_message_id=message_id)

    async def replies(self, user_id: int, after_message_id: int, count: int) -> list[dict]:
        """Wait until the bot has sent ``count`` messages after ``after_message_id``."""
        def enough(messages):
            newer = [m for m in messages if m["from_bot"] and m["message_id"] > after_message_id]
            return newer if len(newer) >= count else None

        return await self.client.wait_until(user_id, enough)


@contextlib.asynccontextmanager
async def running_harness(**options):
    sandbox = SandboxServer()
    await sandbox.start()
    client = SandboxClient(sandbox.url, default_timeout=5)
    harness = BotHarness(sandbox, client, **options)
    await harness.start_bot()
    try:
        yield harness
    finally:
        await harness.stop_bot()
        await client.close()
        await sandbox.stop()


@pytest_asyncio.fixture
async def harness(org):
    async with running_harness() as harness:
        yield harness


@pytest_asyncio.fixture
async def webhook_harness(org):
    """The same, with the bot on a webhook the sandbox delivers to."""
    async with running_harness(mode="webhook") as harness:
        yield harness


@pytest_asyncio.fixture
async def panel(harness):
    """``await panel(files_bot, username)``: a browser logged into the panel as that panel user,
    the panel fetching members' photos with ``files_bot`` (``harness.bot``: the sandbox's)."""
    servers: list[TestServer] = []
    clients: list[TestClient] = []
    settings = Settings(_env_file=None, secret_key="test-secret-key", default_locale="zh_Hans")

    async def open_panel(files_bot: Bot | None, username: str = "secretary") -> TestClient:
        server = TestServer(create_admin_app(settings, bot_username="xianfeng_test_bot", files_bot=files_bot))
        await server.start_server()
        servers.append(server)
        client = TestClient(server)
        await client.start_server()
        clients.append(client)
        assert (await login(client, username)).status == 303
        return client

    yield open_panel
    for client in clients:
        await client.close()
    for server in servers:
        await server.close()
