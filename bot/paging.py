"""Paged lists in the bot: one page of a list or a query, the page number clamped, so a
stale ◀ / ▶ button (the list shrank meanwhile) shows the nearest page that exists."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiogram.types import InlineKeyboardButton
from aiogram.utils.i18n import gettext as _
from tortoise.queryset import QuerySet

T = TypeVar("T")

PAGE_SIZE = 8


def nearest_years(years: Iterable[int], year: int) -> list[int]:
    """The nearest of ``years`` before ``year`` and the nearest after it, those that exist:
    where ⬅️ / ➡️ lead from ``year``."""
    years = set(years)
    earlier = max((other for other in years if other < year), default=None)
    later = min((other for other in years if other > year), default=None)
    return [other for other in (earlier, later) if other is not None]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int  # 0-based, within range
    pages: int  # at least 1
    size: int

    @property
    def first_position(self) -> int:
        """The 1-based position in the whole list of this page's first item."""
        return self.number * self.size + 1

    def footer(self) -> list[str]:
        """A "Page 2 of 3" line to append to the text, when there is more than one page."""
        if self.pages <= 1:
            return []
        return ["", _("Page {page} of {pages}").format(page=self.number + 1, pages=self.pages)]


def _clamp(page: int, count: int, size: int) -> tuple[int, int]:
    pages = max(1, math.ceil(count / size))
    return min(max(page, 0), pages - 1), pages


def page_of(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> Page[T]:
    number, pages = _clamp(page, len(items), size)
    return Page(list(items[number * size:(number + 1) * size]), number, pages, size)


async def page_of_query(query: QuerySet, page: int, size: int = PAGE_SIZE) -> Page:
    number, pages = _clamp(page, await query.count(), size)
    return Page(await query.offset(number * size).limit(size), number, pages, size)


def page_buttons(page: int, pages: int, pack) -> list[InlineKeyboardButton]:
    """◀️ / ▶️ around ``page`` (0-based) of ``pages`` (none for one page); ``pack(page)`` makes
    the callback data."""
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton(text=_("◀️ Previous"), callback_data=pack(page - 1)))
    if page < pages - 1:
        buttons.append(InlineKeyboardButton(text=_("Next ▶️"), callback_data=pack(page + 1)))
    return buttons
