"""Typed keys for what the app and each request carry."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot
from aiohttp import web
from babel.support import Translations

from models.admins import AdminSession, AdminUser
from models.scope import Scope
from xianfeng.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
SECRET_KEY = web.AppKey("secret_key", bytes)
BOT_USERNAME = web.AppKey("bot_username", Callable[[], str])
SANDBOX_CHAT_URL = web.AppKey("sandbox_chat_url", str)  # "" when there is no sandbox
# The Bot API client members' photos are fetched with; absent when the panel has no bot token.
FILES_BOT = web.AppKey("files_bot", Bot)

SESSION = web.RequestKey("session", AdminSession)
SESSION_TOKEN = web.RequestKey("session_token", str)
USER = web.RequestKey("user", AdminUser)
SCOPE = web.RequestKey("scope", Scope)
LOCALE = web.RequestKey("locale", str)
TRANSLATIONS = web.RequestKey("translations", Translations)
# A login-form CSRF nonce minted during this request, to be set as a cookie on the response.
NEW_CSRF_NONCE = web.RequestKey("new_csrf_nonce", str)
