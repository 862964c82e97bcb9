"""Webhook mode: Telegram (or the sandbox) POSTs each update to us.

Built on aiogram's :class:`~aiogram.webhook.aiohttp_server.SimpleRequestHandler`, which
checks ``X-Telegram-Bot-Api-Secret-Token`` with a constant-time comparison and answers
401 when it is missing or wrong, before the body is even read.

**Answer after processing, not an inbox table.** The request is answered only when the
update has been handled (``handle_in_background=False``): a 2xx means "done", and a
failure that may pass (database, Redis or Telegram unreachable: see
``bot/handlers/errors.py``), a crash or a shutdown answers non-2xx or drops the
connection, so Telegram keeps the update and delivers it again, with backoff, for up to
a day. Telegram's own queue is the inbox: an inbox table would add a write, a second
worker loop and its own crash recovery for every update, and would have to re-create
Telegram's per-chat ordering, which Telegram already gives us by sending one chat's
updates one at a time. Redelivery is safe because each update id is claimed once in
``processed_update`` (``bot/middlewares.py``: a redelivered update that was already
handled does nothing; one whose handling failed runs again). aiogram answers 200 and
continues in the background if a handler runs past 55 s, before Telegram's 60 s timeout.

Several workers can serve one webhook: behind a load balancer, or on one host sharing the
port (``reuse_port``, the kernel spreads connections between the processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.middlewares import UpdateInProgress
from bot.session import webhook_reply

log = logging.getLogger(__name__)


class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler, answering after processing, with clear non-2xx answers."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, *, secret_token: str | None, **data: Any) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret_token, **data)
        self.accepting = True

    async def handle(self, request: web.Request) -> web.Response:
        if not self.accepting:
            # Shutting down: Telegram delivers it again, to us after the restart or to another worker.
            return web.Response(status=503, text="Shutting down", headers={"Retry-After": "1"})
        return await super().handle(request)

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            update = Update.model_validate(
                await request.json(loads=bot.session.json_loads), context={"bot": bot}
            )
        except (ValueError, TypeError):
            return web.Response(status=400, text="Expected a JSON update")
        with webhook_reply() as reply:
            try:
                result = await self.dispatcher.feed_webhook_update(bot, update, **self.data)
            except UpdateInProgress:
                return web.Response(status=503, text="Update in progress", headers={"Retry-After": "1"})
            except Exception as error:  # noqa: BLE001 - logged by aiogram; Telegram retries on 500
                return web.Response(status=500, text=f"Failed: {type(error).__name__}")
        if reply.method is not None:
            if result is None:
                result = reply.method
            else:  # the handler returned a method of its own: that one rides on the reply
                await self.dispatcher.silent_call_request(bot=bot, result=reply.method)
        return web.Response(body=self._build_response_writer(bot=bot, result=result))

    async def close(self) -> None:
        """The bot's session belongs to the caller (the outbox worker shares it)."""


def create_webhook_app(
    dispatcher: Dispatcher, bot: Bot, *, secret_token: str | None, path: str
) -> tuple[web.Application, WebhookHandler]:
    app = web.Application(client_max_size=1024 * 1024)
    handler = WebhookHandler(dispatcher, bot, secret_token=secret_token)
    handler.register(app, path=path)
    return app, handler


class WebhookServer:
    """Listen for updates, register the webhook, and stop gracefully.

    ``stop()``: refuse new updates (503, Telegram redelivers), let the ones in flight finish
    for up to ``shutdown_timeout`` seconds (the rest are cancelled: their claims are
    released and, unanswered, Telegram delivers them again), then emit the dispatcher's
    shutdown. The webhook itself stays registered: other workers keep serving it, and
    Telegram keeps the updates while none does.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        *,
        url: str | None,
        secret_token: str,
        host: str = "127.0.0.1",
        port: int = 8443,
        path: str = "/telegram/webhook",
        shutdown_timeout: float = 10.0,
        reuse_port: bool = True,
        max_connections: int = 40,
        register: bool = True,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.url = url
        self.secret_token = secret_token
        self.host = host
        self.port = port
        self.path = path
        self.shutdown_timeout = shutdown_timeout
        self.reuse_port = reuse_port
        self.max_connections = max_connections
        self.register = register
        self.app, self.handler = create_webhook_app(dispatcher, bot, secret_token=secret_token, path=path)
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    def _workflow(self) -> dict[str, Any]:
        data = {"dispatcher": self.dispatcher, "bots": [self.bot], **self.dispatcher.workflow_data}
        data.pop("bot", None)
        return data

    async def start(self) -> None:
        await self.dispatcher.emit_startup(bot=self.bot, **self._workflow())
        # A handler runs to its end even if Telegram hangs up meanwhile: it is then recorded
        # as done and the redelivery does nothing (cancelling it halfway would redo its first
        # half). Shutdown still cancels what runs past shutdown_timeout.
        runner = web.AppRunner(
            self.app, access_log=None, shutdown_timeout=self.shutdown_timeout, handler_cancellation=False
        )
        await runner.setup()
        reuse_port = self.reuse_port and hasattr(socket, "SO_REUSEPORT")
        site = web.TCPSite(runner, self.host, self.port, reuse_port=reuse_port or None)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.bound_port = runner.addresses[0][1]
        if self.url is None:  # tests: the address we just bound
            self.url = f"http://{self.host}:{self.bound_port}{self.path}"
        if self.register:
            await self.bot.set_webhook(
                self.url,
                secret_token=self.secret_token,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
                max_connections=self.max_connections,
            )
        log.info("webhook: listening on %s:%s%s for %s", self.host, self.bound_port, self.path, self.url)

    async def stop(self) -> None:
        if self._runner is None:
            return
        self.handler.accepting = False
        runner, self._runner = self._runner, None
        # Stops listening, waits up to shutdown_timeout for requests in flight, cancels the rest.
        await runner.cleanup()
        with contextlib.suppress(Exception):
            await self.dispatcher.emit_shutdown(bot=self.bot, **self._workflow())


async def wait_for_tasks(tasks: set[asyncio.Task[Any]], timeout: float) -> int:
    """Let ``tasks`` finish for up to ``timeout`` seconds, then cancel the rest; returns how
    many had to be cancelled (used for polling's in-flight updates)."""
    pending = {task for task in tasks if not task.done()}
    if not pending:
        return 0
    _, still = await asyncio.wait(pending, timeout=timeout)
    for task in still:
        task.cancel()
    for task in still:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    return len(still)
