"""Processed update ids: claimed once, released on failure, taken over when stale, pruned."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.middlewares import UpdateInProgress, handle_once
from models.updates import (
    STALE_AFTER,
    Claim,
    ProcessedUpdate,
    claim_update,
    finish_update,
    prune_processed_updates,
    release_update,
    utcnow,
)


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


async def test_claim_states(any_db):
    now = utcnow()
    assert await claim_update(1, now) is Claim.TAKEN
    assert await claim_update(1, now) is Claim.BUSY  # another worker has it in hand
    await finish_update(1)
    assert await claim_update(1, now) is Claim.DONE
    assert await claim_update(2, now) is Claim.TAKEN
    await release_update(2)  # it failed: a redelivery runs it again
    assert await claim_update(2, now) is Claim.TAKEN


async def test_a_claim_left_by_a_dead_worker_is_taken_over_once(any_db):
    now = utcnow()
    assert await claim_update(3, now - STALE_AFTER - timedelta(seconds=1)) is Claim.TAKEN
    results = await asyncio.gather(*(claim_update(3, now) for _ in range(5)))
    assert sorted(results) == sorted([Claim.TAKEN] + [Claim.BUSY] * 4)


async def test_concurrent_claims_of_one_update_give_it_to_one(any_db):
    results = await asyncio.gather(*(claim_update(4) for _ in range(10)))
    assert results.count(Claim.TAKEN) == 1


async def test_handle_once_runs_once_and_releases_on_failure(any_db):
    runs = []

    async def work():
        runs.append(1)
        return "done"

    async def boom():
        raise RuntimeError("transient")

    assert await handle_once(10, work) == "done"
    assert await handle_once(10, work) is None
    assert runs == [1]
    with pytest.raises(RuntimeError):
        await handle_once(11, boom)
    assert not await ProcessedUpdate.exists(update_id=11)
    assert await handle_once(11, work) == "done"

    started, release = asyncio.Event(), asyncio.Event()

    async def slow():
        started.set()
        await release.wait()

    first = asyncio.create_task(handle_once(12, slow))
    await started.wait()
    with pytest.raises(UpdateInProgress):
        await handle_once(12, work)
    release.set()
    await first


async def test_cancelled_handling_releases_the_claim(any_db):
    started = asyncio.Event()

    async def forever():
        started.set()
        await asyncio.sleep(3600)

    task = asyncio.create_task(handle_once(13, forever))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not await ProcessedUpdate.exists(update_id=13)


async def test_prune_keeps_recent_ids(any_db):
    now = utcnow()
    await claim_update(20, now - timedelta(days=4))
    await claim_update(21, now - timedelta(days=1))
    assert await prune_processed_updates(now) == 1
    assert await ProcessedUpdate.all().values_list("update_id", flat=True) == [21]
