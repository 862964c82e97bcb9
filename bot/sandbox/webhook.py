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


class WebhookDelivery:
    """Background task delivering ``state.updates`` while a webhook is set."""

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
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._task is not None:
            return
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.request_timeout), trust_env=False
        )
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        delay = self.retry_base
        state = self.state
        while not state.closing:
            webhook = state.webhook
            if not webhook.url or not state.updates:
                await state.update_notifier.wait(30.0)
                continue
            update = state.updates[0]
            try:
                ok = await self._deliver(webhook.url, webhook.secret_token, update.to_api())
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - never let the worker die
                log.exception("webhook delivery failed unexpectedly")
                self._fail(f"Internal sandbox error: {error}")
                ok = False
            if ok:
                if state.updates and state.updates[0] is update:
                    state.updates.popleft()
                self.delivered += 1
                delay = self.retry_base
                continue
            await asyncio.sleep(delay)
            delay = min(self.retry_max, delay * 2)

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
                reply = await _read_reply(response)
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
            await self._execute_reply(reply)
        return True

    async def _execute_reply(self, reply: dict[str, Any]) -> None:
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


async def _read_reply(response: aiohttp.ClientResponse) -> dict[str, Any] | None:
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
