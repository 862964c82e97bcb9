"""Text helpers every programme's handlers and notifications use."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from html import escape

from models import clock
from models.errors import DomainError, Label

#: A gettext: aiogram's (the current user's language) in handlers, the recipient's in notifications.
Gettext = Callable[[str], str]

EXCERPT_LENGTH = 80


def local_date(moment: datetime) -> str:
    """The local day of a stored (UTC) time, as YYYY-MM-DD."""
    return moment.astimezone(clock.zone()).date().isoformat()


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The start of a user's text on one line, HTML-escaped."""
    text = " ".join(text.split())
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def refusal_text(error: DomainError, gettext: Gettext) -> str:
    """A domain error's message for an HTML message: parameters that are text (e.g. a member's
    name) are escaped; labels are translated as usual."""
    safe = copy.copy(error)
    safe.params = {
        name: escape(value) if isinstance(value, str) and not isinstance(value, Label) else value
        for name, value in error.params.items()
    }
    return safe.render(gettext)
