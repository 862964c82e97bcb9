"""Webhook mode end to end: the sandbox delivers updates to the bot's webhook like Telegram."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest
from tortoise.exceptions import DBConnectionError

from bot.app import create_bot, create_dispatcher, create_storage
from bot.middlewares import TelegramUserMiddleware
from bot.sandbox import SandboxServer
from bot.sandbox.client import message_content
from bot.sandbox.webhook import read_reply
from bot.webhook import WebhookServer
from models.audit import AuditEntry
from models.members import TelegramUser
from models.pledges import PledgeItem
from models.updates import ProcessedUpdate
from models.wishes import Wish
from tests import factories
from tests.bot.conftest import WEBHOOK_SECRET, running_harness
from tests.bot.test_pledges_flow import open_pledge
from tests.bot.test_wishes_flow import bound_member, inline_buttons, open_wall, screen, tap

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def start_update(update_id: int, user_id: int, text: str = "/start") -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Mallory"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1, "date": 0, "text": text, "from": user,
            "chat": {"id": user_id, "type": "private", "first_name": "Mallory"},
        },
    }


async def post(url: str, update: dict, secret: str | None, sandbox: SandboxServer | None = None) -> int:
    """Post an update like Telegram; with ``sandbox``, carry out the method in the reply too."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=update, headers=headers) as response:
            reply = await read_reply(response) if sandbox is not None and response.status == 200 else None
            status = response.status
    if reply:
        await sandbox.webhook_delivery.execute_reply(reply)
    return status


async def test_a_member_flow_over_the_webhook(webhook_harness, org):
    harness = webhook_harness
    info = await harness.bot.get_webhook_info()
    assert info.url == harness.webhook.url
    assert "callback_query" in info.allowed_updates and "message" in info.allowed_updates

    # Binding by invitation, then the wish wall and a claim, all delivered by webhook.
    member = await factories.member(org.nanyuan_1, name="李建国", residence_community=org.nanyuan.id)
    invite = await factories.invite(member)
    await harness.client.user(8601, "李建国")
    greeting = await harness.say(8601, f"/start {invite.code}")
    assert "李建国" in message_content(greeting)
    wish = await factories.published_wish(org.nanyuan)
    wall = await open_wall(harness, 8601)
    assert wish.text in wall["text"]
    answer = await tap(harness, 8601, "认领第 1 条")
    assert "感谢" in answer["text"]
    assert await AuditEntry.filter(action="wish.claim", object_id=str(wish.id)).count() == 1

    delivery = harness.sandbox.webhook_delivery
    for _ in range(100):  # the claim's answer reaches the user before the webhook request ends
        if delivery.delivered >= 4:
            break
        await asyncio.sleep(0.02)
    assert delivery.delivered == 4  # /start, /menu, the wall, the claim
    assert not harness.sandbox.state.updates  # nothing left undelivered
    assert await ProcessedUpdate.filter(processed_at__isnull=True).count() == 0
    assert await ProcessedUpdate.all().count() == harness.sandbox.webhook_delivery.delivered


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", WEBHOOK_SECRET + "x"])
async def test_missing_or_wrong_secret_is_refused_and_nothing_processed(webhook_harness, org, secret):
    harness = webhook_harness
    status = await post(harness.webhook.url, start_update(10_000_001, 8701), secret)
    assert status in (401, 403)
    assert not await TelegramUser.exists(id=8701)
    assert await ProcessedUpdate.all().count() == 0
    assert not harness.sandbox.state.send_log.accepted(["sendMessage"])


async def test_the_sandbox_keeps_an_update_refused_for_its_secret_until_it_is_right(webhook_harness, org):
    harness = webhook_harness
    await harness.bot.set_webhook(harness.webhook.url, secret_token="not-the-bots-secret")
    await harness.client.user(8702, "Ann", language_code="en")
    await harness.client.send_text(8702, "/start")
    for _ in range(100):
        info = await harness.bot.get_webhook_info()
        if info.last_error_message:
            break
        await asyncio.sleep(0.05)
    assert info.last_error_message == "Wrong response from the webhook: 401 Unauthorized"
    assert info.pending_update_count == 1
    assert not await TelegramUser.exists(id=8702)

    await harness.bot.set_webhook(harness.webhook.url, secret_token=WEBHOOK_SECRET)
    reply = await harness.client.wait_for_bot_message(8702)
    assert "invitation" in reply["text"]
    await asyncio.sleep(0.3)
    replies = [m for m in await harness.client.transcript(8702) if m["from_bot"]]
    assert len(replies) == 1


async def queued_press(harness, user_id: int, message: dict, label: str) -> dict:
    """The update a button press produces, taken from the sandbox before it is delivered."""
    await harness.bot.delete_webhook()
    data = next(b["callback_data"] for b in inline_buttons(message) if label in b["text"])
    await harness.client.press(user_id, message["message_id"], data)
    update = harness.sandbox.state.updates.pop().to_api()
    await harness.bot.set_webhook(harness.webhook.url, secret_token=WEBHOOK_SECRET)
    return update


