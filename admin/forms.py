"""Form helpers: submitted values, per-field error messages, select options, redirect after POST."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

from models.clock import current_year
from models.errors import DomainError
from models.membership import FieldErrors
from models.org import OrgUnit


@dataclass(frozen=True)
class Option:
    """One choice of a <select>: the submitted value and the text shown."""

    value: str
    text: str


def translated_options(labels: Mapping[str, str], gettext: Callable[[str], str]) -> list[Option]:
    """Options from one of the domain's ``*_LABELS`` dicts (value -> message id)."""
    return [Option(str(value), gettext(msgid)) for value, msgid in labels.items()]


def unit_options(units: Iterable[OrgUnit], root_depth: int) -> list[Option]:
    """Org units as options, indented by depth below ``root_depth`` (the user's own node)."""
    indent = "\u00a0" * 3  # non-breaking: browsers keep it inside <option>
    return [Option(str(unit.id), indent * (unit.depth - root_depth) + unit.name) for unit in units]


@dataclass
class FormState:
    """What a form shows: the values as typed (kept on error) and a message per field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)


def form_values(form: Mapping[str, object], names: Iterable[str]) -> dict[str, str]:
    """The named text fields, stripped; absent or non-text (file) fields become ""."""
    values = {}
    for name in names:
        value = form.get(name)
        values[name] = value.strip() if isinstance(value, str) else ""
    return values


def field_errors(error: DomainError, gettext: Callable[[str], str]) -> dict[str, str]:
    """Translated messages keyed by field name; an error without a field goes under ""."""
    if isinstance(error, FieldErrors):
        return {name: err.render(gettext) for name, err in error.errors.items()}
    return {getattr(error, "field", None) or "": error.render(gettext)}


# The largest value of an IntField (PostgreSQL ``integer``): ids and every number a form takes.
MAX_INT = 2**31 - 1


YEARS_SHOWN_BACK = 50


def shown_year(value: object) -> int:
    """The year a page is asked to show (``?year=``, a form's year): this year unless the
    value is one of the last ``YEARS_SHOWN_BACK`` years or next year."""
    year = int_or_none(value)
    this = current_year()
    return year if year is not None and this - YEARS_SHOWN_BACK <= year <= this + 1 else this


def int_or_none(value: object) -> int | None:
    """A whole number typed in ASCII digits, else None ("²".isdigit() is true, int("²") fails).

    Numbers past ``MAX_INT`` are None too: PostgreSQL refuses them as query parameters.
    """
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,10}", value.strip()):
        number = int(value)
        return number if number <= MAX_INT else None
    return None


def path_id(request: web.Request, name: str) -> int:
    """The id in the address (a route's ``{name:\\d+}``); 404 when no record could have it."""
    number = int_or_none(request.match_info[name])
    if number is None:
        raise web.HTTPNotFound()
    return number


def see_other(location: str) -> web.Response:
    """Redirect after a POST so that reloading the next page does not resubmit the form."""
    return web.Response(status=303, headers={"Location": location})
