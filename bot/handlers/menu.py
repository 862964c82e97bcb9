"""The main menu and the member's own profile."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.callbacks import MenuAction, MenuCallback
from bot.handlers.common import show
from models.members import MANAGEMENT_CATEGORY_LABELS, MEMBER_TYPE_LABELS, Member, TelegramUser


def menu_text(member: Member | None) -> str:
    if member is None:
        return _(
            "Main menu.\n\nYour Telegram account is not linked to a Party member yet. "
            "To link it, open the invitation link your branch secretary gave you."
        )
    return _("Main menu. {name}, what would you like to do?").format(name=escape(member.name))


async def show_menu(message: Message, member: Member | None) -> None:
    await message.answer(menu_text(member), reply_markup=keyboards.main_menu(member))


async def menu_command(message: Message, state: FSMContext, member: Member | None) -> None:
    # The main menu leaves any conversation: text typed later is not taken as its answer.
    await state.clear()
    await show_menu(message, member)


async def help_command(message: Message, member: Member | None) -> None:
    await message.answer(help_text(member), reply_markup=keyboards.back_to_menu())


def help_text(member: Member | None) -> str:
    commands = _(
        "/menu — main menu\n/cancel — stop what you are doing\n/language — choose your language\n"
        "/help — this help"
    )
    if member is None:  # a resident: the bot is where they make micro-wishes
        return _(
            "<b>Xianfeng</b> lets residents ask their community's Party members for help with a "
            "micro-wish, and follow it.\n\n{commands}\n\n"
            "Use the buttons under the messages. Party members: open the invitation link your "
            "branch secretary gave you."
        ).format(commands=commands)
    return _(
        "<b>Xianfeng</b> helps Party members take part in community programmes.\n\n{commands}\n\n"
        "Use the buttons under the messages. If something goes wrong, your branch secretary can help."
    ).format(commands=commands)


async def menu_home(query: CallbackQuery, state: FSMContext, member: Member | None) -> None:
    await state.clear()
    await show(query, menu_text(member), keyboards.main_menu(member))
    await query.answer()


async def menu_help(query: CallbackQuery, member: Member | None) -> None:
    await show(query, help_text(member), keyboards.back_to_menu())
    await query.answer()


async def menu_profile(query: CallbackQuery, member: Member | None, tg_user: TelegramUser) -> None:
    if member is None:
        await query.answer(_("Only members linked by an invitation can do this."), show_alert=True)
        return
    await member.fetch_related("branch", "residence_community", "work_unit")
    lines = [
        f"<b>{escape(member.name)}</b>",
        _("Branch: {branch}").format(branch=escape(await member.branch.full_name())),
        _("Member type: {type}").format(type=_(MEMBER_TYPE_LABELS[member.member_type])),
        _("Management category: {category}").format(
            category=_(MANAGEMENT_CATEGORY_LABELS[member.management_category])
        ),
    ]
    if member.residence_community:
        lines.append(_("Residence community: {community}").format(
            community=escape(member.residence_community.name)))
    if member.work_unit:
        lines.append(_("Work unit: {unit}").format(unit=escape(member.work_unit.name)))
    lines.append(_("To correct these details, ask your branch secretary."))
    await show(query, "\n".join(lines), keyboards.back_to_menu())
    await query.answer()


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(menu_command, Command("menu"))
    router.message.register(help_command, Command("help"))
    router.callback_query.register(menu_home, MenuCallback.filter(F.action == MenuAction.HOME))
    router.callback_query.register(menu_help, MenuCallback.filter(F.action == MenuAction.HELP))
    router.callback_query.register(menu_profile, MenuCallback.filter(F.action == MenuAction.PROFILE))
    return router
