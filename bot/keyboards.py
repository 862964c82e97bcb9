"""Inline keyboards. Labels are translated in the current user's locale."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import LanguageCallback, MenuAction, MenuCallback
from bot.keyboard_builder import InlineKeyboardBuilder
from locales import LANGUAGE_NAMES, LOCALES
from models.members import Member


def main_menu(member: Member | None) -> InlineKeyboardMarkup:
    """The programmes a user can reach; items for programmes not built yet are absent."""
    builder = InlineKeyboardBuilder()
    if member is not None:
        builder.button(text=_("👤 My profile"), callback_data=MenuCallback(action=MenuAction.PROFILE))
        builder.button(text=_("📝 My pledge"), callback_data=MenuCallback(action=MenuAction.MY_PLEDGE))
        builder.button(text=_("🌟 Wish wall"), callback_data=MenuCallback(action=MenuAction.WISH_WALL))
        builder.button(
            text=_("🤝 My claimed wishes"), callback_data=MenuCallback(action=MenuAction.CLAIMED_WISHES)
        )
        builder.button(
            text=_("🏘 Community service"), callback_data=MenuCallback(action=MenuAction.COMMUNITY)
        )
        builder.button(text=_("⭐ My points"), callback_data=MenuCallback(action=MenuAction.POINTS))
    builder.button(text=_("🙏 Make a wish"), callback_data=MenuCallback(action=MenuAction.MAKE_WISH))
    builder.button(text=_("📋 My wishes"), callback_data=MenuCallback(action=MenuAction.MY_WISHES))
    builder.button(text=_("🌐 Language"), callback_data=MenuCallback(action=MenuAction.LANGUAGE))
    builder.button(text=_("❓ Help"), callback_data=MenuCallback(action=MenuAction.HELP))
    builder.adjust(1)
    return builder.as_markup()


def back_to_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuCallback(action=MenuAction.HOME))
    return builder.as_markup()


def language_choice(current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale in LOCALES:
        mark = "✅ " if locale == current else ""
        builder.button(text=mark + LANGUAGE_NAMES[locale], callback_data=LanguageCallback(locale=locale))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuCallback(action=MenuAction.HOME))
    builder.adjust(1)
    return builder.as_markup()
