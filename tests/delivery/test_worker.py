"""The delivery worker against the sandbox Bot API server (and a scripted stand-in for 5xx)."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta

from bot.delivery import DeliveryWorker
from bot.sandbox.testing import sandbox_bot
from models.members import TelegramUser
from models.outbox import OutboxMessage, OutboxStatus, claim_next, enqueue, utcnow
from tests.delivery.support import FAST, ScriptedBotApi, accepted, register_users

TIMEOUT = 30


async def drain(worker: DeliveryWorker) -> None:
    await asyncio.wait_for(worker.drain(), TIMEOUT)


async def statuses() -> list[OutboxStatus]:
    return [row.status for row in await OutboxMessage.all().order_by("id")]


async def test_sends_html_with_its_keyboard_and_records_the_message_id(db, sandbox, make_worker):
    [chat] = register_users(sandbox, 1001, 1)
    keyboard = {"inline_keyboard": [[{"text": "查看", "callback_data": "pl:7"}]]}
    row = await enqueue(chat, "<b>承诺</b>已退回", kind="pledge.returned", reply_markup=keyboard)

    await drain(make_worker())

    [message] = [m for m in sandbox.actions.transcript(chat)["messages"] if m["from_bot"]]
    assert message["text"] == "承诺已退回"
    assert message["entities"][0]["type"] == "bold"
    assert message["reply_markup"] == keyboard
    stored = await OutboxMessage.get(id=row.id)
    assert (stored.status, stored.telegram_message_id) == (OutboxStatus.SENT, message["message_id"])


async def test_telegrams_limits_are_respected(db, sandbox, bot):
    """The real limits, 30/s overall and 1/s per chat, against 60 messages: 10 chats get
    two each (queued first, back to back) and 40 chats one each, so both limits bind."""
    sandbox.state.limiter.configure(enabled=True, global_rate=30, per_chat_interval=1.0)
    chats = register_users(sandbox, 2001, 50)
    for chat in chats[:10]:
        await enqueue(chat, f"first for {chat}", kind="test")
        await enqueue(chat, f"second for {chat}", kind="test")
    for chat in chats[10:]:
        await enqueue(chat, f"only one for {chat}", kind="test")

    worker = DeliveryWorker(bot, worker_id="limits", idle_poll=0.02)  # default rates
    await drain(worker)

    log = sandbox.state.send_log
    assert len(log.accepted()) == 60
    assert [r for r in log if not r.ok] == []  # not a single 429
    assert log.max_in_window(1.0) <= 30
    assert max(log.max_per_chat_in_window(1.0).values()) == 1
    assert worker.stats.sent == 60


async def test_a_chat_cooling_down_does_not_hold_up_the_others(db, sandbox, make_worker):
    busy, other = register_users(sandbox, 3001, 2)
    await enqueue(busy, "busy 1", kind="test")
    await enqueue(busy, "busy 2", kind="test")
    await enqueue(other, "other 1", kind="test")

    await drain(make_worker(per_chat_interval=0.3))

    assert accepted(sandbox) == [(busy, "busy 1"), (other, "other 1"), (busy, "busy 2")]


async def test_429_pauses_all_sending_and_retries_the_same_row(db, sandbox, make_worker):
    sandbox.state.limiter.configure(enabled=True, global_rate=3, per_chat_interval=0)
    for chat in register_users(sandbox, 4001, 5):
        await enqueue(chat, f"hello {chat}", kind="test")

    worker = make_worker()
    await drain(worker)

    log = list(sandbox.state.send_log)
    refused = [i for i, r in enumerate(log) if r.outcome == "429"]
    assert refused and worker.stats.rate_limited == len(refused)
    for i in refused:
        retry = log[i + 1]
        assert (retry.chat_id, retry.text) == (log[i].chat_id, log[i].text)
        assert retry.t >= log[i].t + log[i].retry_after  # nothing at all was sent meanwhile
    assert sorted(accepted(sandbox)) == [(chat, f"hello {chat}") for chat in range(4001, 4006)]
    assert await statuses() == [OutboxStatus.SENT] * 5


async def test_403_kills_the_row_and_marks_the_user_unreachable(db, sandbox, make_worker):
    blocked, fine = register_users(sandbox, 5001, 2)
    await TelegramUser.create(id=blocked, first_name="李四")
    sandbox.actions.set_blocked(blocked, True)
    row = await enqueue(blocked, "hello", kind="test", telegram_user_id=blocked)
    await enqueue(fine, "hello", kind="test")

    worker = make_worker()
    await drain(worker)

    stored = await OutboxMessage.get(id=row.id)
    assert stored.status is OutboxStatus.DEAD and stored.attempts == 1
    assert "blocked" in stored.last_error
    assert (await TelegramUser.get(id=blocked)).unreachable_since is not None
    assert accepted(sandbox) == [(fine, "hello")]
    assert (worker.stats.unreachable, worker.stats.dead, worker.stats.sent) == (1, 1, 1)


async def test_bad_requests_are_permanent(db, sandbox, make_worker):
    [known] = register_users(sandbox, 6001, 1)
    unknown = await enqueue(6999, "hello", kind="test")
    bad_html = await enqueue(known, "<b>unclosed", kind="test")
    bad_keyboard = await enqueue(known, "hello", kind="test", reply_markup={"inline_keyboard": 5})

    await drain(make_worker())

    errors = {row.id: row.last_error for row in await OutboxMessage.all()}
    assert "chat not found" in errors[unknown.id]
    assert "can't parse entities" in errors[bad_html.id]
    assert "ValidationError" in errors[bad_keyboard.id]
    assert await statuses() == [OutboxStatus.DEAD] * 3
    assert {row.attempts for row in await OutboxMessage.all()} == {1}


async def test_network_errors_retry_with_backoff_then_give_up(db):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = sandbox_bot(f"http://127.0.0.1:{port}", "1:unreachable")
    row = await enqueue(7001, "hello", kind="test")
    worker = DeliveryWorker(bot, worker_id="net", **{**FAST, "max_attempts": 3})
    try:
        await drain(worker)
    finally:
        await bot.session.close()

    stored = await OutboxMessage.get(id=row.id)
    assert (stored.status, stored.attempts) == (OutboxStatus.DEAD, 3)
    assert "TelegramNetworkError" in stored.last_error
    assert (worker.stats.retried, worker.stats.dead) == (2, 1)


async def test_server_errors_are_retried_until_sent(db):
    failures = [(502, "Bad Gateway"), (500, "Internal Server Error")]
    async with ScriptedBotApi(failures) as api:
        bot = sandbox_bot(api.url, "1:scripted")
        row = await enqueue(7002, "hello", kind="test")
        worker = DeliveryWorker(bot, worker_id="5xx", **FAST)
        await drain(worker)
        await bot.session.close()

    stored = await OutboxMessage.get(id=row.id)
    assert (stored.status, stored.attempts, stored.telegram_message_id) == (OutboxStatus.SENT, 3, 3)
    assert "Internal Server Error" in stored.last_error  # the last failure stays for the record
    assert worker.stats.retried == 2


async def test_stop_lets_the_send_in_flight_finish(db):
    gate = asyncio.Event()
    async with ScriptedBotApi(gate=gate) as api:
        bot = sandbox_bot(api.url, "1:scripted")
        row = await enqueue(7003, "hello", kind="test")
        await enqueue(7004, "not started before the stop", kind="test")
        worker = DeliveryWorker(bot, worker_id="stopping", **FAST)
        running = asyncio.create_task(worker.run())
        while api.calls == 0:
            await asyncio.sleep(0.01)

        stopping = asyncio.create_task(worker.stop())
        await asyncio.sleep(0.05)
        assert not stopping.done()  # waits for the answer to the send in flight
        gate.set()
        await asyncio.wait_for(stopping, TIMEOUT)
        await running
        await bot.session.close()

    assert await statuses() == [OutboxStatus.SENT, OutboxStatus.QUEUED]
    assert (await OutboxMessage.get(id=row.id)).telegram_message_id == 1


async def test_stop_during_a_429_pause_gives_the_row_back(db, sandbox, make_worker):
    sandbox.state.limiter.configure(enabled=True, global_rate=1, per_chat_interval=0)
    first, second = register_users(sandbox, 8001, 2)
    await enqueue(first, "one", kind="test")
    row = await enqueue(second, "two", kind="test")
    worker = make_worker()
    running = asyncio.create_task(worker.run())
    while worker.stats.rate_limited == 0:
        await asyncio.sleep(0.01)

    await asyncio.wait_for(worker.stop(), TIMEOUT)
    await running

    stored = await OutboxMessage.get(id=row.id)
    assert stored.status is OutboxStatus.RETRY
    assert stored.next_attempt_at > utcnow()  # due when Telegram's pause ends
    assert "rate limited" in stored.last_error


async def test_a_restarted_worker_resends_the_row_its_crashed_run_held(
    db, sandbox, bot, make_worker
):
    """The crash bound: the row in flight at a crash is sent again, once; nothing else is."""
    chats = register_users(sandbox, 9001, 3)
    for chat in chats:
        await enqueue(chat, f"hello {chat}", kind="test")
    crashed = await claim_next("bot-1", utcnow(), timedelta(minutes=2))
    # The crashed run had sent it: Telegram got it, the outbox never heard back.
    await bot.send_message(crashed.chat_id, crashed.text)

    await drain(make_worker("bot-1"))

    delivered = accepted(sandbox)
    assert sorted(set(delivered)) == [(chat, f"hello {chat}") for chat in chats]
    assert len(delivered) == len(chats) + 1  # the single in-flight row, twice
    assert await statuses() == [OutboxStatus.SENT] * 3


async def test_rows_of_a_worker_that_never_returns_are_recovered_after_the_lease(
    db, sandbox, make_worker
):
    [chat] = register_users(sandbox, 9101, 1)
    await enqueue(chat, "hello", kind="test")
    await claim_next("gone-for-good", utcnow(), timedelta(0))  # its lease ends at once

    await drain(make_worker("bot-2"))

    assert accepted(sandbox) == [(chat, "hello")]
    assert (await OutboxMessage.get(chat_id=chat)).claimed_by == "bot-2"


# --------------------------------------------------------------------------- groups


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_groups_cool_down_longer_than_private_chats():
    from bot.delivery.pacing import ChatCooldown

    clock = FakeClock()
    cooldown = ChatCooldown(1.0, clock, group_interval=3.0)
    cooldown.start(42)
    cooldown.start(-4000000001)
    assert cooldown.cooling() == {42, -4000000001}
    clock.now += 1.0
    assert cooldown.cooling() == {-4000000001}  # a private chat is free after 1 s
    assert cooldown.next_free_in() == 2.0
    clock.now += 1.99
    assert cooldown.cooling() == {-4000000001}
    clock.now += 0.01
    assert cooldown.cooling() == set()  # a group only after 3 s: 20 messages a minute
    # Without a group interval, groups pace like private chats.
    assert ChatCooldown(1.0).interval_for(-5) == 1.0


async def test_a_group_gets_one_message_per_group_interval_while_others_go_on(db, sandbox, make_worker):
    """The worker's clock is ours: which row it may claim at each step is decided by the
    group's next free time, not by how fast the test runs."""
    [user] = register_users(sandbox, 5001, 1)
    group = sandbox.actions.create_group("义诊群", member_ids=[user], with_bot=True, by_user_id=user).id
    assert group < 0
    for n in (1, 2, 3):
        await enqueue(group, f"group {n}", kind="test")
    await enqueue(user, "private 1", kind="test")
    await enqueue(user, "private 2", kind="test")

    clock = FakeClock()
    worker = make_worker(per_chat_interval=1.0, per_group_interval=3.0, clock=clock)
    assert await worker.step()  # group 1
    assert await worker.step()  # the group cools down: private 1
    assert not await worker.step()  # both cool down: nothing may be claimed
    clock.now += 1.0
    assert await worker.step()  # private 2: the private chat is free after 1 s
    clock.now += 1.5
    assert not await worker.step()  # 2.5 s after group 1: still too early for the group
    clock.now += 0.5
    assert await worker.step()  # group 2, 3 s after group 1
    clock.now += 2.9
    assert not await worker.step()
    clock.now += 0.1
    assert await worker.step()  # group 3
    assert accepted(sandbox) == [
        (group, "group 1"), (user, "private 1"), (user, "private 2"), (group, "group 2"),
        (group, "group 3"),
    ]
    assert await statuses() == [OutboxStatus.SENT] * 5


async def test_the_group_interval_comes_from_the_settings():
    from xianfeng.settings import Settings

    assert Settings(_env_file=None).delivery_per_group_interval == 3.0
    assert Settings(_env_file=None, delivery_per_group_interval=5).delivery_per_group_interval == 5.0
