"""Text helpers every programme's handlers and notifications use."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape

from models import clock
from models.errors import DomainError, Label
from models.text import shortened

#: A gettext: aiogram's (the current user's language) in handlers, the recipient's in notifications.
Gettext = Callable[[str], str]

EXCERPT_LENGTH = 80

# Telegram refuses messages over 4096 UTF-16 code units: what users wrote gets cut, if need
# be, to what the rest of the message leaves, but never below SHORTEST_CUT.
MESSAGE_BUDGET = 4000
SHORTEST_CUT = 40


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int) -> str:
    if _units(text) <= limit:
        return text
    return text.encode("utf-16-le")[: 2 * (limit - 1)].decode("utf-16-le", errors="ignore") + "…"


def fitted(render: Callable[[list[str]], str], texts: Sequence[str]) -> str:
    """``render(texts)``, the texts cut to equal shares if the whole would be too long."""
    if _units(whole := render(list(texts))) <= MESSAGE_BUDGET:
        return whole
    share = (MESSAGE_BUDGET - _units(render([""] * len(texts)))) // len(texts)
    return render([cut(text, max(share, SHORTEST_CUT)) for text in texts])


def local_date(moment: datetime) -> str:
    """The local day of a stored (UTC) time, as YYYY-MM-DD."""
    return moment.astimezone(clock.zone()).date().isoformat()


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The start of a user's text on one line, HTML-escaped."""
    text = " ".join(text.split())
    return escape(shortened(text, limit))


def refusal_text(error: DomainError, gettext: Gettext) -> str:
    """A domain error's message for an HTML message: parameters that are text (e.g. a member's
    name) are escaped; labels are translated as usual."""
    safe = copy.copy(error)
    safe.params = {
        name: escape(value) if isinstance(value, str) and not isinstance(value, Label) else value
        for name, value in error.params.items()
    }
    return safe.render(gettext)
