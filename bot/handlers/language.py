"""Choosing the language: /language and the menu button; the choice is saved per user."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.callbacks import LanguageCallback, MenuAction, MenuCallback
from bot.handlers.common import show
from bot.handlers.menu import menu_text
from locales import LANGUAGE_NAMES, LOCALES
from models.members import Member, TelegramUser


def choose_text() -> str:
    return _("Choose your language:")


async def language_command(message: Message, i18n: I18n) -> None:
    await message.answer(choose_text(), reply_markup=keyboards.language_choice(i18n.current_locale))


async def language_menu(query: CallbackQuery, i18n: I18n) -> None:
    await show(query, choose_text(), keyboards.language_choice(i18n.current_locale))
    await query.answer()


async def language_chosen(
    query: CallbackQuery, callback_data: LanguageCallback, tg_user: TelegramUser,
    member: Member | None, i18n: I18n,
) -> None:
    if callback_data.locale not in LOCALES:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await TelegramUser.filter(id=tg_user.id).update(locale=callback_data.locale)
    with i18n.use_locale(callback_data.locale):
        await show(
            query,
            _("Language set: {language}").format(language=LANGUAGE_NAMES[callback_data.locale])
            + "\n\n" + menu_text(member),
            keyboards.main_menu(member),
        )
        await query.answer()


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(language_command, Command("language"))
    router.callback_query.register(language_menu, MenuCallback.filter(F.action == MenuAction.LANGUAGE))
    router.callback_query.register(language_chosen, LanguageCallback.filter())
    return router
