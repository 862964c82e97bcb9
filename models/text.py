"""What every programme means by valid free text."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.expressions import Q

from locales import N_
from models.errors import ValidationError

# Characters that show nothing: a text of only these (e.g. the Hangul filler people send
# as a "blank" message) is empty.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u115f\u1160\u3164\uffa0"))


def clean_text(text: str | None, limit: int, field: str) -> str:
    """Stripped ``text``; a ValidationError on ``field`` when it is blank or over ``limit``."""
    text = (text or "").strip()
    if not text.translate(_INVISIBLE).strip():
        raise ValidationError(N_("Please write something."), field=field)
    if len(text) > limit:
        raise too_long(text, limit, field)
    return text


def clean_optional_text(text: str | None, limit: int, field: str) -> str:
    """Stripped ``text`` that may be empty; a ValidationError on ``field`` when over ``limit``."""
    text = (text or "").strip()
    if len(text) > limit:
        raise too_long(text, limit, field)
    return text


def too_long(text: str, limit: int, field: str) -> ValidationError:
    """The error for ``text`` over ``limit`` characters. It says how long the text is: someone
    who typed a long message on a phone then knows how much to cut."""
    return ValidationError(N_("At most {count} characters; this has {length}."), field=field,
                           count=limit, length=len(text))


def shortened(text: str, limit: int) -> str:
    """``text`` itself when it fits in ``limit`` characters, else its start and "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def containing(field: str, text: str) -> Q:
    """``field`` contains ``text``, whatever the (Latin) letter case: a search.

    ``icontains`` wraps both sides in UPPER(); SQLite's LIKE already ignores the case of
    ASCII letters, the only ones its UPPER() knows, so there plain ``contains`` means the
    same and scans twice as fast (a search reads every row). PostgreSQL's UPPER() knows
    every script: ``icontains`` there.
    """
    sqlite = Tortoise.get_connection("default").capabilities.dialect == "sqlite"
    return Q(**{f"{field}__{'contains' if sqlite else 'icontains'}": text})
