"""Keyboards of the micro-wish flows: inline, and the one reply keyboard that shares a phone
number.

Labels use aiogram's ``_`` (the current user's language), except the keyboards that
go into notifications, which take the recipient's ``gettext``.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _

from bot.callbacks import (
    ClaimedAction,
    ClaimedWishCallback,
    MenuAction,
    MenuCallback,
    MyWishAction,
    MyWishCallback,
    WallCallback,
    WallCategoriesCallback,
    WallClaimCallback,
    WishCategoryChoice,
    WishCommunityChoice,
    WishCommunityPage,
    WishConfirmCallback,
    WishFormAction,
    WishFormCallback,
    WishNotDoneCallback,
    WishPhotoCallback,
    WishRateCallback,
)
from bot.keyboard_builder import InlineKeyboardBuilder
from bot.paging import page_buttons
from bot.texts import Gettext
from bot.wish_texts import category_label
from models.org import OrgUnit
from models.wishes import (
    SATISFACTION_LABELS,
    WITHDRAWABLE,
    Satisfaction,
    Wish,
    WishCategory,
    WishProgress,
    WishStatus,
)

COMMUNITIES_PER_PAGE = 8
SATISFACTION_ICONS = {Satisfaction.SATISFIED: "😊", Satisfaction.BASIC: "🙂", Satisfaction.UNSATISFIED: "🙁"}


def _menu_button(action: MenuAction, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=MenuCallback(action=action).pack())


def main_menu_button() -> InlineKeyboardButton:
    return _menu_button(MenuAction.HOME, _("⬅️ Main menu"))


def cancel_button() -> InlineKeyboardButton:
    return _menu_button(MenuAction.CANCEL, _("✖️ Cancel"))


def cancel_only() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button()]])


# --------------------------------------------------------------------------- the resident's form


def category_choice() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for category in WishCategory:
        builder.button(text=category_label(category, _), callback_data=WishCategoryChoice(category=category))
    builder.button(text=_("🤷 Not sure"), callback_data=WishCategoryChoice(category=None))
    builder.adjust(2)
    builder.row(cancel_button())
    return builder.as_markup()


def community_choice(communities: Sequence[OrgUnit], page: int) -> InlineKeyboardMarkup:
    """One page of communities; ``page`` must be valid (see :func:`community_pages`)."""
    builder = InlineKeyboardBuilder()
    start = page * COMMUNITIES_PER_PAGE
    for community in communities[start:start + COMMUNITIES_PER_PAGE]:
        builder.button(text=community.name, callback_data=WishCommunityChoice(community_id=community.id))
    builder.adjust(2)
    builder.row(*page_buttons(page, community_pages(communities), lambda to: WishCommunityPage(page=to).pack()))
    builder.row(cancel_button())
    return builder.as_markup()


def community_pages(communities: Sequence[OrgUnit]) -> int:
    return max(1, -(-len(communities) // COMMUNITIES_PER_PAGE))


def share_phone() -> ReplyKeyboardMarkup:
    """One button under the message box that sends the account's own phone number: one tap
    instead of eleven digits typed on a phone."""
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_("📱 Send my phone number"), request_contact=True)]],
        resize_keyboard=True, one_time_keyboard=True,
    )


def skip_or_cancel(skip: WishFormAction) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("⏭ Skip"), callback_data=WishFormCallback(action=skip).pack()),
        cancel_button(),
    ]])


def submit_or_cancel() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(
            text=_("✅ Submit"), callback_data=WishFormCallback(action=WishFormAction.SUBMIT).pack()
        ),
        cancel_button(),
    ]])


def after_submit() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_menu_button(MenuAction.MY_WISHES, _("📋 My wishes"))], [main_menu_button()],
    ])


# --------------------------------------------------------------------------- the resident's wishes


def my_wishes(wishes: Sequence[Wish]) -> InlineKeyboardMarkup:
    """A withdraw button for each wish that can still be withdrawn, numbered as in the list."""
    builder = InlineKeyboardBuilder()
    for number, wish in enumerate(wishes, start=1):
        if wish.status in WITHDRAWABLE:
            builder.button(
                text=_("↩️ Withdraw {number}").format(number=number),
                callback_data=MyWishCallback(action=MyWishAction.WITHDRAW, wish_id=wish.id),
            )
    builder.adjust(3)
    builder.row(_menu_button(MenuAction.MAKE_WISH, _("🙏 Make a wish")))
    builder.row(main_menu_button())
    return builder.as_markup()


def withdraw_confirmation(wish: Wish) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(
            text=_("Yes, withdraw it"),
            callback_data=MyWishCallback(action=MyWishAction.WITHDRAW_CONFIRMED, wish_id=wish.id).pack(),
        )],
        [_menu_button(MenuAction.MY_WISHES, _("⬅️ Back"))],
    ])


def see_note_photo(note: WishProgress, gettext: Gettext) -> InlineKeyboardMarkup:
    """Sent with a progress note that has a photo: the resident taps to see it."""
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=gettext("📷 See the photo"), callback_data=WishPhotoCallback(note_id=note.id).pack(),
    )]])


def confirm_fulfilment(wish: Wish, gettext: Gettext) -> InlineKeyboardMarkup:
    """Sent with the "done" notification: confirm, or confirm and rate in one tap, or say it
    is not done yet."""
    builder = InlineKeyboardBuilder()
    builder.button(text=gettext("✅ Confirm fulfilled"), callback_data=WishConfirmCallback(wish_id=wish.id))
    for satisfaction in Satisfaction:
        builder.button(
            text=f"{SATISFACTION_ICONS[satisfaction]} {gettext(SATISFACTION_LABELS[satisfaction])}",
            callback_data=WishConfirmCallback(wish_id=wish.id, satisfaction=satisfaction),
        )
    builder.button(text=gettext("↩️ Not done yet"), callback_data=WishNotDoneCallback(wish_id=wish.id))
    builder.adjust(1, 3, 1)
    return builder.as_markup()


def rating(wish: Wish) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for satisfaction in Satisfaction:
        builder.button(
            text=f"{SATISFACTION_ICONS[satisfaction]} {_(SATISFACTION_LABELS[satisfaction])}",
            callback_data=WishRateCallback(wish_id=wish.id, satisfaction=satisfaction),
        )
    builder.adjust(3)
    return builder.as_markup()


# --------------------------------------------------------------------------- the wall


def wall(
    wishes: Sequence[Wish], page: int, pages: int, category: WishCategory | None,
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for number, wish in enumerate(wishes, start=1):
        builder.button(
            text=_("🤝 Claim {number}").format(number=number),
            callback_data=WallClaimCallback(wish_id=wish.id, page=page, category=category),
        )
    builder.adjust(3)
    builder.row(*page_buttons(page, pages, lambda to: WallCallback(page=to, category=category).pack()))
    builder.row(InlineKeyboardButton(
        text=_("🔎 Category: {category}").format(
            category=category_label(category, _) if category else _("all")
        ),
        callback_data=WallCategoriesCallback().pack(),
    ))
    builder.row(main_menu_button())
    return builder.as_markup()


def wall_categories() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("All categories"), callback_data=WallCallback())
    for category in WishCategory:
        builder.button(text=category_label(category, _), callback_data=WallCallback(category=category))
    builder.adjust(1, 2)
    return builder.as_markup()


# --------------------------------------------------------------------------- the claimant


def claimed_list(wishes: Sequence[Wish]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for number, wish in enumerate(wishes, start=1):
        builder.button(
            text=_("Open {number}").format(number=number),
            callback_data=ClaimedWishCallback(action=ClaimedAction.VIEW, wish_id=wish.id),
        )
    builder.adjust(3)
    for row in wall_or_menu().inline_keyboard:
        builder.row(*row)
    return builder.as_markup()


def wall_or_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_menu_button(MenuAction.WISH_WALL, _("🌟 Wish wall"))], [main_menu_button()],
    ])


def claimed_wish(wish: Wish) -> InlineKeyboardMarkup:
    def action(what: ClaimedAction, text: str) -> InlineKeyboardButton:
        data = ClaimedWishCallback(action=what, wish_id=wish.id).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    rows = []
    if wish.status == WishStatus.CLAIMED:
        rows += [
            [action(ClaimedAction.PROGRESS, _("📝 Post progress")),
             action(ClaimedAction.DONE, _("✅ Mark as done"))],
            [action(ClaimedAction.RELEASE, _("↩️ Give it up"))],
        ]
    rows += [[_menu_button(MenuAction.CLAIMED_WISHES, _("🤝 My claimed wishes"))], [main_menu_button()]]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def open_claimed_wish(wish: Wish, gettext: Gettext) -> InlineKeyboardMarkup:
    """Sent with reminders to the claimant."""
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=gettext("🤝 Open the wish"),
        callback_data=ClaimedWishCallback(action=ClaimedAction.VIEW, wish_id=wish.id).pack(),
    )]])
