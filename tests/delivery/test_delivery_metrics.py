"""The delivery worker feeds the Prometheus counters: sends, 429s, failures."""

from __future__ import annotations

from prometheus_client import REGISTRY

from models.members import TelegramUser
from models.outbox import enqueue
from tests.delivery.support import register_users


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_sends_429s_and_failures_are_counted(db, sandbox, make_worker):
    sandbox.state.limiter.configure(enabled=True, global_rate=3, per_chat_interval=0)
    chats = register_users(sandbox, 8101, 5)
    for chat in chats:
        await enqueue(chat, f"hello {chat}", kind="test")
    blocked = chats[0] + 100
    sandbox.actions.bulk_register(start_id=blocked, count=1)
    await TelegramUser.create(id=blocked, first_name="王五")
    sandbox.actions.set_blocked(blocked, True)
    await enqueue(blocked, "hello", kind="test", telegram_user_id=blocked)
    await enqueue(8999, "nobody", kind="test")  # chat not found: dead
    before = {
        "sent": value("xianfeng_outbox_sent_total"),
        "429": value("xianfeng_telegram_rate_limited_total"),
        "unreachable": value("xianfeng_outbox_failed_total", outcome="unreachable"),
        "dead": value("xianfeng_outbox_failed_total", outcome="dead"),
    }

    worker = make_worker()
    await worker.drain()

    assert worker.stats.rate_limited > 0
    assert value("xianfeng_outbox_sent_total") - before["sent"] == worker.stats.sent == 5
    assert value("xianfeng_telegram_rate_limited_total") - before["429"] == (
        worker.stats.rate_limited
    )
    assert value("xianfeng_outbox_failed_total", outcome="unreachable") - before["unreachable"] == 1
    assert value("xianfeng_outbox_failed_total", outcome="dead") - before["dead"] == 1
