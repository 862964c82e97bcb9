"""A real crash: the worker process is killed with SIGKILL mid-drain, then restarted."""

from __future__ import annotations

from collections import Counter

from bench.delivery import spawn_worker, wait_for_sends, wait_until_drained
from models.outbox import OutboxMessage, OutboxStatus, enqueue
from tests.delivery.support import accepted, register_users


async def test_sigkill_loses_nothing_and_repeats_at_most_the_message_in_flight(db, sandbox):
    expected = {(chat, f"hello {chat}") for chat in register_users(sandbox, 1, 150)}
    for chat, text in sorted(expected):
        await enqueue(chat, text, kind="test")

    worker = await spawn_worker(db, sandbox, rate=200)
    try:
        await wait_for_sends(sandbox, worker, 50)
        worker.kill()
        await worker.wait()
        worker = await spawn_worker(db, sandbox, rate=200)  # same worker id
        await wait_until_drained(sandbox, worker)
    finally:
        if worker.returncode is None:
            worker.terminate()
            await worker.wait()

    delivered = Counter(accepted(sandbox))
    assert set(delivered) == expected
    assert sum(n - 1 for n in delivered.values()) <= 1
    assert set(await OutboxMessage.all().values_list("status", flat=True)) == {OutboxStatus.SENT}
