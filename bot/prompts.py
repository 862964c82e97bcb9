"""Answered questions lose their buttons.

A conversation asks each question with buttons (⏭ Skip, ✖️ Cancel …) through
``bot.handlers.common.ask``, which remembers the message. Left in place once the question is
answered in writing, those buttons still look usable, and a tap on one is only refused as out
of date: confusing on a phone, where the old question is a swipe away.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.handlers.common import PROMPT_KEY, take_buttons_off

logger = logging.getLogger(__name__)


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
            await _retire(event, state, step, prompt_id)
        return result


async def _retire(event: Message, state: FSMContext, step: str, prompt_id: int) -> None:
    # Cosmetic, and after the update's effects are done: a failure here (Redis unreachable,
    # or the edit: see take_buttons_off) must not fail the update, which would then be
    # apologised for or delivered again.
    try:
        still_open = (await state.get_state() == step
                      and (await state.get_data()).get(PROMPT_KEY) == prompt_id)
    except Exception:
        logger.warning("could not take the buttons off message %s in chat %s", prompt_id,
                       event.chat.id, exc_info=True)
        return
    if not still_open:
        await take_buttons_off(event.bot, event.chat.id, prompt_id)
