"""Helpers shared by the delivery tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.sandbox import SandboxServer

#: Worker settings for tests that are not about the exact limits.
FAST = {
    "global_rate": 1000.0,
    "per_chat_interval": 0.0,
    "idle_poll": 0.02,
    "retry_base": 0.01,
}


def register_users(sandbox: SandboxServer, first_id: int, count: int) -> list[int]:
    """Sandbox users who have started the bot, so it may message them."""
    sandbox.actions.bulk_register(start_id=first_id, count=count)
    return list(range(first_id, first_id + count))


def accepted(sandbox: SandboxServer) -> list[tuple[int, str]]:
    """(chat_id, text) of every message the sandbox accepted, in order."""
    return [(r.chat_id, r.text) for r in sandbox.state.send_log.accepted(["sendMessage"])]


class ScriptedBotApi:
    """A Bot API stand-in whose sendMessage fails as scripted, then succeeds.

    ``failures`` are (HTTP status, description) answers for the first calls.
    While ``gate`` is given and not set, answers are held back (a send in flight).
    """

    def __init__(self, failures: Iterable[tuple[int, str]] = (), gate: asyncio.Event | None = None):
        self.failures = list(failures)
        self.gate = gate
        self.calls = 0
        self._server = TestServer(self._app())

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/sendMessage", self._send_message)
        return app

    async def _send_message(self, request: web.Request) -> web.Response:
        self.calls += 1
        form = await request.post()
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            status, description = self.failures.pop(0)
            return web.json_response(
                {"ok": False, "error_code": status, "description": description}, status=status
            )
        chat_id = int(form["chat_id"])
        message = {"message_id": self.calls, "date": 0, "text": form["text"],
                   "chat": {"id": chat_id, "type": "private", "first_name": "User"}}
        return web.json_response({"ok": True, "result": message})

    async def __aenter__(self) -> ScriptedBotApi:
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.close()

    @property
    def url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")
