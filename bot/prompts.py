"""Answered questions lose their buttons.

A conversation asks each question with buttons (⏭ Skip, ✖️ Cancel …) through
``bot.handlers.common.ask``, which remembers the message. Left in place once the question is
answered in writing, those buttons still look usable, and a tap on one is only refused as out
of date: confusing on a phone, where the old question is a swipe away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.handlers.common import PROMPT_KEY


class AnsweredPromptMiddleware(BaseMiddleware):
    """After a handled message: if the conversation moved on (another step, another question,
    or its end), the question that was open loses its buttons. A message the step refused
    (too long, not text) leaves it as it was: its buttons still apply."""

    async def __call__(
        self,
        handler: Callable[[Message, dict[str, Any]], Awaitable[Any]],
        event: Message,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        step = await state.get_state() if state is not None else None
        if step is None:
            return await handler(event, data)
        prompt_id = (await state.get_data()).get(PROMPT_KEY)
        result = await handler(event, data)
        if prompt_id is not None:
            now = await state.get_state()
            if now != step or (await state.get_data()).get(PROMPT_KEY) != prompt_id:
                with suppress(TelegramBadRequest):  # already without buttons, or deleted
                    await event.bot.edit_message_reply_markup(
                        chat_id=event.chat.id, message_id=prompt_id, reply_markup=None)
        return result
