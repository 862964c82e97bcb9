"""Leaving a conversation: /cancel and the ✖️ Cancel button, in any state of any flow."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.callbacks import MenuAction, MenuCallback
from bot.handlers.common import show
from bot.handlers.menu import menu_text
from bot.states import WishForm
from models.members import Member

#: Steps that show a reply keyboard (the wish form's phone number), which only a message
#: can take away: leaving them says "cancelled" in a message of its own.
REPLY_KEYBOARD_STATES = (WishForm.phone.state,)


async def cancelled_apart(message: Message, notice: str, member: Member | None) -> None:
    """The notice in a message of its own, which takes the reply keyboard away, then the menu."""
    await message.answer(notice, reply_markup=ReplyKeyboardRemove())
    await message.answer(menu_text(member), reply_markup=keyboards.main_menu(member))


async def cancel_command(message: Message, state: FSMContext, member: Member | None) -> None:
    current = await state.get_state()
    notice = _("There is nothing to cancel.") if current is None else _("Cancelled. Nothing was saved.")
    await state.clear()
    if current in REPLY_KEYBOARD_STATES:
        await cancelled_apart(message, notice, member)
        return
    await message.answer(f"{notice}\n\n{menu_text(member)}", reply_markup=keyboards.main_menu(member))


async def cancel_button(query: CallbackQuery, state: FSMContext, member: Member | None) -> None:
    current = await state.get_state()
    await state.clear()
    notice = _("Cancelled. Nothing was saved.")
    if current in REPLY_KEYBOARD_STATES:
        await query.message.edit_reply_markup(reply_markup=None)
        await cancelled_apart(query.message, notice, member)
    else:
        await show(query, f"{notice}\n\n{menu_text(member)}", keyboards.main_menu(member))
    await query.answer()


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cancel_command, Command("cancel"))
    router.callback_query.register(cancel_button, MenuCallback.filter(F.action == MenuAction.CANCEL))
    return router
