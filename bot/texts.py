"""Text helpers every programme's handlers and notifications use."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

#: A gettext: aiogram's (the current user's language) in handlers, the recipient's in notifications.
Gettext = Callable[[str], str]

EXCERPT_LENGTH = 80


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The start of a user's text on one line, HTML-escaped."""
    text = " ".join(text.split())
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")
