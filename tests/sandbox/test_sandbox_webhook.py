"""Webhook delivery to a local endpoint: secret header, retries, replies in the response."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiogram import Dispatcher, Router
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web


class Endpoint:
    """A local webhook receiver that fails the first ``failures`` requests with 500."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[tuple[dict, dict]] = []
        self.got = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), json.loads(await request.read())))
        if len(self.requests) <= self.failures:
            return web.Response(status=500, text="boom")
        self.got.set()
        return web.json_response({})


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def test_delivery_with_secret_and_retry(sandbox, bot, client):
    endpoint = Endpoint(failures=2)
    app = web.Application()
    app.router.add_post("/hook", endpoint.handle)
    runner, base = await serve(app)
    try:
        assert await bot.set_webhook(f"{base}/hook", secret_token="s3cr3t-Token") is True
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates(timeout=0)
        await client.send_text(401, "via webhook")
        await asyncio.wait_for(endpoint.got.wait(), 5)
        assert len(endpoint.requests) == 3  # two 500s, then success: same update each time
        for headers, body in endpoint.requests:
            assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t-Token"
            assert body["message"]["text"] == "via webhook"
        assert len({body["update_id"] for _, body in endpoint.requests}) == 1
        info = await bot.get_webhook_info()
        assert info.url == f"{base}/hook"
        assert info.pending_update_count == 0
        assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    finally:
        assert await bot.delete_webhook() is True
        await runner.cleanup()
    assert await bot.get_updates(timeout=0) == []


async def test_connection_failure_keeps_the_update(sandbox, bot, client):
    app = web.Application()
    runner, base = await serve(app)
    await runner.cleanup()  # nothing listens there any more
    await bot.set_webhook(f"{base}/hook")
    await client.send_text(402, "lost?")
    for _ in range(50):
        info = await bot.get_webhook_info()
        if info.last_error_message:
            break
        await asyncio.sleep(0.05)
    assert info.last_error_message == "Connection refused"
    assert info.pending_update_count == 1
    await bot.delete_webhook()
    (update,) = await bot.get_updates(timeout=0)
    assert update.message.text == "lost?"


async def test_only_loopback_webhooks(bot):
    for url in ("https://example.com/hook", "http://10.0.0.1/hook", "http://127.0.0.1.nip.io/x", "ftp://127.0.0.1/"):
        with pytest.raises(TelegramBadRequest, match="bad webhook"):
            await bot.set_webhook(url)
    assert (await bot.get_webhook_info()).url == ""


async def test_drop_pending_updates(sandbox, bot, client):
    await client.send_text(403, "old")
    await bot.set_webhook("http://127.0.0.1:9/never", drop_pending_updates=True)
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == []


async def test_aiogram_webhook_reply_is_executed(sandbox, bot, client):
    router = Router()

    @router.message()
    async def reply(message: Message):
        return message.answer(f"got {len(message.text)} chars")  # answered in the webhook response

    dp = Dispatcher()
    dp.include_router(router)
    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token="abc").register(app, path="/tg")
    runner, base = await serve(app)
    try:
        await bot.set_webhook(f"{base}/tg", secret_token="abc")
        mid = await client.send_text(404, "你好世界")
        answer = await client.wait_for_bot_message(404, after_message_id=mid)
        assert answer["text"] == "got 4 chars"
        # A wrong secret is refused by aiogram (401), so delivery keeps retrying.
        await bot.set_webhook(f"{base}/tg", secret_token="wrong")
        await client.send_text(404, "again")
        for _ in range(50):
            info = await bot.get_webhook_info()
            if info.last_error_message:
                break
            await asyncio.sleep(0.05)
        assert "401" in info.last_error_message and info.pending_update_count == 1
    finally:
        await bot.delete_webhook(drop_pending_updates=True)
        await runner.cleanup()


class HoldingEndpoint:
    """Holds every request until released; records what is in flight."""

    def __init__(self, fail_first_of: int | None = None) -> None:
        self.in_flight: list[tuple[int, str]] = []
        self.most_in_flight = 0
        self.done: list[tuple[int, str]] = []
        self.release = asyncio.Event()
        self.fail_first_of = fail_first_of
        self.failed = False

    async def handle(self, request: web.Request) -> web.Response:
        message = json.loads(await request.read())["message"]
        key = (message["chat"]["id"], message["text"])
        self.in_flight.append(key)
        self.most_in_flight = max(self.most_in_flight, len(self.in_flight))
        try:
            await self.release.wait()
            if key[0] == self.fail_first_of and not self.failed:
                self.failed = True
                return web.Response(status=500)
            self.done.append(key)
            return web.json_response({})
        finally:
            self.in_flight.remove(key)


async def test_chats_in_parallel_each_chat_in_order(sandbox, bot, client):
    endpoint = HoldingEndpoint(fail_first_of=501)
    app = web.Application()
    app.router.add_post("/hook", endpoint.handle)
    runner, base = await serve(app)
    try:
        await bot.set_webhook(f"{base}/hook", max_connections=3)
        for chat in (501, 502, 503, 504):
            for n in range(3):
                await client.send_text(chat, f"{chat}-{n}")
        for _ in range(100):
            if len(endpoint.in_flight) == 3:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        # max_connections requests at once, never two of one chat
        assert len(endpoint.in_flight) == 3
        assert len({chat for chat, _ in endpoint.in_flight}) == 3
        endpoint.release.set()
        for _ in range(200):
            if len(endpoint.done) == 12:
                break
            await asyncio.sleep(0.02)
        assert endpoint.most_in_flight == 3
        for chat in (501, 502, 503, 504):
            # in order, even across the failed first delivery of chat 501
            assert [text for c, text in endpoint.done if c == chat] == [f"{chat}-{n}" for n in range(3)]
        assert sandbox.webhook_delivery.delivered == 12 and sandbox.webhook_delivery.failures == 1
        assert len(sandbox.webhook_delivery.latencies) == 12
        assert (await bot.get_webhook_info()).pending_update_count == 0
    finally:
        await bot.delete_webhook()
        await runner.cleanup()
