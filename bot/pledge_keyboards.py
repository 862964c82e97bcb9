"""Inline keyboards of the pledge flows.

Labels use aiogram's ``_`` (the current user's language), except the button that goes
into notifications, which gets its label in the recipient's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import (
    MenuAction,
    MenuCallback,
    PledgeAction,
    PledgeCallback,
    PledgeDateChoice,
    PledgeItemAction,
    PledgeItemCallback,
    PledgeKindChoice,
    PledgePhotoCallback,
    PledgeTemplateChoice,
    TargetDateChoice,
)
from bot.keyboard_builder import InlineKeyboardBuilder
from bot.pledge_texts import kind_label, shows_progress
from bot.texts import local_date
from models.clock import local_today
from models.pledge_templates import TEMPLATES
from models.pledges import (
    KEEPING,
    MAX_ITEMS,
    ItemKind,
    Pledge,
    PledgeItem,
    PledgeProgress,
    PledgeStatus,
)

ITEMS_PER_ROW = 4


def _pledge(action: PledgeAction, year: int, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=PledgeCallback(action=action, year=year).pack())


def _item(action: PledgeItemAction, item: PledgeItem, text: str) -> InlineKeyboardButton:
    data = PledgeItemCallback(action=action, item_id=item.id)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def main_menu_button() -> InlineKeyboardButton:
    data = MenuCallback(action=MenuAction.HOME)
    return InlineKeyboardButton(text=_("⬅️ Main menu"), callback_data=data.pack())


def back_to_pledge(year: int) -> InlineKeyboardButton:
    return _pledge(PledgeAction.OPEN, year, _("⬅️ Back to my pledge"))


def cancel_only(year: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_pledge(PledgeAction.CANCEL, year, _("✖️ Cancel"))]])


# --------------------------------------------------------------------------- the pledge


def other_years(year: int, years: Sequence[int]) -> list[InlineKeyboardButton]:
    """Buttons to the pledges of the neighbouring ``years`` (one earlier, one later)."""
    return [_pledge(PledgeAction.OPEN, other,
                    (_("⬅️ My pledge for {year}") if other < year else _("My pledge for {year} ➡️"))
                    .format(year=other))
            for other in sorted(years)]


def intro(year: int, years: Sequence[int] = ()) -> InlineKeyboardMarkup:
    rows = [
        [_pledge(PledgeAction.TEMPLATES, year, _("📄 Start from a template"))],
        [_pledge(PledgeAction.ADD, year, _("➕ Add an item"))],
    ]
    if years:
        rows.append(other_years(year, years))
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [main_menu_button()]])


def pledge_screen(pledge: Pledge, items: Sequence[PledgeItem], years: Sequence[int] = ()) -> InlineKeyboardMarkup:
    """Item buttons, then what the pledge's status allows, then the neighbouring ``years``."""
    year = pledge.year
    builder = InlineKeyboardBuilder()
    for number, item in enumerate(items, start=1):
        builder.button(text=_("Item {number}").format(number=number),
                       callback_data=PledgeItemCallback(action=PledgeItemAction.OPEN, item_id=item.id))
    builder.adjust(ITEMS_PER_ROW)
    if pledge.editable:
        if len(items) < MAX_ITEMS:
            builder.row(_pledge(PledgeAction.ADD, year, _("➕ Add an item")))
        if not items:
            builder.row(_pledge(PledgeAction.TEMPLATES, year, _("📄 Start from a template")))
        else:
            builder.row(_pledge(PledgeAction.SUBMIT, year, _("📤 Submit for review")))
        builder.row(_pledge(PledgeAction.SAVE, year, _("💾 Save the draft and finish later")))
    elif shows_progress(pledge):
        builder.row(_pledge(PledgeAction.HISTORY, year, _("📖 My progress history")))
        if pledge.status == PledgeStatus.PUBLISHED:
            builder.row(_pledge(PledgeAction.SUMMARY, year, _("📝 Half-year summary")))
    if years:
        builder.row(*other_years(year, years))
    builder.row(main_menu_button())
    return builder.as_markup()


def submit_confirmation(year: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_pledge(PledgeAction.SUBMIT_CONFIRMED, year, _("✅ Yes, submit it"))],
        [back_to_pledge(year)],
    ])


def template_choice(keys: Sequence[str], year: int) -> InlineKeyboardMarkup:
    """``keys`` in order, the member type's own first (starred)."""
    builder = InlineKeyboardBuilder()
    for index, key in enumerate(keys):
        name = _(TEMPLATES[key][0])
        builder.button(text=f"⭐ {name}" if index == 0 else name,
                       callback_data=PledgeTemplateChoice(key=key))
    builder.adjust(1)
    builder.row(_pledge(PledgeAction.CANCEL, year, _("✖️ Cancel")))
    return builder.as_markup()


def kind_choice(year: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in ItemKind:
        builder.button(text=kind_label(kind, _), callback_data=PledgeKindChoice(kind=kind))
    builder.adjust(1)
    builder.row(_pledge(PledgeAction.CANCEL, year, _("✖️ Cancel")))
    return builder.as_markup()


def date_choice(year: int) -> InlineKeyboardMarkup:
    """The usual target dates; "end of June" only while it is still ahead."""
    def choice(value: TargetDateChoice, text: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=PledgeDateChoice(choice=value).pack())

    presets = [choice(TargetDateChoice.END_OF_YEAR, _("By the end of the year"))]
    if local_today() <= date(year, 6, 30):
        presets.insert(0, choice(TargetDateChoice.END_OF_JUNE, _("By the end of June")))
    return InlineKeyboardMarkup(inline_keyboard=[
        presets,
        [choice(TargetDateChoice.NONE, _("No target date"))],
        [_pledge(PledgeAction.CANCEL, year, _("✖️ Cancel"))],
    ])


# --------------------------------------------------------------------------- one item


def item_screen(
    pledge: Pledge, item: PledgeItem, entries: Sequence[PledgeProgress],
) -> InlineKeyboardMarkup:
    """``entries`` are the ones shown on the screen: their photos get a button each."""
    rows = []
    if pledge.editable:
        rows.append([_item(PledgeItemAction.EDIT, item, _("✏️ Change the text")),
                     _item(PledgeItemAction.DELETE, item, _("🗑 Delete"))])
    elif pledge.status in KEEPING:
        rows.append([_item(PledgeItemAction.PROGRESS, item, _("📌 Log progress"))])
    photos = [InlineKeyboardButton(
        text=_("📷 {date}").format(date=local_date(entry.created_at)),
        callback_data=PledgePhotoCallback(progress_id=entry.id).pack(),
    ) for entry in entries if entry.photo_file_id]
    rows += [photos[start:start + ITEMS_PER_ROW] for start in range(0, len(photos), ITEMS_PER_ROW)]
    rows.append([back_to_pledge(pledge.year)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def delete_confirmation(item: PledgeItem) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_item(PledgeItemAction.DELETE_CONFIRMED, item, _("🗑 Yes, delete it"))],
        [_item(PledgeItemAction.OPEN, item, _("⬅️ Back"))],
    ])


def history(year: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[back_to_pledge(year)]])


# --------------------------------------------------------------------------- in notifications


def notification_button(action: PledgeAction, year: int, text: str) -> InlineKeyboardMarkup:
    """One button under a notification; ``text`` is already in the recipient's language."""
    return InlineKeyboardMarkup(inline_keyboard=[[_pledge(action, year, text)]])
