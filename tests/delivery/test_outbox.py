"""The outbox model: enqueue and de-duplication, claims, outcomes, recovery, queries.

Tests taking ``any_db`` run on SQLite and, when TEST_POSTGRES_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.members import TelegramUser, preferred_locale
from models.outbox import (
    OutboxMessage,
    OutboxStatus,
    cancel,
    claim_next,
    enqueue,
    extend_lease,
    mark_dead,
    mark_retry,
    mark_sent,
    mark_unreachable,
    recover_stale_claims,
    release_claims,
    status_counts,
    utcnow,
)

LEASE = timedelta(minutes=2)


async def claim(worker_id: str = "w1", **options) -> OutboxMessage | None:
    return await claim_next(worker_id, utcnow(), LEASE, **options)


# --------------------------------------------------------------------------- enqueue


async def test_enqueue_queues_a_due_row(db):
    row = await enqueue(101, "<b>通知</b>", kind="test", reply_markup={"inline_keyboard": []})
    stored = await OutboxMessage.get(id=row.id)
    assert stored.status is OutboxStatus.QUEUED
    assert stored.attempts == 0
    assert stored.next_attempt_at <= utcnow()
    assert stored.reply_markup == {"inline_keyboard": []}


async def test_enqueue_refuses_an_empty_text(db):
    with pytest.raises(ValueError):
        await enqueue(101, "  ", kind="test")


async def test_same_dedup_key_gives_one_row(any_db):
    first = await enqueue(101, "first", kind="test", dedup_key="pledge-returned:7:1")
    again = await enqueue(101, "second", kind="test", dedup_key="pledge-returned:7:1")
    assert again.id == first.id
    assert again.text == "first"
    assert await OutboxMessage.all().count() == 1


async def test_dedup_holds_under_concurrent_enqueues(any_db):
    rows = await asyncio.gather(
        *(enqueue(101, f"copy {i}", kind="test", dedup_key="reminder:3") for i in range(20))
    )
    assert len({row.id for row in rows}) == 1
    assert await OutboxMessage.all().count() == 1


async def test_rows_without_dedup_key_are_never_merged(db):
    await enqueue(101, "same", kind="test")
    await enqueue(101, "same", kind="test")
    assert await OutboxMessage.all().count() == 2


async def test_a_lost_race_inside_a_callers_transaction_leaves_it_usable(any_db, monkeypatch):
    """The pre-check misses a row a concurrent caller just inserted: the INSERT fails on the
    unique key, and on PostgreSQL that must not abort the caller's transaction."""
    first = await enqueue(101, "first", kind="test", dedup_key="k")
    lookup, lookups = OutboxMessage.get_or_none, 0

    async def racing_lookup(**filters):
        nonlocal lookups
        lookups += 1
        return None if lookups == 1 else await lookup(**filters)

    monkeypatch.setattr(OutboxMessage, "get_or_none", racing_lookup)
    async with in_transaction():
        again = await enqueue(101, "second", kind="test", dedup_key="k")
        await OutboxMessage.create(chat_id=102, text="after", kind="test")
    assert again.id == first.id
    assert await OutboxMessage.all().count() == 2


async def test_enqueue_reraises_integrity_errors_that_are_not_the_key(db):
    with pytest.raises(IntegrityError):
        await enqueue(101, "x", kind="test", dedup_key="k", telegram_user_id=999)


# --------------------------------------------------------------------------- claims


async def test_claim_takes_the_oldest_due_row_once(any_db):
    first = await enqueue(101, "a", kind="test")
    second = await enqueue(102, "b", kind="test")
    await enqueue(103, "later", kind="test", not_before=utcnow() + timedelta(hours=1))

    got = await claim("w1")
    assert got.id == first.id
    assert (got.status, got.claimed_by, got.attempts) == (OutboxStatus.SENDING, "w1", 1)
    assert got.lease_expires_at > utcnow()
    assert (await claim("w2")).id == second.id
    assert await claim("w3") is None  # the third is not due yet
    stored = await OutboxMessage.get(id=first.id)
    assert (stored.status, stored.claimed_by) == (OutboxStatus.SENDING, "w1")
    assert stored.next_attempt_at is None


async def test_claim_skips_excluded_chats(any_db):
    await enqueue(101, "a", kind="test")
    other = await enqueue(102, "b", kind="test")
    assert (await claim(exclude_chats={101})).id == other.id
    assert await claim(exclude_chats={101}) is None


async def test_claim_never_takes_a_cancelled_row(any_db):
    row = await enqueue(101, "a", kind="test", broadcast_id=5)
    assert await cancel(OutboxMessage.filter(broadcast_id=5)) == 1
    assert await claim() is None
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.CANCELLED


async def test_optimistic_claim_moves_on_when_it_loses_the_race(db):
    """SQLite's claim reads a candidate, then updates it only if still waiting."""
    await enqueue(101, "a", kind="test")
    await enqueue(102, "b", kind="test")
    results = await asyncio.gather(*(claim(f"w{i}") for i in range(5)))
    taken = [r for r in results if r is not None]
    assert sorted(r.chat_id for r in taken) == [101, 102]
    assert results.count(None) == 3


