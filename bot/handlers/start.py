"""/start: greet, and bind an account when a deep-link invitation code comes with it."""

from __future__ import annotations

import re
from html import escape

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.handlers.menu import menu_text
from bot.texts import refusal_text
from models.errors import InviteError
from models.invites import redeem_invite
from models.members import Member, TelegramUser

# Telegram deep-link payloads are 1–64 characters of [A-Za-z0-9_-].
_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def start_with_code(
    message: Message, command: CommandObject, state: FSMContext, tg_user: TelegramUser,
    member: Member | None,
) -> None:
    await state.clear()  # /start begins afresh: no conversation waits for an answer any more
    code = (command.args or "").strip()
    if not _CODE_RE.match(code):
        await message.answer(_("This invitation code is not valid. Please check the link you received."))
        return
    try:
        member = await redeem_invite(code, tg_user)
    except InviteError as refusal:
        await message.answer(refusal_text(refusal, _), reply_markup=keyboards.main_menu(member))
        return
    await message.answer(
        _("Welcome, {name}! Your Telegram account is now linked to your Party membership.").format(
            name=escape(member.name)
        )
    )
    await message.answer(menu_text(member), reply_markup=keyboards.main_menu(member))


async def start_plain(message: Message, state: FSMContext, member: Member | None) -> None:
    await state.clear()
    if member is None:
        await message.answer(
            _(
                "Welcome to Xianfeng, the service of the Party organisation in your community.\n\n"
                "Party members: open the invitation link from your branch secretary to link your account."
            ),
            reply_markup=keyboards.main_menu(None),
        )
        return
    await message.answer(
        _("Welcome back, {name}!").format(name=escape(member.name)),
    )
    await message.answer(menu_text(member), reply_markup=keyboards.main_menu(member))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start_with_code, CommandStart(deep_link=True))
    router.message.register(start_plain, CommandStart())
    return router
