"""The outbox: every notification to someone other than the user in front of the bot.

One row is one message to one chat. Callers :func:`enqueue` rows, the delivery
worker (``bot.delivery``) claims them one at a time and records the outcome::

    queued ──claim──▶ sending ──▶ sent
    retry  ──claim──▶ sending ──▶ retry (transient failure, later) | dead (permanent failure)
    queued | retry ──cancel──▶ cancelled
    sending ──worker crashed, recovered──▶ retry

Payload decision: the text is rendered, in the recipient's language, when the
row is enqueued (``models.members.preferred_locale`` picks the language). So the
worker needs no i18n and no domain lookups, and a notification says what was
true when it was created, even if it waits in the queue. The text is Telegram
HTML (the worker sends with ``parse_mode=HTML``): escape user-provided parts
with ``html.escape``. ``reply_markup`` is an inline keyboard as a Bot API dict,
e.g. ``builder.as_markup().model_dump(mode="json", exclude_none=True)``.

Claims are race-free on every backend. On SQLite, where ``select_for_update``
does nothing, a claim is a conditional UPDATE that counts the rows it changed.
On PostgreSQL the candidate is locked with ``SELECT ... FOR UPDATE SKIP
LOCKED``, so several workers drain one outbox without contending for the same
row. Every later transition is also a conditional UPDATE from the state the
caller holds, so a stale actor (a worker whose claim expired, a cancel racing a
claim) changes nothing and learns it from the return value.

Times are UTC.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models.members import TelegramUser


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"
    CANCELLED = "cancelled"


#: Rows a worker may claim once they are due.
WAITING = (OutboxStatus.QUEUED, OutboxStatus.RETRY)


class OutboxMessage(Model):
    """One notification to one chat and where it is on its way to Telegram."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=64, db_index=True)  # e.g. "pledge.returned", "broadcast"
    chat_id = fields.BigIntField()
    telegram_user: fields.ForeignKeyNullableRelation[TelegramUser] = fields.ForeignKeyField(
        "models.TelegramUser", related_name="outbox_messages", null=True,
        on_delete=fields.SET_NULL,
    )
    broadcast_id = fields.IntField(null=True, db_index=True)
    text = fields.TextField()
    reply_markup = fields.JSONField(null=True)
    # Enqueuing a key that exists returns the existing row instead of adding one.
    dedup_key = fields.CharField(max_length=200, null=True, unique=True)
    status = fields.CharEnumField(
        OutboxStatus, max_length=16, default=OutboxStatus.QUEUED,
        db_default=OutboxStatus.QUEUED.value, db_index=True,
    )
    attempts = fields.IntField(default=0, db_default=0)  # claims so far, crashed ones included
    last_error = fields.TextField(null=True)
    # When a waiting row becomes due. NULL for every row that is not waiting, so the
    # claim's index holds only the rows a worker may pick.
    next_attempt_at = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=64, null=True)  # the worker of the latest claim
    # While sending: when recovery may take the row back from a worker that died.
    lease_expires_at = fields.DatetimeField(null=True)
    telegram_message_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)  # reached sent, dead or cancelled

    class Meta:
        table = "outbox"
        indexes = (("next_attempt_at", "id"),)

    def __str__(self) -> str:
        return f"outbox #{self.id} ({self.kind} to {self.chat_id}, {self.status})"


def utcnow() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- enqueue


