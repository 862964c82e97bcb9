"""Pieces of text about wishes, shared by the handlers and the notifications.

They take the ``gettext`` to use: the handlers pass aiogram's (the current user's
language), the notifications the recipient's.
"""

from __future__ import annotations

from html import escape

from bot.texts import Gettext
from models.wishes import WISH_CATEGORY_LABELS, Wish, WishCategory


def category_label(category: WishCategory | None, gettext: Gettext) -> str:
    return gettext(WISH_CATEGORY_LABELS[category]) if category else gettext("Not sure")


def deadline_text(wish: Wish) -> str:
    return wish.deadline.isoformat() if wish.deadline else "—"


def service_line(wish: Wish, gettext: Gettext) -> str:
    """The reviewer's terms: what the service is and by when."""
    return gettext("Service: {standard} · Deadline: {deadline}").format(
        standard=escape(wish.service_standard), deadline=deadline_text(wish))
