"""The user side: buttons, transcripts, waiting, groups, blocking, the chat page."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.sandbox import SandboxClientError, SandboxTimeout
from bot.sandbox.server import STATIC_DIR


def kb(*pairs):
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d) for t, d in pairs]])


async def test_press_requires_a_real_button_unless_forged(sandbox, bot, client):
    await client.start(301, "张三", language_code="zh-hans")
    msg = await bot.send_message(301, "claim?", reply_markup=kb(("Claim", "wish:claim:7")))
    with pytest.raises(SandboxClientError) as refused:
        await client.press(301, msg.message_id, "wish:claim:8")
    assert refused.value.status == 409
    with pytest.raises(SandboxClientError) as missing:
        await client.press(301, 999, "wish:claim:7")
    assert missing.value.status == 404
    # After the keyboard is edited away the old button is stale.
    await bot.edit_message_reply_markup(chat_id=301, message_id=msg.message_id, reply_markup=None)
    with pytest.raises(SandboxClientError):
        await client.press(301, msg.message_id, "wish:claim:7")
    before = len(await client.pending_updates())
    forged = await client.press(301, msg.message_id, "wish:claim:8", forge=True)
    stale = await client.press(301, 999, "wish:claim:7", forge=True)
    updates = await bot.get_updates(timeout=0)
    callbacks = [u.callback_query for u in updates if u.callback_query]
    assert len(updates) == before + 2
    assert [(c.id, c.data) for c in callbacks] == [(forged, "wish:claim:8"), (stale, "wish:claim:7")]
    assert callbacks[0].message.text == "claim?"
    assert type(callbacks[1].message).__name__ == "InaccessibleMessage"  # unknown message id
    with pytest.raises(SandboxClientError):
        await client.press_button(301, "Claim")


async def test_transcript_shows_both_sides_edits_and_deletes(sandbox, bot, client):
    await client.start(302, "张三", language_code="zh-hans")
    mid = await client.send_text(302, "hi")
    reply = await bot.send_message(302, "v1", reply_markup=kb(("A", "a")))
    await bot.edit_message_text("<b>v2</b>", chat_id=302, message_id=reply.message_id)
    gone = await bot.send_message(302, "temp")
    await bot.delete_message(302, gone.message_id)
    messages = await client.transcript(302)
    assert [(m["from_bot"], m["text"]) for m in messages] == [
        (False, "/start"), (False, "hi"), (True, "v2"), (True, "temp"),
    ]
    assert messages[1]["message_id"] == mid
    assert messages[2]["edited"] and messages[2]["history"][0]["text"] == "v1"
    assert messages[2]["source"] == "<b>v2</b>" and messages[2]["reply_markup"] is None
    assert messages[3]["deleted"] and not messages[2]["deleted"]


async def test_wait_for_bot_message_waits(sandbox, bot, client):
    await client.start(303, "张三", language_code="zh-hans")
    mid = await client.send_text(303, "question")
    waiter = asyncio.create_task(client.wait_for_bot_message(303, contains="answer"))
    await asyncio.sleep(0.1)
    assert not waiter.done()
    await bot.send_message(303, "not yet")
    await asyncio.sleep(0.05)
    assert not waiter.done(), "contains= must skip non-matching messages"
    sent = await bot.send_message(303, "the answer")
    got = await asyncio.wait_for(waiter, 3)
    assert got["message_id"] == sent.message_id and got["message_id"] > mid
    with pytest.raises(SandboxTimeout, match="no bot message"):
        await client.wait_for_bot_message(303, after_message_id=sent.message_id, timeout=0.2)


async def test_groups(sandbox, bot, client):
    await client.user(310, "Secretary")
    await client.user(311, "Member")
    group = await client.create_group("第一支部", member_ids=[310, 311])
    gid = group["id"]
    assert gid < 0 and group["type"] == "group" and group["bot_status"] == "left"
    with pytest.raises(TelegramForbiddenError, match="not a member"):
        await bot.send_message(gid, "hello")
    await client.add_bot_to_group(gid, 310)
    updates = await bot.get_updates(timeout=0)
    assert updates[0].my_chat_member.new_chat_member.status == "member"
    assert updates[0].my_chat_member.from_user.id == 310
    assert updates[1].message.new_chat_members[0].is_bot
    offset = updates[-1].update_id + 1
    # Privacy mode: plain chatter is not delivered, commands are.
    await client.send_text(311, "just chatting", chat_id=gid)
    await client.send_text(311, "/help", chat_id=gid)
    updates = await bot.get_updates(offset=offset, timeout=0)
    assert [u.message.text for u in updates] == ["/help"]
    assert updates[0].message.chat.title == "第一支部" and updates[0].message.from_user.id == 311
    sent = await bot.send_message(gid, "group reply")
    assert sent.chat.type == "group"
    await client.remove_bot_from_group(gid, 310)
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the group chat"):
        await bot.send_message(gid, "still here?")
    texts = [m["text"] for m in await client.transcript(gid) if m["text"]]
    assert texts == ["just chatting", "/help", "group reply"]


async def test_block_sends_my_chat_member_and_writing_unblocks(sandbox, bot, client):
    await client.start(320, "张三", language_code="zh-hans")
    (start,) = await bot.get_updates(timeout=0)
    await client.block(320)
    (update,) = await bot.get_updates(offset=start.update_id + 1, timeout=0)
    assert update.my_chat_member.new_chat_member.status == "kicked"
    assert update.my_chat_member.old_chat_member.status == "member"
    assert (await client.user(320))["blocked"] is True
    await client.send_text(320, "/start")
    assert (await client.user(320))["blocked"] is False
    kinds = [u.event_type for u in await bot.get_updates(offset=update.update_id + 1, timeout=0)]
    assert kinds == ["my_chat_member", "message"]


async def test_bulk_register_many_users(sandbox, bot, client):
    assert await client.bulk_users(start_id=100_000, count=10_000, language_code="zh-hans") == 10_000
    assert len(sandbox.state.users) == 10_000
    sent = await bot.send_message(109_999, "notice")
    assert sent.chat.first_name == "User 109999"
    assert (await client.info())["users"] == 10_000


async def test_reset(sandbox, bot, client):
    await client.start(330, "张三", language_code="zh-hans")
    (before,) = await bot.get_updates(timeout=0)
    await bot.send_message(330, "x")
    await client.reset()
    assert (await client.info())["users"] == 0
    assert await client.pending_updates() == [] and len(sandbox.state.send_log) == 0
    await client.start(330, "张三")
    (after,) = await bot.get_updates(offset=before.update_id + 1, timeout=0)
    assert after.update_id > before.update_id  # a running poller's offset stays valid


async def test_user_side_input_checks(sandbox, client):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.url}/sandbox/api/users", data={"id": "1"}) as resp:
            assert resp.status == 415  # form posts are refused (CSRF from other sites)
        async with http.get(f"{sandbox.url}/sandbox/api/info", headers={"Host": "evil.example:80"}) as resp:
            assert resp.status == 421  # DNS rebinding guard
    with pytest.raises(SandboxClientError) as error:
        await client.send(340, kind="text", text="   ")
    assert error.value.status == 400
    with pytest.raises(SandboxClientError):
        await client.send(340, kind="hologram")


async def test_chat_page_is_self_contained(sandbox):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/?start=INV-1") as resp:
            page = await resp.text()
            assert resp.status == 200
            assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
        for asset in re.findall(r'(?:src|href)="([^"]+)"', page):
            assert asset.startswith("/sandbox/static/"), asset
            async with http.get(f"{sandbox.url}{asset}") as resp:
                assert resp.status == 200, asset
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?:src|href)\s*=\s*[\"']?https?:", text), path
        assert "@import" not in text and "url(http" not in text, path
        if path.suffix == ".js":
            assert ".innerHTML" not in text and "insertAdjacentHTML" not in text, path


async def test_reply_keyboard_and_deep_link_start(sandbox, bot, client):
    mid = await client.start(350, "赵六", code="INV-77", language_code="zh-hant")
    (update,) = await bot.get_updates(timeout=0)
    assert update.message.message_id == mid and update.message.text == "/start INV-77"
    keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="我的承诺"), KeyboardButton(text="微心愿")]],
                                   resize_keyboard=True)
    sent = await bot.send_message(350, "menu", reply_markup=keyboard)
    assert sent.reply_markup is None  # Message.reply_markup only ever carries inline keyboards
    chat = (await client.chat(350))["chat"]
    assert [b["text"] for b in chat["reply_keyboard"]["keyboard"][0]] == ["我的承诺", "微心愿"]
    await bot.send_message(350, "hidden", reply_markup=ReplyKeyboardRemove())
    assert (await client.chat(350))["chat"]["reply_keyboard"] is None
    assert sandbox.deep_link("INV 77") == f"{sandbox.url}/?start=INV%2077"
