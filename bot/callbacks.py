"""CallbackData factories (short prefixes: Telegram allows 64 bytes of callback data)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class MenuAction(StrEnum):
    HOME = "home"
    PROFILE = "profile"
    LANGUAGE = "lang"
    HELP = "help"


class MenuCallback(CallbackData, prefix="m"):
    action: MenuAction


class LanguageCallback(CallbackData, prefix="l"):
    locale: str
