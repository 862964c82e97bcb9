"""Telegram's limits and refusals: 429, 403, 400."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox import SandboxClient
from bot.sandbox.testing import sandbox_bot


@pytest.fixture
async def lbot(limited_sandbox):
    b = sandbox_bot(limited_sandbox)
    yield b
    await b.session.close()


@pytest.fixture
async def lclient(limited_sandbox):
    async with SandboxClient(limited_sandbox.url) as c:
        yield c


async def _send(bot, chat_id, text):
    try:
        await bot.send_message(chat_id, text)
        return "ok"
    except TelegramRetryAfter as error:
        assert error.retry_after >= 1
        return error


async def test_global_rate_limit(limited_sandbox, lbot, lclient):
    assert await lclient.bulk_users(start_id=1000, count=40) == 40
    results = await asyncio.gather(*(_send(lbot, 1000 + i, f"n{i}") for i in range(40)))
    ok = [r for r in results if r == "ok"]
    limited = [r for r in results if r != "ok"]
    assert limited, "40 sends at once must exceed 30 messages per second"
    assert len(ok) <= 30
    assert all(isinstance(r.retry_after, int) and r.retry_after >= 1 for r in limited)
    assert "Too Many Requests: retry after" in limited[0].message
    log = limited_sandbox.state.send_log
    assert log.max_in_window(1.0) <= 30
    assert sorted(r.outcome for r in log) == sorted(["ok"] * len(ok) + ["429"] * len(limited))


async def test_per_chat_limit_and_runtime_toggle(limited_sandbox, lbot, lclient):
    await lclient.bulk_users(start_id=2000, count=1)
    await lbot.send_message(2000, "first")
    with pytest.raises(TelegramRetryAfter) as info:
        await lbot.send_message(2000, "second")
    assert info.value.retry_after >= 1
    # Edits count too.
    with pytest.raises(TelegramRetryAfter):
        await lbot.edit_message_text("edited", chat_id=2000, message_id=1)
    await lclient.set_limits(False)
    for i in range(5):
        await lbot.send_message(2000, f"burst {i}")
    assert (await lclient.limits())["enforce"] is False
    await lclient.set_limits(True, per_chat_interval=1.0)
    await lbot.send_message(2000, "after re-enabling")
    with pytest.raises(TelegramRetryAfter):
        await lbot.send_message(2000, "too soon")
    entries = await lclient.send_log()
    assert [e["outcome"] for e in entries] == ["ok", "429", "429"] + ["ok"] * 6 + ["429"]
    assert entries[1]["retry_after"] >= 1 and entries[1]["chat_id"] == 2000


async def test_group_limit_per_minute(limited_sandbox, lbot, lclient):
    group = await lclient.create_group("Branch 1", member_ids=[3000], with_bot=True)
    await lclient.set_limits(group_per_minute=3)
    for i in range(3):
        await lbot.send_message(group["id"], f"g{i}")  # no 1-per-second rule in groups
    with pytest.raises(TelegramRetryAfter) as info:
        await lbot.send_message(group["id"], "g3")
    assert info.value.retry_after > 1  # the window is a minute


async def test_blocked_user_is_403(sandbox, bot, client):
    await client.bulk_users(start_id=4000, count=1)
    await client.block(4000)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(4000, "hello?")
    await client.unblock(4000)
    await bot.send_message(4000, "hello again")
    assert [r.outcome for r in sandbox.state.send_log] == ["403", "ok"]


async def test_unknown_chat_is_400(sandbox, bot, client):
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(5000, "hi")
    await client.user(5000, "Never started")  # known user, but never wrote to the bot
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(5000, "hi")
    await client.send_text(5000, "/start")
    assert (await bot.send_message(5000, "hi")).chat.id == 5000


async def test_bad_html_is_400(sandbox, bot, client):
    await client.bulk_users(start_id=6000, count=1)
    name = "<张三>"  # user text interpolated without escaping
    with pytest.raises(TelegramBadRequest, match='can\'t parse entities: Unsupported start tag "张三"'):
        await bot.send_message(6000, f"你好 {name}")
    with pytest.raises(TelegramBadRequest, match="can't find end tag|Can't find end tag"):
        await bot.send_message(6000, "<b>unclosed")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(6000, "1 < 2")
    with pytest.raises(TelegramBadRequest, match='Tag "span" must have class "tg-spoiler"'):
        await bot.send_message(6000, '<span class="x">s</span>')
    ok = await bot.send_message(6000, '<span class="tg-spoiler">s</span> <a href="https://t.me/x">l</a> 1 &lt; 2 &amp; 3')
    assert ok.text == "s l 1 < 2 & 3"
    assert [e.type for e in ok.entities] == ["spoiler", "text_link"]
    # Without a parse mode any text goes through verbatim.
    raw = await bot.send_message(6000, "1 < 2 <b>", parse_mode=None)
    assert raw.text == "1 < 2 <b>" and not raw.entities


async def test_callback_data_limit_and_text_length(sandbox, bot, client):
    await client.bulk_users(start_id=7000, count=1)

    def keyboard(data):
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x", callback_data=data)]])

    await bot.send_message(7000, "ok", reply_markup=keyboard("册" * 21))  # 63 bytes
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(7000, "too long", reply_markup=keyboard("册" * 22))  # 66 bytes
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(7000, "too long", reply_markup=keyboard("a" * 65))
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(7000, "长" * 4097)
    await bot.send_message(7000, "长" * 4096)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(7000, "   ")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(7000, "<b></b>")
    outcomes = [r.outcome for r in sandbox.state.send_log]
    assert outcomes == ["ok", "400", "400", "400", "ok", "400", "400"]


async def test_send_log_duplicates(sandbox, bot, client):
    await client.bulk_users(start_id=8000, count=2)
    await bot.send_message(8000, "notice")
    await bot.send_message(8001, "notice")
    assert sandbox.state.send_log.duplicates() == []
    await bot.send_message(8000, "notice")
    assert sandbox.state.send_log.duplicates() == [(8000, "notice", 2)]
