"""The bot's HTTP session to the Bot API, and answering button presses in the webhook reply."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod


class BotSession(AiohttpSession):
    """aiogram's aiohttp session, keeping pydantic's ``Response[T]`` classes alive.

    aiogram parses every answer with ``Response[method.__returning__]``; pydantic keeps such
    parametrised generic classes only weakly, so the garbage collector frees them and the
    next answer builds the class and its schema again (several ms of CPU, many times a
    minute on a busy bot). Holding them here makes every later lookup a cache hit.
    """

    _response_types: ClassVar[dict[Any, type[Response[Any]]]] = {}

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        returning = method.__returning__
        if returning not in self._response_types:
            self._response_types[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot=bot, method=method, status_code=status_code, content=content)


@dataclass
class WebhookReply:
    """The one method call that may ride on the webhook's HTTP answer, while it is open."""

    method: TelegramMethod[Any] | None = None
    open: bool = True


_reply: contextvars.ContextVar[WebhookReply | None] = contextvars.ContextVar("webhook_reply", default=None)


@contextmanager
def webhook_reply() -> Iterator[WebhookReply]:
    """Collect a button press's answer for the webhook's reply while handling one update.

    Close the reply before answering the request: aiogram moves a handler that runs past
    55 s to the background and answers the webhook without it, so anything deferred after
    that must be sent as a request of its own (see :class:`AnswerPressInWebhookReply`).
    """
    reply = WebhookReply()
    token = _reply.set(reply)
    try:
        yield reply
    finally:
        reply.open = False
        _reply.reset(token)


class AnswerPressInWebhookReply(BaseRequestMiddleware):
    """Send a handler's ``answerCallbackQuery`` as the webhook's reply, saving a request.

    Telegram executes a method given in the webhook's answer (its result is not reported,
    which costs nothing here: the result is ``True`` and a failed answer only leaves the
    button's spinner until it times out). Only the first answer of an update is deferred,
    and only in webhook mode while the update's reply is open; anything else is sent at once.
    The answer then reaches the user after the handler's other calls instead of before,
    which, for an update handled in milliseconds, no one can see.
    """

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        reply = _reply.get()
        if isinstance(method, AnswerCallbackQuery) and reply is not None and reply.open and reply.method is None:
            reply.method = method
            return True
        return await make_request(bot, method)
