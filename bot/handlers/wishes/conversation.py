"""Leaving a conversation: /cancel and the ✖️ Cancel button, in any state of any flow."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.callbacks import MenuAction, MenuCallback
from bot.handlers.common import show
from bot.handlers.menu import menu_text
from models.members import Member


async def cancel_command(message: Message, state: FSMContext, member: Member | None) -> None:
    if await state.get_state() is None:
        notice = _("There is nothing to cancel.")
    else:
        notice = _("Cancelled. Nothing was saved.")
    await state.clear()
    await message.answer(f"{notice}\n\n{menu_text(member)}", reply_markup=keyboards.main_menu(member))


async def cancel_button(query: CallbackQuery, state: FSMContext, member: Member | None) -> None:
    await state.clear()
    notice = _("Cancelled. Nothing was saved.")
    await show(query, f"{notice}\n\n{menu_text(member)}", keyboards.main_menu(member))
    await query.answer()


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cancel_command, Command("cancel"))
    router.callback_query.register(cancel_button, MenuCallback.filter(F.action == MenuAction.CANCEL))
    return router