async def enqueue(
    chat_id: int,
    text: str,
    *,
    kind: str,
    reply_markup: dict[str, Any] | None = None,
    dedup_key: str | None = None,
    telegram_user_id: int | None = None,
    broadcast_id: int | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Queue ``text`` (Telegram HTML, already in the recipient's language) for ``chat_id``.

    With a ``dedup_key`` this is idempotent: the first row enqueued under a key
    is returned for every later call with that key, whatever its status, also
    when two callers race. Choose keys that name the logical notification, e.g.
    ``f"pledge-returned:{pledge.id}:{review.id}"``.
    """
    if not text.strip():
        raise ValueError("a notification needs a text")
    row = {
        "chat_id": chat_id,
        "text": text,
        "kind": kind,
        "reply_markup": reply_markup,
        "dedup_key": dedup_key,
        "telegram_user_id": telegram_user_id,
        "broadcast_id": broadcast_id,
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": not_before or utcnow(),
    }
    if dedup_key is None:
        return await OutboxMessage.create(**row)
    existing = await OutboxMessage.get_or_none(dedup_key=dedup_key)
    if existing is not None:
        return existing
    try:
        # A savepoint when the caller is in a transaction: on PostgreSQL a failed
        # INSERT would otherwise abort the caller's whole transaction.
        async with in_transaction():
            return await OutboxMessage.create(**row)
    except IntegrityError:
        existing = await OutboxMessage.get_or_none(dedup_key=dedup_key)
        if existing is None:  # not the key: e.g. an unknown telegram_user_id
            raise
        return existing


# --------------------------------------------------------------------------- claiming


async def claim_next(
    worker_id: str, now: datetime, lease: timedelta, *, exclude_chats: Collection[int] = ()
) -> OutboxMessage | None:
    """Claim the oldest due row (skipping ``exclude_chats``) for ``worker_id``, or return None.

    The claim moves the row to ``sending``, counts an attempt and holds it until
    ``now + lease``: after that :func:`recover_stale_claims` may give it back.
    """
    due = OutboxMessage.filter(status__in=WAITING, next_attempt_at__lte=now)
    if exclude_chats:
        due = due.exclude(chat_id__in=list(exclude_chats))
    due = due.order_by("next_attempt_at", "id")
    if OutboxMessage._meta.db.capabilities.support_for_update:
        return await _claim_locked(due, worker_id, now, lease)
    return await _claim_optimistic(due, worker_id, now, lease)


async def _claim_locked(
    due: QuerySet[OutboxMessage], worker_id: str, now: datetime, lease: timedelta
) -> OutboxMessage | None:
    async with in_transaction():
        candidate = await due.select_for_update(skip_locked=True).first()
        if candidate is None or not await _take(candidate, worker_id, now, lease):
            return None
        return candidate


async def _claim_optimistic(
    due: QuerySet[OutboxMessage], worker_id: str, now: datetime, lease: timedelta
) -> OutboxMessage | None:
    while True:
        candidate = await due.first()
        if candidate is None:
            return None
        if await _take(candidate, worker_id, now, lease):
            return candidate
        # Claimed or cancelled by someone else between our read and our update: next one.


async def _take(message: OutboxMessage, worker_id: str, now: datetime, lease: timedelta) -> bool:
    changes = {
        "status": OutboxStatus.SENDING,
        "claimed_by": worker_id,
        "attempts": message.attempts + 1,
        "lease_expires_at": now + lease,
        "next_attempt_at": None,
    }
    taken = await OutboxMessage.filter(
        id=message.id, status__in=WAITING, attempts=message.attempts
    ).update(**changes)
    if taken:
        message.update_from_dict(changes)
    return bool(taken)


# --------------------------------------------------------------------------- outcomes of a claim


def _held(message: OutboxMessage) -> QuerySet[OutboxMessage]:
    """The row, if the claim ``message`` was read from still holds it."""
    return OutboxMessage.filter(
        id=message.id,
        status=OutboxStatus.SENDING,
        claimed_by=message.claimed_by,
        attempts=message.attempts,
    )


async def _settle(message: OutboxMessage, **changes: Any) -> bool:
    changes["lease_expires_at"] = None
    if not await _held(message).update(**changes):
        return False
    message.update_from_dict(changes)
    return True


async def mark_sent(
    message: OutboxMessage, telegram_message_id: int, now: datetime | None = None
) -> bool:
    """Record the delivery. False if this claim no longer holds the row."""
    return await _settle(
        message,
        status=OutboxStatus.SENT,
        telegram_message_id=telegram_message_id,
        finished_at=now or utcnow(),
    )


async def mark_retry(message: OutboxMessage, error: str, next_attempt_at: datetime) -> bool:
    """Give the row back to be claimed again at ``next_attempt_at``."""
    return await _settle(
        message, status=OutboxStatus.RETRY, last_error=error, next_attempt_at=next_attempt_at
    )


async def mark_dead(message: OutboxMessage, error: str, now: datetime | None = None) -> bool:
    """Give up on the row for good."""
    return await _settle(
        message, status=OutboxStatus.DEAD, last_error=error, finished_at=now or utcnow()
    )


async def mark_unreachable(message: OutboxMessage, error: str, now: datetime | None = None) -> bool:
    """The recipient blocked the bot or is gone: the row is dead and the user unreachable.

    ``TelegramUser.unreachable_since`` is cleared when the user writes to the bot again.
    """
    now = now or utcnow()
    async with in_transaction():
        if not await mark_dead(message, error, now):
            return False
        # A private chat's id is its user's id, so rows without telegram_user still find them.
        user_id = message.telegram_user_id or message.chat_id
        await TelegramUser.filter(id=user_id, unreachable_since=None).update(unreachable_since=now)
    return True


async def extend_lease(message: OutboxMessage, until: datetime) -> bool:
    """Keep holding a claimed row until ``until`` (e.g. while waiting out a 429)."""
    if not await _held(message).update(lease_expires_at=until):
        return False
    message.lease_expires_at = until
    return True


# --------------------------------------------------------------------------- recovery


async def recover_stale_claims(now: datetime | None = None) -> int:
    """Give back rows whose claim's lease has expired (their worker died). Returns how many."""
    now = now or utcnow()
    stale = OutboxMessage.filter(status=OutboxStatus.SENDING, lease_expires_at__lt=now)
    return await _requeue(stale, now, "lease expired: the worker died before recording the outcome")


async def release_claims(worker_id: str, now: datetime | None = None) -> int:
    """Give back every row claimed by ``worker_id``: called by that worker when it starts,
    since anything it still holds was left by its previous, crashed run."""
    held = OutboxMessage.filter(status=OutboxStatus.SENDING, claimed_by=worker_id)
    return await _requeue(held, now or utcnow(), "taken back at restart: the worker died sending")


async def _requeue(claimed: QuerySet[OutboxMessage], now: datetime, reason: str) -> int:
    return await claimed.update(
        status=OutboxStatus.RETRY, next_attempt_at=now, lease_expires_at=None, last_error=reason
    )


# --------------------------------------------------------------------------- queries for callers


async def cancel(queryset: QuerySet[OutboxMessage], now: datetime | None = None) -> int:
    """Cancel the rows of ``queryset`` that are still waiting. Returns how many.

    A row being sent right now is not stopped: it ends as sent or failed.
    """
    return await queryset.filter(status__in=WAITING).update(
        status=OutboxStatus.CANCELLED, next_attempt_at=None, finished_at=now or utcnow()
    )


async def status_counts(queryset: QuerySet[OutboxMessage] | None = None) -> dict[OutboxStatus, int]:
    """Rows per status (every status present, zeros included), e.g. for one broadcast."""
    queryset = queryset if queryset is not None else OutboxMessage.all()
    rows = await queryset.annotate(n=Count("id")).group_by("status").values_list("status", "n")
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update({OutboxStatus(status): n for status, n in rows})
    return counts


async def has_waiting() -> bool:
    """Whether any row is queued or waiting for a retry (due or not)."""
    return await OutboxMessage.filter(status__in=WAITING).exists()
