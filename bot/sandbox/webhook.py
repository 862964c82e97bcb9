"""Webhook delivery: POST queued updates to the bot's webhook, in order.

Only loopback targets are ever contacted (checked at setWebhook and again
before each delivery; redirects are not followed). A non-2xx answer or a
connection failure keeps the update and retries later with exponential
backoff; ``getWebhookInfo`` reports the last error like Telegram. A 2xx answer
may carry a method call (aiogram's "reply into webhook"), which is executed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from .state import SandboxState, now_unix

if TYPE_CHECKING:
    from .api import BotApi

log = logging.getLogger(__name__)

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


class WebhookUrlError(ValueError):
    """The URL cannot be used as a webhook in the sandbox."""


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and loopback IP literals (127.0.0.0/8, ::1)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_webhook_url(url: str) -> str:
    """Return the URL if it is an http(s) URL on a loopback host, else raise WebhookUrlError."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookUrlError("invalid webhook URL specified") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlError("unsupported URL protocol")
    if not is_loopback_host(parts.hostname):
        raise WebhookUrlError(
            "the sandbox delivers webhooks only to loopback addresses (127.0.0.1, ::1, localhost)"
        )
    if port == 0:
        raise WebhookUrlError("invalid port specified")
    return url


def queue_key(update: Any) -> Any:
    """Updates of one chat are delivered one at a time and in order, like Telegram's Bot API
    server does; different chats are delivered in parallel (up to ``max_connections``)."""
    payload = update.payload if isinstance(update.payload, dict) else {}
    chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
    if isinstance(chat, dict) and "id" in chat:
        return ("chat", chat["id"])
    sender = payload.get("from") or payload.get("user")
    if isinstance(sender, dict) and "id" in sender:
        return ("chat", sender["id"])
    return ("update", update.update_id)


class WebhookDelivery:
    """Background task delivering ``state.updates`` while a webhook is set.

    Up to the webhook's ``max_connections`` requests are in flight at once, at most one per
    chat (a chat's updates arrive in order). A failed delivery is retried with exponential
    backoff, holding back that chat's later updates meanwhile.
    """

    def __init__(
        self,
        state: SandboxState,
        api: BotApi,
        *,
        retry_base: float = 0.2,
        retry_max: float = 5.0,
        request_timeout: float = 10.0,
    ) -> None:
        self.state = state
        self.api = api
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.request_timeout = request_timeout
        self.delivered = 0
        #: Failed delivery attempts (non-2xx, refused connections, timeouts).
        self.failures = 0
        #: Seconds from sending each delivered update to the webhook's 2xx answer.
        self.latencies: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._in_flight: dict[Any, asyncio.Task[None]] = {}

    async def start(self) -> None:
        if self._task is not None:
            return
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.request_timeout),
            connector=aiohttp.TCPConnector(limit=0),
            trust_env=False,
        )
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._in_flight.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        state = self.state
        while not state.closing:
            webhook = state.webhook
            if webhook.url:
                self._start_deliveries(webhook.max_connections or 40)
            await state.update_notifier.wait(30.0)

    def _start_deliveries(self, limit: int) -> None:
        seen: set[Any] = set()
        for update in self.state.updates:  # no await in this loop: the deque cannot change
            if len(self._in_flight) >= limit:
                return
            key = queue_key(update)
            if key in seen:
                continue  # an earlier update of this chat goes first
            seen.add(key)
            if key in self._in_flight:
                continue
            task = asyncio.create_task(self._deliver_until_done(key, update))
            self._in_flight[key] = task

    async def _deliver_until_done(self, key: Any, update: Any) -> None:
        state = self.state
        delay = self.retry_base
        url = state.webhook.url
        try:
            while not state.closing and state.webhook.url == url and update in state.updates:
                began = time.perf_counter()
                try:
                    ok = await self._deliver(url, state.webhook.secret_token, update.to_api())
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 - never let the worker die
                    log.exception("webhook delivery failed unexpectedly")
                    self._fail(f"Internal sandbox error: {error}")
                    ok = False
                if ok:
                    self.latencies.append(time.perf_counter() - began)
                    with contextlib.suppress(ValueError):
                        state.updates.remove(update)
                    self.delivered += 1
                    return
                self.failures += 1
                await asyncio.sleep(delay)
                delay = min(self.retry_max, delay * 2)
        finally:
            if self._in_flight.get(key) is asyncio.current_task():
                del self._in_flight[key]
            state.update_notifier.notify()  # the next update of this chat may go now

    def _fail(self, message: str) -> None:
        self.state.webhook.last_error_date = now_unix()
        self.state.webhook.last_error_message = message

    async def _deliver(self, url: str, secret: str | None, update: dict[str, Any]) -> bool:
        try:
            validate_webhook_url(url)
        except WebhookUrlError as error:
            self._fail(str(error))
            return False
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        try:
            async with self._session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                if not 200 <= response.status < 300:
                    self._fail(f"Wrong response from the webhook: {response.status} {response.reason}")
                    return False
                reply = await read_reply(response)
        except asyncio.TimeoutError:
            self._fail("Read timeout expired")
            return False
        except aiohttp.ClientConnectorError:
            self._fail("Connection refused")
            return False
        except aiohttp.ClientError as error:
            self._fail(f"Connection error: {type(error).__name__}")
            return False
        if reply:
            await self.execute_reply(reply)
        return True

    async def execute_reply(self, reply: dict[str, Any]) -> None:
        """Carry out the method call a webhook answered with, as Telegram does."""
        from .params import Params

        method = str(reply.pop("method", ""))
        token = self.state.webhook.token
        if not method or not token:
            return
        uploads = reply.pop("__uploads__", {})
        try:
            await self.api.call(token, method, Params(values=reply, uploads=uploads))
        except Exception as error:  # noqa: BLE001 - Telegram ignores failed webhook replies
            log.info("webhook reply %s failed: %s", method, error)


async def read_reply(response: aiohttp.ClientResponse) -> dict[str, Any] | None:
    """A method call in the webhook's answer (JSON or multipart form), if any."""
    ctype = response.content_type
    if ctype == "application/json":
        try:
            data = await response.json(content_type=None)
        except (ValueError, aiohttp.ContentTypeError):
            return None
        return data if isinstance(data, dict) and data.get("method") else None
    if ctype.startswith("multipart/"):
        from .params import Upload

        values: dict[str, Any] = {}
        uploads: dict[str, Upload] = {}
        reader = aiohttp.MultipartReader.from_response(response)
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, aiohttp.BodyPartReader):
                continue
            data = await part.read(decode=True)
            if part.filename is not None:
                uploads[part.name or ""] = Upload(
                    part.filename,
                    part.headers.get("Content-Type", "application/octet-stream"),
                    bytes(data),
                )
            else:
                values[part.name or ""] = bytes(data).decode("utf-8", errors="replace")
        if not values.get("method"):
            return None
        values["__uploads__"] = uploads
        return values
    return None
