"""A real aiogram Bot against the sandbox: methods, objects and Telegram-shaped errors."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNotFound, TelegramUnauthorizedError
from aiogram.methods.base import TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)

from bot.sandbox.media import TINY_PNG
from bot.sandbox.testing import sandbox_bot

BOT_ID = 4242  # the digits of the token of the `bot` fixture (conftest.py)


KB = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="同意", callback_data="yes:1"), InlineKeyboardButton(text="No", callback_data="no:1")],
        [InlineKeyboardButton(text="Site", url="https://example.org/x")],
    ]
)


async def raw(sandbox, method: str, token: str | None = None, **fields):
    """POST form fields like aiogram does (nested values JSON-encoded)."""
    data = {k: json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in fields.items()}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.url}/bot{token or sandbox.token}/{method}", data=data) as resp:
            return resp.status, await resp.json()


async def test_get_me(sandbox, bot):
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (BOT_ID, True, "xianfeng_sandbox_bot")
    assert me.can_join_groups is True
    status, body = await raw(sandbox, "getMe", token="77:other")
    assert status == 200 and body["ok"] is True and body["result"]["id"] == 77


async def test_send_message_with_inline_keyboard(sandbox, bot, client):
    await client.start(101, "张三", language_code="zh-hans")
    msg = await bot.send_message(101, "<b>你好</b>, <i>world</i> &amp; co", reply_markup=KB)
    assert msg.text == "你好, world & co"
    assert [e.type for e in msg.entities] == ["bold", "italic"]
    assert (msg.entities[0].offset, msg.entities[0].length) == (0, 2)
    assert msg.from_user.id == BOT_ID and msg.from_user.is_bot
    assert msg.chat.id == 101 and msg.chat.type == "private" and msg.chat.first_name == "张三"
    assert msg.reply_markup.model_dump() == KB.model_dump()
    # The raw JSON is a complete Message as Telegram sends it.
    status, body = await raw(sandbox, "sendMessage", chat_id=101, text="plain", reply_markup=KB.model_dump(exclude_none=True))
    assert status == 200
    result = body["result"]
    assert isinstance(result["date"], int) and result["from"]["is_bot"] is True
    parsed = Message.model_validate(result)
    assert parsed.reply_markup.inline_keyboard[0][0].callback_data == "yes:1"
    assert parsed.message_id == msg.message_id + 1
    # The user side sees both messages with their keyboards.
    last = await client.last_bot_message(101)
    assert last["text"] == "plain" and last["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "no:1"


async def test_json_body_is_accepted(sandbox, client):
    await client.start(102, "张三", language_code="zh-hans")
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{sandbox.url}/bot{sandbox.token}/sendMessage",
            json={"chat_id": 102, "text": "<u>x</u>", "parse_mode": "HTML",
                  "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}},
        ) as resp:
            body = await resp.json()
    assert resp.status == 200 and body["result"]["entities"] == [{"type": "underline", "offset": 0, "length": 1}]


async def test_edit_message_text_and_its_errors(sandbox, bot, client):
    await client.start(103, "张三", language_code="zh-hans")
    msg = await bot.send_message(103, "step 1", reply_markup=KB)
    edited = await bot.edit_message_text("step <b>2</b>", chat_id=103, message_id=msg.message_id, reply_markup=KB)
    assert edited.text == "step 2" and edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("step <b>2</b>", chat_id=103, message_id=msg.message_id, reply_markup=KB)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=103, message_id=9999)
    # Markup-only edits.
    small = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]])
    await bot.edit_message_reply_markup(chat_id=103, message_id=msg.message_id, reply_markup=small)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=103, message_id=msg.message_id, reply_markup=small)
    # Editing the text without reply_markup removes the keyboard, like Telegram.
    plain = await bot.edit_message_text("step 3", chat_id=103, message_id=msg.message_id)
    assert plain.reply_markup is None
    # A user's message can't be edited by the bot.
    user_mid = await client.send_text(103, "mine")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("hacked", chat_id=103, message_id=user_mid)
    current = await client.message(103, msg.message_id)
    assert current["text"] == "step 3" and current["edited"] and current["edit_count"] == 3
    assert [h["text"] for h in current["history"]] == ["step 1", "step 2", "step 2"]


async def test_delete_message(sandbox, bot, client):
    await client.start(104, "张三", language_code="zh-hans")
    msg = await bot.send_message(104, "bye")
    assert await bot.delete_message(104, msg.message_id) is True
    assert (await client.message(104, msg.message_id))["deleted"] is True
    assert await client.last_bot_message(104) is None
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(104, msg.message_id)


async def test_callback_query_and_answer(sandbox, bot, client):
    await client.start(105, "李四")
    msg = await bot.send_message(105, "choose", reply_markup=KB)
    updates = await bot.get_updates(timeout=0)
    cb_id = await client.press_button(105, "同意")
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
    assert len(updates) == 1
    cq = updates[0].callback_query
    assert cq.id == cb_id and cq.data == "yes:1" and cq.chat_instance
    assert cq.from_user.id == 105 and cq.from_user.first_name == "李四"
    assert cq.message.message_id == msg.message_id and cq.message.text == "choose"
    assert await bot.answer_callback_query(cb_id, text="已记录", show_alert=True) is True
    answer = await client.callback_answer(cb_id)
    assert (answer["text"], answer["show_alert"]) == ("已记录", True)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(cb_id)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("12345")
    shown = await client.message(105, msg.message_id)
    assert shown["callback_answers"][0]["text"] == "已记录"


def pairs(commands):
    return [(c.command, c.description) for c in commands]


async def test_commands(bot):
    commands = [BotCommand(command="start", description="开始"), BotCommand(command="help", description="帮助")]
    assert await bot.set_my_commands(commands) is True
    assert pairs(await bot.get_my_commands()) == pairs(commands)
    zh = [BotCommand(command="pledge", description="承诺")]
    await bot.set_my_commands(zh, scope=BotCommandScopeChat(chat_id=7), language_code="zh")
    assert pairs(await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=7), language_code="zh")) == pairs(zh)
    assert await bot.get_my_commands(language_code="zh") == []
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_send_document_get_file_and_download(sandbox, bot, client):
    await client.start(106, "张三", language_code="zh-hans")
    payload = "周报\n".encode() * 100
    msg = await bot.send_document(106, BufferedInputFile(payload, filename="report.csv"), caption="<b>周报</b>")
    doc = msg.document
    assert doc.file_name == "report.csv" and doc.file_size == len(payload) and doc.file_unique_id
    assert msg.caption == "周报" and msg.caption_entities[0].type == "bold"
    file = await bot.get_file(doc.file_id)
    assert file.file_size == len(payload) and file.file_path
    downloaded = await bot.download(file)
    assert downloaded.read() == payload
    again = await bot.send_document(106, doc.file_id)
    assert again.document.file_id == doc.file_id
    photo = await bot.send_photo(106, BufferedInputFile(TINY_PNG, filename="p.png"))
    assert (photo.photo[-1].width, photo.photo[-1].height) == (1, 1)
    assert photo.photo[-1].file_size == len(TINY_PNG)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(106, "no-such-file-id")
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("no-such-file-id")
    kinds = [m["kind"] for m in await client.bot_messages(106)]
    assert kinds == ["document", "document", "photo"]


class FrobnicateTheBot(TelegramMethod[bool]):
    __returning__ = bool
    __api_method__ = "frobnicateTheBot"


async def test_unknown_method_is_telegram_404(sandbox, bot):
    with pytest.raises(TelegramNotFound, match="Not Found"):
        await bot(FrobnicateTheBot())
    status, body = await raw(sandbox, "frobnicateTheBot")
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_bad_token_is_401(sandbox):
    status, body = await raw(sandbox, "getMe", token="not-a-token")
    assert status == 401 and body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    bad = sandbox_bot(sandbox, "123:abc")  # aiogram checks the form; break it afterwards
    bad._Bot__token = "123:"  # no secret part
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await bad.get_me()
    finally:
        await bad.session.close()


async def test_get_chat_member_and_leave(sandbox, bot, client):
    await client.start(107, "张三", language_code="zh-hans")
    chat = await bot.get_chat(107)
    assert chat.id == 107 and chat.type == "private" and chat.first_name == "张三"
    member = await bot.get_chat_member(107, 107)
    assert member.status == "member" and member.user.id == 107
    group = await client.create_group("三组", member_ids=[107], with_bot=True)
    assert (await bot.get_chat(group["id"])).title == "三组"
    assert await bot.leave_chat(group["id"]) is True
    assert (await client.chat(group["id"]))["chat"]["bot_status"] == "left"
    updates = await bot.get_updates(timeout=0)
    kinds = [(u.my_chat_member.new_chat_member.status if u.my_chat_member else None) for u in updates]
    assert kinds[-1] == "left"


async def test_user_side_media_messages_are_valid_updates(sandbox, bot, client):
    await client.user(108, "王五")
    await client.send_sticker(108, "😀")
    await client.send_photo(108, caption="看")
    await client.send_voice(108, duration=7)
    await client.send_document(108, b"%PDF-1.4 fake", "a.pdf")
    await client.send_contact(108, "+8613912345678")
    updates = await bot.get_updates(timeout=0)
    messages = [u.message for u in updates]
    assert messages[0].sticker.emoji == "😀" and messages[0].text is None
    assert messages[1].photo[-1].width == 1 and messages[1].caption == "看"
    assert messages[2].voice.duration == 7
    assert messages[3].document.file_name == "a.pdf" and messages[3].document.mime_type == "application/pdf"
    assert messages[4].contact.phone_number == "+8613912345678" and messages[4].contact.user_id == 108
    # Files users send can be fetched by the bot.
    file = await bot.get_file(messages[3].document.file_id)
    assert (await bot.download(file)).read() == b"%PDF-1.4 fake"
    # Raw updates validate too.
    for pending in await client.pending_updates():
        Update.model_validate(pending)


async def test_replies(sandbox, bot, client):
    await client.start(109, "张三")
    question = await client.send_text(109, "问题")
    answer = await bot.send_message(109, "回答", reply_parameters=ReplyParameters(message_id=question))
    assert answer.reply_to_message.message_id == question and answer.reply_to_message.text == "问题"
    legacy = await bot.send_message(109, "again", reply_to_message_id=question)
    assert legacy.reply_to_message.from_user.id == 109
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(109, "x", reply_parameters=ReplyParameters(message_id=999))
    loose = await bot.send_message(
        109, "y", reply_parameters=ReplyParameters(message_id=999, allow_sending_without_reply=True)
    )
    assert loose.reply_to_message is None
