"""The bot's session: pydantic response classes kept alive, button answers in the webhook reply."""

from __future__ import annotations

import gc
import weakref

import aiohttp
from aiogram.methods import AnswerCallbackQuery, EditMessageText, Response, SendMessage

from bot.app import create_bot
from bot.sandbox.webhook import read_reply
from bot.session import AnswerPressInWebhookReply, BotSession, webhook_reply
from models.audit import AuditEntry
from tests.bot.conftest import WEBHOOK_SECRET
from tests.bot.test_webhook import SECRET_HEADER, queued_claim


def test_the_session_keeps_the_response_classes_it_parsed_with():
    bot = create_bot("42:token")
    method = EditMessageText(text="hi", chat_id=1, message_id=2)
    parsed = bot.session.check_response(bot, method, 200, '{"ok": true, "result": true}')
    assert parsed.result is True
    kept = weakref.ref(type(parsed))
    del parsed
    gc.collect()
    # pydantic caches parametrised generics only weakly: without the session's reference the
    # class (and its schema) would be freed here and built again for the next answer.
    assert kept() is not None and kept() is Response[method.__returning__]
    assert isinstance(bot.session, BotSession)


class Recorder:
    def __init__(self) -> None:
        self.sent: list[object] = []

    async def __call__(self, bot, method):
        self.sent.append(method)
        return "sent"


async def test_only_the_first_answer_of_an_open_webhook_reply_is_deferred():
    middleware, make_request = AnswerPressInWebhookReply(), Recorder()
    first, second = AnswerCallbackQuery(callback_query_id="1"), AnswerCallbackQuery(callback_query_id="2")
    message = SendMessage(chat_id=1, text="hi")

    assert await middleware(make_request, None, first) == "sent"  # polling: no reply to ride on
    with webhook_reply() as reply:
        assert await middleware(make_request, None, message) == "sent"  # only button answers
        assert await middleware(make_request, None, first) is True
        assert await middleware(make_request, None, second) == "sent"  # the reply holds one method
    assert reply.method is first and not reply.open
    assert await middleware(make_request, None, second) == "sent"  # closed: e.g. after aiogram's 55 s
    assert make_request.sent == [first, message, second, second]


async def test_a_press_over_the_webhook_is_answered_in_the_reply(webhook_harness, org):
    harness = webhook_harness
    wish, update = await queued_claim(harness, org, 8901)

    async with aiohttp.ClientSession() as http:
        async with http.post(
            harness.webhook.url, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
        ) as response:
            assert response.status == 200
            reply = await read_reply(response)

    assert reply["method"] == "answerCallbackQuery"
    assert reply["callback_query_id"] == update["callback_query"]["id"]
    assert await AuditEntry.filter(action="wish.claim", object_id=str(wish.id)).count() == 1
    # Telegram carries it out: the user sees the answer.
    await harness.sandbox.webhook_delivery.execute_reply(reply)
    answer = await harness.client.callback_answer(update["callback_query"]["id"])
    assert "感谢" in answer["text"]
