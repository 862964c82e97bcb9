"""What the conversation handlers share: showing a screen, the member filter, stale buttons, input hints."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from models.members import Member

logger = logging.getLogger(__name__)


class BoundMember(Filter):
    """Passes when the Telegram account is linked to a Party member."""

    async def __call__(self, event: Any, member: Member | None = None) -> bool:
        return member is not None


async def show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> int:
    """Replace the message whose button was pressed with ``text``; the id of the message that
    shows it is returned."""
    if not isinstance(query.message, Message):  # too old to edit: send it anew
        return (await query.message.answer(text, reply_markup=markup)).message_id
    try:
        await query.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        # Refreshing a screen that did not change is not a failure.
        if "message is not modified" not in error.message:
            raise
    return query.message.message_id


PROMPT_KEY = "prompt_id"  # in the FSM data: the message that asks the current question


async def ask(target: CallbackQuery | Message, state: FSMContext, text: str,
              markup: InlineKeyboardMarkup) -> int:
    """Ask a conversation step's question: over the tapped message (a callback query) or as a
    new message in ``target``'s chat. The message is remembered, so that its buttons go once
    the question is answered in writing (``bot.prompts.AnsweredPromptMiddleware``); its id is
    returned."""
    if isinstance(target, CallbackQuery):
        prompt_id = await show(target, text, markup)
    else:
        prompt_id = (await target.answer(text, reply_markup=markup)).message_id
    await state.update_data({PROMPT_KEY: prompt_id})
    return prompt_id


async def ask_below(query: CallbackQuery, state: FSMContext, text: str,
                    markup: InlineKeyboardMarkup) -> int:
    """Ask a step's question in a new message below the screen whose button started it, and
    take that screen's buttons off. The screen stays to read (a wish's contact, an
    activity's time); the conversation ends with a fresh screen below it (or the menu), so
    its old buttons would only be refused as out of date."""
    prompt_id = await ask(query.message, state, text, markup)
    await take_buttons_off(query.bot, query.message.chat.id, query.message.message_id)
    return prompt_id


async def take_buttons_off(bot: Bot, chat_id: int, message_id: int) -> None:
    """Remove a message's inline buttons. Cosmetic, so it never fails the update (which would
    then be apologised for, or delivered again): a 429 or Telegram unreachable is logged."""
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
    except TelegramBadRequest:
        pass  # already without buttons, too old to edit, or deleted
    except Exception:
        logger.warning("could not take the buttons off message %s in chat %s", message_id, chat_id,
                       exc_info=True)


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(
        _("This button is no longer valid. Please use the latest menu."), show_alert=True
    )


async def members_only(query: CallbackQuery) -> None:
    await query.answer(_("Only members linked by an invitation can do this."), show_alert=True)


async def expect_text(message: Message) -> None:
    """A sticker, photo, voice message … where the conversation waits for text."""
    await message.answer(_(
        "Please reply with text: stickers, photos and voice messages cannot be used here. "
        "To stop, send /cancel."
    ))


SaveNote = Callable[[Message, FSMContext, Member, str, str | None], Awaitable[None]]


def register_note_step(router: Router, step: State, save: SaveNote) -> None:
    """A conversation step that takes a progress note: words, or a photo with the words as its
    caption. ``save(message, state, member, text, photo_file_id)`` stores it."""

    async def written(message: Message, state: FSMContext, member: Member) -> None:
        await save(message, state, member, message.text, None)

    async def photo_sent(message: Message, state: FSMContext, member: Member) -> None:
        if not message.caption:
            await message.answer(
                _("Please send the photo again with a caption: a few words about what you did."))
            return
        largest = max(message.photo, key=lambda size: size.width * size.height)
        await save(message, state, member, message.caption, largest.file_id)

    async def anything_else(message: Message) -> None:
        await message.answer(
            _("Please write a few words, or send a photo with a caption. To stop, send /cancel."))

    router.message.register(written, step, F.text)
    router.message.register(photo_sent, step, F.photo)
    router.message.register(anything_else, step)


async def expect_button(message: Message) -> None:
    await message.answer(_("Please choose with the buttons above, or send /cancel to stop."))
