"""What nothing else handled: stale or forged buttons, and messages we don't understand."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from models.members import Member


async def unknown_button(query: CallbackQuery) -> None:
    await query.answer(
        _("This button is no longer valid. Please use the latest menu."), show_alert=True
    )


async def not_understood(message: Message, member: Member | None) -> None:
    await message.answer(
        _("Sorry, I did not understand that. Please use the buttons below or /help."),
        reply_markup=keyboards.main_menu(member),
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(unknown_button)
    router.message.register(not_understood)
    return router
