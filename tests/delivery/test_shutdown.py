"""Graceful shutdown of the delivery worker: bounded, and a send cut off goes back to the queue."""

from __future__ import annotations

import asyncio

from bot.delivery import DeliveryWorker
from bot.sandbox.testing import sandbox_bot
from models.outbox import OutboxMessage, OutboxStatus, enqueue, utcnow
from tests.delivery.support import FAST, ScriptedBotApi


async def test_a_send_still_hanging_at_the_deadline_is_cut_off_and_given_back(db):
    gate = asyncio.Event()  # never set: Telegram does not answer
    async with ScriptedBotApi(gate=gate) as api:
        bot = sandbox_bot(api.url, "1:scripted")
        row = await enqueue(7101, "hello", kind="test")
        other = await enqueue(7102, "claimed by another process", kind="test")
        # The same worker id by mistake in another process, mid-send: not ours to give back.
        await OutboxMessage.filter(id=other.id).update(status=OutboxStatus.SENDING, claimed_by="shared",
                                                       attempts=1, next_attempt_at=None)
        worker = DeliveryWorker(bot, worker_id="shared", **FAST)
        worker._next_recovery = 0.0  # skip the start-up take-back of this id's claims
        running = asyncio.create_task(worker.run())
        while api.calls == 0:
            await asyncio.sleep(0.01)
        assert await worker.shutdown(running, timeout=0.2) is True
        assert running.done()
        gate.set()
        await bot.session.close()

    stored = await OutboxMessage.get(id=row.id)
    assert stored.status == OutboxStatus.RETRY and stored.next_attempt_at <= utcnow()
    assert "shutdown" in stored.last_error
    assert (await OutboxMessage.get(id=other.id)).status == OutboxStatus.SENDING


async def test_a_send_finishing_in_time_is_recorded_and_nothing_given_back(db):
    gate = asyncio.Event()
    async with ScriptedBotApi(gate=gate) as api:
        bot = sandbox_bot(api.url, "1:scripted")
        row = await enqueue(7103, "hello", kind="test")
        worker = DeliveryWorker(bot, worker_id="w", **FAST)
        running = asyncio.create_task(worker.run())
        while api.calls == 0:
            await asyncio.sleep(0.01)
        shutting = asyncio.create_task(worker.shutdown(running, timeout=30))
        await asyncio.sleep(0.05)
        gate.set()
        assert await shutting is False
        await bot.session.close()
    assert (await OutboxMessage.get(id=row.id)).status == OutboxStatus.SENT
