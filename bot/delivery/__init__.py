"""Outbox delivery: the worker that sends queued notifications within Telegram's limits.

Run one per bot process, next to polling, and stop it before closing the database::

    worker = DeliveryWorker(bot, worker_id="bot-1", global_rate=28, per_chat_interval=1.0)
    task = asyncio.create_task(worker.run(), name="outbox-delivery")
    ...
    await worker.stop()  # lets the send in flight finish and be recorded
    await task

- :mod:`.pacing`  the global token bucket and the per-chat cooldown
- :mod:`.worker`  :class:`DeliveryWorker`
"""

from bot.delivery.worker import DeliveryStats, DeliveryWorker

__all__ = ["DeliveryStats", "DeliveryWorker"]
