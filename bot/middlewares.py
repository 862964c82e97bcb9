"""Outer middlewares: who is talking to us, and in which language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18nMiddleware

from models.members import TelegramUser, preferred_locale


class TelegramUserMiddleware(BaseMiddleware):
    """Record the Telegram user behind each update and load the member bound to it.

    Puts ``tg_user`` (TelegramUser or None for updates without a sender) and
    ``member`` (Member or None) into the handler data.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        tg_user = member = None
        if user is not None and not user.is_bot:
            # Only the user's own message or button press proves the bot can reach them again
            # (a my_chat_member update may be the very notice that they blocked it).
            wrote = isinstance(event, Update) and (event.message or event.callback_query) is not None
            tg_user = await self._touch(user, reachable=wrote)
            member = tg_user.member
        data["tg_user"] = tg_user
        data["member"] = member
        return await handler(event, data)

    @staticmethod
    async def _touch(user: User, *, reachable: bool) -> TelegramUser:
        now = datetime.now(UTC)
        profile = {
            "first_name": (user.first_name or "")[:128],
            "username": user.username,
            "language_code": user.language_code,
            "last_seen_at": now,
        }
        if reachable:
            profile["unreachable_since"] = None
        tg_user, created = await TelegramUser.get_or_create(id=user.id, defaults=profile)
        if not created:
            await TelegramUser.filter(id=user.id).update(**profile)
            for key, value in profile.items():
                setattr(tg_user, key, value)
        await tg_user.fetch_related("member")
        return tg_user


class UserLocaleMiddleware(I18nMiddleware):
    """The user's saved choice, else Telegram's language_code, else the default."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        return preferred_locale(data.get("tg_user"), self.i18n.default_locale)
