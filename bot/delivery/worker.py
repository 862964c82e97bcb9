"""The delivery worker: drains the outbox (``models.outbox``) within Telegram's limits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup, Message
from pydantic import ValidationError

from bot import metrics
from bot.delivery.pacing import ChatCooldown, TokenBucket
from models.outbox import (
    OutboxMessage,
    claim_next,
    extend_lease,
    has_waiting,
    mark_dead,
    mark_retry,
    mark_sent,
    mark_unreachable,
    recover_stale_claims,
    release_claims,
    utcnow,
)

log = logging.getLogger(__name__)

#: Failures that no retry can fix: the row is dead at once.
PERMANENT_ERRORS = (TelegramBadRequest, TelegramMigrateToChat, ValidationError)


@dataclass
class DeliveryStats:
    """What one worker did since it was created."""

    sent: int = 0
    retried: int = 0  # transient failures given back for a later attempt
    dead: int = 0  # unreachable included
    unreachable: int = 0  # 403: the user blocked the bot or is gone
    rate_limited: int = 0  # 429s received


class DeliveryWorker:
    """Sends outbox rows one at a time: at most ``global_rate`` per second overall, one
    per ``per_chat_interval`` seconds per private chat and one per ``per_group_interval``
    seconds per group, skipping to other chats' rows meanwhile.

    Outcomes: a 429 pauses all sending for ``retry_after`` and retries the same
    row. A 403 (blocked, deactivated) kills the row and marks the user
    unreachable. A 400 (chat not found, bad HTML ...) or an invalid keyboard kills
    it. Anything else (network errors, 5xx) is retried with exponential backoff
    and jitter until ``max_attempts`` claims, then the row is dead.

    One message is in flight at a time. That is what bounds a crash: killed at
    any moment, the worker leaves at most one row that Telegram may have
    accepted but the outbox does not know as sent, and that row is sent again
    after the restart. (A database failure while recording an outcome leaves
    the row claimed in the same way.) The price is throughput against real
    Telegram: one round trip plus three small queries per message, so at
    50-150 ms per sendMessage a worker manages roughly 6-19 messages per second,
    under the 28/s budget. On PostgreSQL more workers can drain the same outbox
    (split the global rate between them: Telegram's limit is per bot). Each
    worker paces its own sends only, so two workers may now and then hit one
    chat within a second, and Telegram's 429 is then honoured like any other.
    Groups (negative chat ids), which Telegram limits to 20 messages a minute, wait
    ``per_group_interval`` seconds (3 by default) between two messages instead;
    ``clock`` (monotonic seconds) times these per-chat pauses.

    ``worker_id`` must be unique among running workers. If it is also stable
    across restarts, the worker takes back at start whatever row its previous
    run held when it died. Otherwise (or if that worker never comes back) the
    row returns when its ``lease`` expires, found by any worker's periodic
    recovery. A send times out after a quarter of the lease, so a live worker
    never loses its claim in the middle of a send.
    """

    def __init__(
        self,
        bot: Bot,
        *,
        worker_id: str,
        global_rate: float = 28.0,
        per_chat_interval: float = 1.0,
        per_group_interval: float = 3.0,
        max_attempts: int = 8,
        lease: timedelta = timedelta(minutes=2),
        idle_poll: float = 0.5,
        retry_base: float = 5.0,
        retry_cap: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.bot = bot
        self.worker_id = worker_id
        self.max_attempts = max_attempts
        self.lease = lease
        self.idle_poll = idle_poll
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.stats = DeliveryStats()
        self._send_timeout = max(1, int(lease.total_seconds() / 4))
        self._bucket = TokenBucket(global_rate)
        self._cooldown = ChatCooldown(per_chat_interval, clock, group_interval=per_group_interval)
        self._next_recovery: float | None = None  # None: own claims not yet released
        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopped.set()
        self._current: OutboxMessage | None = None  # the row being sent

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        """Deliver until :meth:`stop` is called. Errors are logged and retried, never raised."""
        await self._loop(until_idle=False)

    async def drain(self) -> None:
        """Deliver until no row is waiting, waiting out rows scheduled for later (tests, bench)."""
        await self._loop(until_idle=True)

    async def stop(self) -> None:
        """Let the send in flight finish and be recorded, then return once the worker is idle.

        A stopped worker stays stopped: make a new one to deliver again.
        """
        self._stopping.set()
        await self._stopped.wait()

    async def shutdown(self, running: asyncio.Task[None], timeout: float = 10.0) -> bool:
        """Stop for good within about ``timeout`` seconds (graceful shutdown).

        The send in flight finishes and is recorded if it can in that time; otherwise it is
        cancelled and its row goes back to the queue, due now, for another worker (or this
        one after a restart). Only the row this worker instance holds is touched, so a
        worker id shared by mistake cannot take back another process's claim. Returns
        whether a row was given back (it may have reached Telegram: at most that one is sent
        twice, as after a crash).
        """
        self._stopping.set()
        done, _ = await asyncio.wait({running}, timeout=timeout)
        if done:
            return False
        held = self._current
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        if held is None:
            return False
        released = await mark_retry(held, "given back at shutdown: the send was cut off", utcnow())
        if released:
            log.warning("delivery worker %s: gave back outbox #%s at shutdown", self.worker_id, held.id)
        return released

    async def _loop(self, *, until_idle: bool) -> None:
        self._stopped.clear()
        try:
            while not self._stopping.is_set():
                try:
                    await self._recover_if_due()
                    if await self.step():
                        continue
                    if until_idle and not await has_waiting():
                        return
                except Exception:
                    log.exception("delivery worker %s: step failed", self.worker_id)
                await self._sleep(self._idle_wait())
        finally:
            self._stopped.set()

    async def _recover_if_due(self) -> None:
        if self._next_recovery is None:
            if released := await release_claims(self.worker_id):
                log.warning("delivery worker %s: took back %d row(s) from its previous run",
                            self.worker_id, released)
        elif time.monotonic() < self._next_recovery:
            return
        if recovered := await recover_stale_claims():
            log.warning("delivery worker %s: recovered %d row(s) with expired leases",
                        self.worker_id, recovered)
        self._next_recovery = time.monotonic() + self.lease.total_seconds() / 2

    def _idle_wait(self) -> float:
        cooling = self._cooldown.next_free_in()
        return self.idle_poll if cooling is None else min(self.idle_poll, cooling)

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopped meanwhile; True if the worker is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    # ------------------------------------------------------------------ one message

    async def step(self) -> bool:
        """Claim one due row and deliver it. False when no row was due."""
        message = await claim_next(
            self.worker_id, utcnow(), self.lease, exclude_chats=self._cooldown.cooling()
        )
        if message is None:
            return False
        self._current = message
        try:
            await self._deliver(message)
        finally:
            self._current = None
        return True

    async def _deliver(self, message: OutboxMessage) -> None:
        while True:
            await asyncio.sleep(self._bucket.delay())
            self._bucket.take()
            try:
                sent = await self._send(message)
            except TelegramRetryAfter as error:
                self.stats.rate_limited += 1
                metrics.TELEGRAM_429.inc()
                if await self._pause(message, error.retry_after):
                    continue  # the same row, after the pause
                return
            except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
                await self._fail(message, error)
                return
            finally:
                self._cooldown.start(message.chat_id)
            self._check(await mark_sent(message, sent.message_id), message)
            self.stats.sent += 1
            metrics.OUTBOX_SENT.inc()
            return

    async def _send(self, message: OutboxMessage) -> Message:
        markup = (
            InlineKeyboardMarkup.model_validate(message.reply_markup)
            if message.reply_markup else None
        )
        return await self.bot.send_message(
            message.chat_id,
            message.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            request_timeout=self._send_timeout,
        )

    async def _pause(self, message: OutboxMessage, retry_after: int) -> bool:
        """Hold all sending for ``retry_after`` seconds, keeping the row.

        False if the row must be left: the worker is stopping (the row is given
        back, due when the pause ends) or the claim was lost.
        """
        log.warning("delivery worker %s: 429, pausing all sends for %d s",
                    self.worker_id, retry_after)
        resume_at = utcnow() + timedelta(seconds=retry_after)
        if not self._check(await extend_lease(message, resume_at + self.lease), message):
            return False
        if not await self._sleep(retry_after):
            return True
        self._check(await mark_retry(message, f"rate limited: retry after {retry_after} s",
                                     resume_at), message)
        return False

    async def _fail(self, message: OutboxMessage, error: Exception) -> None:
        description = f"{type(error).__name__}: {error}"
        if not isinstance(error, (TelegramAPIError, ValidationError)):
            log.error("delivery worker %s: unexpected error sending outbox #%s",
                      self.worker_id, message.id, exc_info=error)
        if isinstance(error, TelegramForbiddenError):
            self.stats.unreachable += 1
            metrics.OUTBOX_FAILED.labels("unreachable").inc()
            recorded = await mark_unreachable(message, description)
        elif isinstance(error, PERMANENT_ERRORS) or message.attempts >= self.max_attempts:
            metrics.OUTBOX_FAILED.labels("dead").inc()
            recorded = await mark_dead(message, description)
        else:
            self.stats.retried += 1
            metrics.OUTBOX_FAILED.labels("retry").inc()
            retry_at = utcnow() + self._backoff(message.attempts)
            self._check(await mark_retry(message, description, retry_at), message)
            return
        self.stats.dead += 1
        log.warning("delivery worker %s: outbox #%s is dead after %d attempt(s): %s",
                    self.worker_id, message.id, message.attempts, description)
        self._check(recorded, message)

    def _backoff(self, attempts: int) -> timedelta:
        """Exponential in the attempts made, with jitter so failed rows don't retry in lockstep."""
        delay = min(self.retry_cap, self.retry_base * math.pow(2, attempts - 1))
        return timedelta(seconds=delay * random.uniform(0.5, 1.0))

    def _check(self, recorded: bool, message: OutboxMessage) -> bool:
        if not recorded:
            log.warning("delivery worker %s: lost the claim on outbox #%s before recording "
                        "its outcome", self.worker_id, message.id)
        return recorded
