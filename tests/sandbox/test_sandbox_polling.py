"""getUpdates long polling and a real Dispatcher polling the sandbox."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram import Dispatcher, F, Router, html
from aiogram.exceptions import TelegramConflictError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.sandbox.testing import sandbox_bot


async def test_get_updates_blocks_until_a_user_writes(sandbox, bot, client):
    await client.user(201, "Ann", language_code="en")
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done(), "getUpdates with a timeout must wait for an update"
    await client.send_text(201, "/start CODE42")
    updates = await asyncio.wait_for(poll, 3)  # far less than the 10 s poll timeout
    assert len(updates) == 1
    message = updates[0].message
    assert message.text == "/start CODE42" and message.from_user.language_code == "en"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == len("/start")


async def test_get_updates_times_out_empty(sandbox):
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as http:
        started = loop.time()
        async with http.post(f"{sandbox.url}/bot{sandbox.token}/getUpdates", data={"timeout": "0.3"}) as resp:
            body = await resp.json()
        elapsed = loop.time() - started
    assert body == {"ok": True, "result": []}
    assert elapsed >= 0.25, "the request must have waited for the poll timeout"


async def test_offset_confirms_and_unconfirmed_are_redelivered(sandbox, bot, client):
    for text in ("one", "two", "three"):
        await client.send_text(202, text)
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first] == ["one", "two", "three"]
    ids = [u.update_id for u in first]
    assert ids == sorted(ids) and len(set(ids)) == 3
    # Nothing confirmed yet: delivered again.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == ids
    # offset confirms everything before it.
    rest = await bot.get_updates(offset=ids[1], timeout=0)
    assert [u.message.text for u in rest] == ["two", "three"]
    assert [u["update_id"] for u in await client.pending_updates()] == ids[1:]
    limited = await bot.get_updates(offset=ids[1], limit=1, timeout=0)
    assert [u.message.text for u in limited] == ["two"]
    assert await bot.get_updates(offset=ids[2] + 1, timeout=0) == []
    assert await client.pending_updates() == []
    # New updates continue the sequence.
    await client.send_text(202, "four")
    (four,) = await bot.get_updates(timeout=0)
    assert four.update_id > ids[2]


async def test_allowed_updates_filters(sandbox, bot, client):
    await client.user(203, started=True)
    msg = await bot.send_message(203, "x", reply_markup=InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="b", callback_data="b")]]))
    await client.send_text(203, "text is filtered out")
    await client.press(203, msg.message_id, "b")
    updates = await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert [u.event_type for u in updates] == ["callback_query"]
    # The setting persists until changed.
    await client.send_text(203, "still filtered")
    assert [u.event_type for u in await bot.get_updates(timeout=0)] == ["callback_query"]
    await bot.get_updates(timeout=0, allowed_updates=[])  # back to the default set
    await client.send_text(203, "delivered")
    assert [u.event_type for u in await bot.get_updates(timeout=0)][-1] == "message"


async def test_second_get_updates_terminates_the_first(sandbox, bot):
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 3)
    assert await second == []


async def test_dispatcher_polling_echo(sandbox, client):
    router = Router(name="echo")

    @router.message(Command("start"))
    async def start(message: Message, command: CommandObject) -> None:
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Ping", callback_data="ping")]])
        await message.answer(f"hello {html.quote(message.from_user.first_name)}, code={html.quote(command.args or '')}",
                             reply_markup=keyboard)

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {html.quote(message.text)}")

    @router.callback_query(F.data == "ping")
    async def ping(callback: CallbackQuery) -> None:
        await callback.answer("pong")
        await callback.message.edit_text("pinged")

    dp = Dispatcher()
    dp.include_router(router)
    polling_bot = sandbox_bot(sandbox)
    polling = asyncio.create_task(dp.start_polling(polling_bot, handle_signals=False, polling_timeout=2))
    try:
        await client.user(204, "<Zhao & Qian>")
        mid = await client.send_text(204, "/start INV-9")
        hello = await client.wait_for_bot_message(204, after_message_id=mid)
        assert hello["text"] == "hello <Zhao & Qian>, code=INV-9"

        mid = await client.send_text(204, "a <b>not bold</b> & more")
        reply = await client.wait_for_bot_message(204, after_message_id=mid, contains="echo:")
        assert reply["text"] == "echo: a <b>not bold</b> & more" and reply["entities"] == []

        callback_id = await client.press_button(204, "Ping")
        assert (await client.callback_answer(callback_id))["text"] == "pong"
        edited = await client.wait_for_edit(204, hello["message_id"], contains="pinged")
        assert edited["reply_markup"] is None
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
    log = sandbox.state.send_log
    assert [r.outcome for r in log] == ["ok", "ok", "ok"]
    assert [r.method for r in log] == ["sendMessage", "sendMessage", "editMessageText"]
