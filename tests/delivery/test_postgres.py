"""Several workers draining one outbox on PostgreSQL (SELECT ... FOR UPDATE SKIP LOCKED).

Runs when TEST_POSTGRES_URL is set, each test on a fresh database.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import Counter
from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

import models.outbox
from models.outbox import OutboxMessage, OutboxStatus, claim_next, enqueue, utcnow
from tests.delivery.support import accepted, register_users

LEASE = timedelta(minutes=2)


@pytest.fixture
def only_row_locking_claims(monkeypatch):
    """Fail loudly if PostgreSQL claims ever fall back to the optimistic (SQLite) strategy."""

    async def refuse(*args, **kwargs):
        raise AssertionError("PostgreSQL must claim with SELECT ... FOR UPDATE SKIP LOCKED")

    monkeypatch.setattr(models.outbox, "_claim_optimistic", refuse)


async def test_a_row_locked_by_another_claimer_is_skipped_not_waited_for(
    pg_db, only_row_locking_claims
):
    first = await enqueue(101, "a", kind="test")
    second = await enqueue(102, "b", kind="test")
    async with in_transaction():
        await OutboxMessage.filter(id=first.id).select_for_update().first()  # mid-claim elsewhere
        # A fresh context: the claim must not join this transaction but use a connection of its own.
        elsewhere = asyncio.create_task(
            claim_next("w2", utcnow(), LEASE), context=contextvars.Context()
        )
        claimed = await asyncio.wait_for(elsewhere, 5)
    assert claimed.id == second.id


async def test_concurrent_claims_never_share_a_row(pg_db, only_row_locking_claims):
    rows = [await enqueue(100 + i, f"row {i}", kind="test") for i in range(40)]

    async def claimer(name: str) -> list[int]:
        claimed = []
        while (row := await claim_next(name, utcnow(), LEASE)) is not None:
            claimed.append(row.id)
        return claimed

    results = await asyncio.gather(*(claimer(f"w{i}") for i in range(8)))
    claimed = [row_id for ids in results for row_id in ids]
    assert sorted(claimed) == sorted(row.id for row in rows)  # each exactly once
    assert sum(1 for ids in results if ids) > 1  # the claimers really ran side by side


async def test_two_workers_drain_one_outbox_without_duplicates(
    pg_db, only_row_locking_claims, sandbox, make_worker
):
    chats = register_users(sandbox, 1, 100)
    for chat in chats:
        await enqueue(chat, f"first for {chat}", kind="test")
        await enqueue(chat, f"second for {chat}", kind="test")

    first, second = make_worker("bot-1"), make_worker("bot-2")
    await asyncio.wait_for(asyncio.gather(first.drain(), second.drain()), 60)

    delivered = Counter(accepted(sandbox))
    assert len(delivered) == 200 and set(delivered.values()) == {1}
    assert first.stats.sent > 0 and second.stats.sent > 0
    assert first.stats.sent + second.stats.sent == 200
    assert set(await OutboxMessage.all().values_list("status", flat=True)) == {OutboxStatus.SENT}