async def queued_claim(harness, org, user_id: int) -> tuple[Wish, dict]:
    """A member of 南园 who opened the wall, a published wish on it, and the update of their
    press on "claim" (not delivered yet)."""
    await bound_member(harness, org.nanyuan_1, user_id, "李建国", residence_community=org.nanyuan.id)
    wish = await factories.published_wish(org.nanyuan)
    wall = await open_wall(harness, user_id)
    return wish, await queued_press(harness, user_id, wall, "认领第 1 条")


async def deliver_until_accepted(url: str, update: dict, sandbox: SandboxServer) -> list[int]:
    """Post like Telegram: again after a non-2xx answer."""
    statuses = []
    while not statuses or statuses[-1] >= 300:
        statuses.append(await post(url, update, WEBHOOK_SECRET, sandbox))
        assert len(statuses) < 50
        if statuses[-1] >= 300:
            await asyncio.sleep(0.05)
    return statuses


async def test_the_same_update_twice_to_two_workers_has_one_effect(webhook_harness, org):
    harness = webhook_harness
    wish, update = await queued_claim(harness, org, 8801)

    # A second worker on the same database, as a second `xianfeng bot` process would be.
    bot = create_bot(harness.sandbox.token, harness.sandbox.url)
    second = WebhookServer(
        create_dispatcher(default_locale="zh_Hans", redeliver_transient=True), bot, url=None,
        secret_token=WEBHOOK_SECRET, port=0, path="/tg", register=False, reuse_port=False,
    )
    await second.start()
    try:
        first_statuses, second_statuses = await asyncio.gather(
            deliver_until_accepted(harness.webhook.url, update, harness.sandbox),
            deliver_until_accepted(second.url, update, harness.sandbox),
        )
    finally:
        await second.stop()
        await bot.session.close()
    assert set(first_statuses + second_statuses) <= {200, 503}  # 503: the other has it in hand

    assert await AuditEntry.filter(action="wish.claim", object_id=str(wish.id)).count() == 1
    answer = await harness.client.callback_answer(update["callback_query"]["id"])
    assert "感谢" in answer["text"]
    cards = [m for m in await harness.client.transcript(8801) if m["from_bot"] and "联系" in m["text"]]
    assert len(cards) == 1

    # And the same update through the polling path (feed_update) once more: nothing.
    assert await harness.dispatcher.feed_raw_update(harness.bot, update) is None
    assert await AuditEntry.filter(action="wish.claim", object_id=str(wish.id)).count() == 1


async def test_a_transient_failure_is_answered_500_and_the_update_delivered_again(
    webhook_harness, org, monkeypatch
):
    harness = webhook_harness
    touch = TelegramUserMiddleware._touch
    failures = []

    async def flaky(user, *, reachable):
        if not failures:
            failures.append(user.id)
            raise DBConnectionError("database went away")
        return await touch(user, reachable=reachable)

    monkeypatch.setattr(TelegramUserMiddleware, "_touch", staticmethod(flaky))
    await harness.client.user(8901, "Ann", language_code="en")
    reply = await harness.say(8901, "/start")
    assert "invitation" in reply["text"]
    assert failures == [8901]
    info = await harness.bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    await asyncio.sleep(0.3)
    assert len([m for m in await harness.client.transcript(8901) if m["from_bot"]]) == 1  # no apology
    assert await ProcessedUpdate.filter(processed_at__isnull=False).count() == 1


async def test_conversation_state_survives_a_restart_with_redis(org, redis_url):
    prefix = f"xf-test-{uuid.uuid4().hex[:10]}"
    async with running_harness(storage_factory=lambda: create_storage(redis_url, key_prefix=prefix)) as harness:
        member = await bound_member(harness, org.nanyuan_1, 9901, "潘明顺")
        await open_pledge(harness, 9901)
        await tap(harness, 9901, "添加一条")
        await tap(harness, 9901, "实事承诺")  # now the bot waits for the item's text

        await harness.restart_bot()  # a new process: new Bot, Dispatcher and RedisStorage object
        assert harness.dispatcher.storage is not None
        reply = await harness.say(9901, "每周三帮李奶奶买菜")
        assert "年底前" in " ".join(b["text"] for b in inline_buttons(reply))  # the next step: a date
        await tap(harness, 9901, "年底前")
        item = await PledgeItem.get(pledge__member_id=member.id)
        assert item.text == "每周三帮李奶奶买菜"

        storage = harness.dispatcher.storage
        keys = [key async for key in storage.redis.scan_iter(f"{prefix}:*")]
        if keys:
            await storage.redis.delete(*keys)


async def test_without_redis_the_same_restart_loses_the_step(org):
    async with running_harness() as harness:
        await bound_member(harness, org.nanyuan_1, 9902, "潘明顺")
        await open_pledge(harness, 9902)
        await tap(harness, 9902, "添加一条")
        await tap(harness, 9902, "实事承诺")
        await harness.restart_bot()
        reply = await harness.say(9902, "每周三帮李奶奶买菜")
        assert "年底前" not in " ".join(b["text"] for b in inline_buttons(reply))
        assert not await PledgeItem.exists(pledge__member__name="潘明顺")
