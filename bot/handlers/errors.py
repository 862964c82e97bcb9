"""Last line of defence: log the traceback, apologise to the user in their language."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

from bot.texts import refusal_text
from models.errors import DomainError

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent) -> None:
    update = event.update
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
