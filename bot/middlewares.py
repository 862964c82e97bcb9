"""Outer middlewares: each update once, who is talking to us, and in which language."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18nMiddleware

from models.members import TelegramUser, preferred_locale, telegram_user_with_member
from models.updates import Claim, claim_update, finish_update, release_update

log = logging.getLogger(__name__)

#: How stale ``TelegramUser.last_seen_at`` may get before an update writes it again.
SEEN_EVERY = timedelta(minutes=5)


class UpdateInProgress(RuntimeError):
    """Another worker is handling this update right now: answer non-2xx, Telegram retries later."""


async def handle_once(update_id: int, handle: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``handle()`` unless update ``update_id`` was already handled (see models/updates.py).

    The claim is released when handling raises (including cancellation at shutdown), so a
    redelivery of the update runs it again; an update another worker is still handling
    raises :class:`UpdateInProgress`.
    """
    claim = await claim_update(update_id)
    if claim is Claim.DONE:
        log.info("update %s was already handled: ignored", update_id)
        return None
    if claim is Claim.BUSY:
        raise UpdateInProgress(f"update {update_id} is being handled by another worker")
    try:
        result = await handle()
    except BaseException:
        await _retrying(release_update, update_id, "release its claim")
        raise
    # Handled: even if this write fails the update must not be reported as failed (a
    # redelivery would only wait and then do it twice), so it is retried, then logged.
    await _retrying(finish_update, update_id, "record it as handled")
    return result


async def _retrying(write: Callable[[int], Awaitable[None]], update_id: int, what: str) -> None:
    """``write(update_id)``, retried briefly (SQLite may be busy); a failure is only logged:
    an unfinished claim is taken over after ``STALE_AFTER``."""
    for pause in (0.05, 0.2, 0.5, None):
        try:
            await write(update_id)
            return
        except Exception as error:  # noqa: BLE001
            if pause is None:
                log.warning("update %s: could not %s (%s)", update_id, what, error)
                return
            await asyncio.sleep(pause)


class OnceDispatcher(Dispatcher):
    """A dispatcher that handles each update id once, for polling and webhook alike.

    The claim wraps ``feed_update``, outside every middleware including aiogram's error
    middleware: a duplicate costs one query and touches nothing else, and an error the
    error handler lets through (a transient one, see bot/handlers/errors.py) releases the
    claim so the redelivered update is handled again.
    """

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        parent = super()
        return await handle_once(update.update_id, lambda: parent.feed_update(bot, update, **kwargs))


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
        """One query for a known user whose profile is unchanged (the common case): the
        row is written only when something changed or ``last_seen_at`` is over
        ``SEEN_EVERY`` old, so a busy chat does not cost a write per update."""
        now = datetime.now(UTC)
        profile = {
            "first_name": (user.first_name or "")[:128],
            "username": user.username,
            "language_code": user.language_code,
        }
        tg_user = await telegram_user_with_member(user.id)
        if tg_user is None:
            tg_user, created = await TelegramUser.get_or_create(
                id=user.id, defaults={**profile, "last_seen_at": now}
            )
            if created:
                tg_user.member = None  # a new account is bound to nobody
                return tg_user
            await tg_user.fetch_related("member")  # created meanwhile by another update
        changes = {key: value for key, value in profile.items() if getattr(tg_user, key) != value}
        if reachable and tg_user.unreachable_since is not None:
            changes["unreachable_since"] = None
        if changes or tg_user.last_seen_at is None or now - tg_user.last_seen_at >= SEEN_EVERY:
            changes["last_seen_at"] = now
            await TelegramUser.filter(id=user.id).update(**changes)
            for key, value in changes.items():
                setattr(tg_user, key, value)
        return tg_user


class UserLocaleMiddleware(I18nMiddleware):
    """The user's saved choice, else Telegram's language_code, else the default."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        return preferred_locale(data.get("tg_user"), self.i18n.default_locale)
