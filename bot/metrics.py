"""Prometheus metrics of the bot: updates handled, handler latency, outbox delivery.

The metric objects live in prometheus_client's default registry, one set per process; the
panel's and the ops listener's ``/metrics`` (``admin/views/health.py``) expose them together
with the outbox rows by status, counted at scrape time.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from prometheus_client import Counter, Gauge, Histogram

from xianfeng.logging import update_id_var

UPDATES = Counter(
    "xianfeng_updates",
    "Telegram updates handled, by update type and outcome (handled, unhandled, error)",
    ["type", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "xianfeng_update_handler_seconds",
    "Time to handle one update (middlewares and handler), by update type",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
OUTBOX_SENT = Counter(
    "xianfeng_outbox_sent", "Outbox messages sent to Telegram (rate() gives sends per second)"
)
OUTBOX_FAILED = Counter(
    "xianfeng_outbox_failed",
    "Outbox send failures by outcome (retry, dead, unreachable)",
    ["outcome"],
)
TELEGRAM_429 = Counter(
    "xianfeng_telegram_rate_limited", "429 Too Many Requests answers received from the Bot API"
)
OUTBOX_ROWS = Gauge(
    "xianfeng_outbox_messages", "Outbox rows by status (counted when scraped)", ["status"]
)


class UpdateMetricsMiddleware(BaseMiddleware):
    """Outer update middleware (registered first): counts and times every update and binds its
    id to the log context, so every log line written while handling it carries ``update_id``."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        update_type = event.event_type if isinstance(event, Update) else type(event).__name__
        token = update_id_var.set(event.update_id if isinstance(event, Update) else None)
        began = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = "unhandled" if result is UNHANDLED else "handled"
            return result
        finally:
            HANDLER_SECONDS.labels(update_type).observe(time.perf_counter() - began)
            UPDATES.labels(update_type, outcome).inc()
            update_id_var.reset(token)
