"""Last line of defence: log the traceback, apologise to the user in their language."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

from bot.texts import refusal_text
from models.errors import DomainError

log = logging.getLogger(__name__)


def is_transient(error: BaseException) -> bool:
    """A failure that the same update may not hit a moment later: a database, Redis or
    Telegram that cannot be reached or is busy. Bugs and domain refusals are not."""
    from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
    from tortoise.exceptions import DBConnectionError, OperationalError

    transient: tuple[type[BaseException], ...] = (
        ConnectionError, TimeoutError, DBConnectionError, OperationalError,
        TelegramNetworkError, TelegramRetryAfter, TelegramServerError,
    )
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        transient += (RedisConnectionError, RedisTimeoutError)
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    try:
        from asyncpg import PostgresConnectionError

        transient += (PostgresConnectionError,)
    except ImportError:  # pragma: no cover
        pass
    return isinstance(error, transient)


async def on_error(event: ErrorEvent, redeliver_transient: bool = False) -> None:
    """Apologise for a failure; in webhook mode let a transient one through instead, so the
    webhook answers 500 and Telegram delivers the update again (retrying a bug would only
    repeat it, so bugs are answered and logged)."""
    update = event.update
    if redeliver_transient and is_transient(event.exception):
        log.warning("Update %s failed (%s): Telegram will deliver it again",
                    update.update_id, type(event.exception).__name__)
        raise event.exception
    if isinstance(event.exception, DomainError):
        text = refusal_text(event.exception, _)
    else:
        log.exception("Update %s failed", update.update_id, exc_info=event.exception)
        text = _("Sorry, something went wrong on our side. Please try again in a moment.")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.message is not None:
        await update.message.answer(text)


def create_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_error)
    return router