# --------------------------------------------------------------------------- outcomes


async def test_outcomes_are_recorded_only_by_the_claim_that_holds_the_row(any_db):
    await enqueue(101, "a", kind="test")
    stale = await claim("w1")
    later = utcnow() + LEASE + timedelta(seconds=1)
    await recover_stale_claims(now=later)
    fresh = await claim_next("w2", later, LEASE)
    assert fresh.id == stale.id and fresh.attempts == 2

    assert not await mark_sent(stale, 555)
    assert not await mark_dead(stale, "late")
    assert not await extend_lease(stale, utcnow() + LEASE)
    assert await mark_sent(fresh, 777)
    stored = await OutboxMessage.get(id=fresh.id)
    assert (stored.status, stored.telegram_message_id, stored.lease_expires_at) == (
        OutboxStatus.SENT, 777, None)
    assert stored.finished_at is not None


async def test_retry_makes_the_row_due_again_later(any_db):
    await enqueue(101, "a", kind="test")
    row = await claim()
    later = utcnow() + timedelta(minutes=5)
    assert await mark_retry(row, "TelegramServerError: Bad Gateway", later)
    assert await claim() is None
    again = await claim_next("w1", later, LEASE)
    assert again.id == row.id and again.attempts == 2
    assert again.last_error == "TelegramServerError: Bad Gateway"


async def test_unreachable_marks_the_user_and_keeps_the_first_time(db):
    user = await TelegramUser.create(id=201, first_name="李四")
    await enqueue(201, "a", kind="test", telegram_user_id=user.id)
    await enqueue(201, "b", kind="test", telegram_user_id=user.id)
    first_time = utcnow()
    blocked = "Forbidden: bot was blocked by the user"
    assert await mark_unreachable(await claim(), blocked, first_time)
    await mark_unreachable(await claim(), blocked)
    assert (await TelegramUser.get(id=201)).unreachable_since == first_time
    assert (await status_counts())[OutboxStatus.DEAD] == 2


async def test_unreachable_finds_the_user_of_a_private_chat_without_telegram_user(db):
    await TelegramUser.create(id=202, first_name="王五")
    await enqueue(202, "a", kind="test")
    await mark_unreachable(await claim(), "Forbidden: user is deactivated")
    assert (await TelegramUser.get(id=202)).unreachable_since is not None


# --------------------------------------------------------------------------- recovery


async def test_an_abandoned_claim_is_recovered_after_its_lease(any_db):
    row = await enqueue(101, "a", kind="test")
    await claim("crashed")  # ... and the worker dies before recording anything

    assert await recover_stale_claims() == 0  # the lease still runs
    assert await claim("w2") is None
    later = utcnow() + LEASE + timedelta(seconds=1)
    assert await recover_stale_claims(now=later) == 1

    stored = await OutboxMessage.get(id=row.id)
    assert stored.status is OutboxStatus.RETRY
    assert "lease expired" in stored.last_error
    again = await claim_next("w2", later, LEASE)
    assert again.id == row.id and again.attempts == 2


async def test_a_restarted_worker_releases_its_own_claims_at_once(any_db):
    mine = await enqueue(101, "a", kind="test")
    others = await enqueue(102, "b", kind="test")
    await claim("bot-1")
    await claim("bot-2")

    assert await release_claims("bot-1") == 1
    assert (await OutboxMessage.get(id=mine.id)).status is OutboxStatus.RETRY
    assert (await OutboxMessage.get(id=others.id)).status is OutboxStatus.SENDING


async def test_extended_lease_survives_recovery(any_db):
    await enqueue(101, "a", kind="test")
    row = await claim()
    assert await extend_lease(row, utcnow() + 3 * LEASE)
    assert await recover_stale_claims(now=utcnow() + 2 * LEASE) == 0


# --------------------------------------------------------------------------- queries


async def test_cancel_touches_only_waiting_rows(any_db):
    for chat in (101, 102, 103):
        await enqueue(chat, "broadcast", kind="broadcast", broadcast_id=9)
    await enqueue(104, "other", kind="broadcast", broadcast_id=10)
    in_flight = await claim()

    assert await cancel(OutboxMessage.filter(broadcast_id=9)) == 2
    counts = await status_counts(OutboxMessage.filter(broadcast_id=9))
    assert counts == {
        OutboxStatus.QUEUED: 0, OutboxStatus.SENDING: 1, OutboxStatus.SENT: 0,
        OutboxStatus.RETRY: 0, OutboxStatus.DEAD: 0, OutboxStatus.CANCELLED: 2,
    }
    assert await mark_sent(in_flight, 1)  # the one in flight still completes
    assert (await status_counts())[OutboxStatus.QUEUED] == 1


async def test_preferred_locale():
    assert preferred_locale(None, "zh_Hans") == "zh_Hans"
    chose_english = TelegramUser(id=1, locale="en", language_code="zh-hk")
    assert preferred_locale(chose_english, "zh_Hans") == "en"
    assert preferred_locale(TelegramUser(id=1, language_code="zh-hk"), "zh_Hans") == "zh_Hant"
    assert preferred_locale(TelegramUser(id=1, language_code="fr"), "zh_Hans") == "zh_Hans"
