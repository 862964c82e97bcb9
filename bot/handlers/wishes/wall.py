"""The wish wall (members only): the community's published wishes, without personal data,
and the one-tap claim."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from tortoise.transactions import in_transaction

from bot import keyboards, notify, wish_keyboards
from bot.callbacks import (
    MenuAction,
    MenuCallback,
    WallCallback,
    WallCategoriesCallback,
    WallClaimCallback,
)
from bot.handlers.common import show
from bot.handlers.wishes.claimant import claimed_wish_text
from bot.texts import excerpt
from bot.wish_texts import category_label, service_line
from models.errors import DomainError
from models.members import Member
from models.wishes import Wish, WishCategory, claim_wish, home_community, wall_page


async def open_wall(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    await state.clear()
    await show_wall(query, member, page=0, category=None)
    await query.answer()


async def wall_paged(query: CallbackQuery, callback_data: WallCallback, member: Member) -> None:
    await show_wall(query, member, callback_data.page, callback_data.category)
    await query.answer()


async def show_wall(
    query: CallbackQuery, member: Member, page: int, category: WishCategory | None,
) -> None:
    community = await home_community(member)
    if community is None:
        await show(query, _("Your community is not recorded yet, so there is no wish wall to show. "
                            "Please ask your branch secretary to record your residence community."),
                   keyboards.back_to_menu())
        return
    wishes, page, pages = await wall_page(community, page, category=category)
    lines = [_("🌟 <b>Wish wall</b> · {community}").format(community=escape(community.name))]
    if category:
        lines.append(_("Category: {category}").format(category=category_label(category, _)))
    if not wishes:
        lines += ["", _("There are no wishes to take on right now. Thank you for looking!")]
    for number, wish in enumerate(wishes, start=1):
        lines += ["", wall_entry(number, wish)]
    if pages > 1:
        lines += ["", _("Page {page} of {pages}").format(page=page + 1, pages=pages)]
    await show(query, "\n".join(lines), wish_keyboards.wall(wishes, page, pages, category))


def wall_entry(number: int, wish: Wish) -> str:
    """What every member may see of a wish: never who made it."""
    return "\n".join([
        f"<b>{number}.</b> [{category_label(wish.category, _)}] {excerpt(wish.text, 120)}",
        "    " + service_line(wish, _),
    ])


async def choose_category(query: CallbackQuery) -> None:
    await show(query, _("Show wishes of which category?"), wish_keyboards.wall_categories())
    await query.answer()


async def claim(query: CallbackQuery, callback_data: WallClaimCallback, member: Member) -> None:
    wish = await Wish.get_or_none(id=callback_data.wish_id)
    if wish is None:
        await show_wall(query, member, callback_data.page, callback_data.category)
        await query.answer(_("This wish no longer exists."), show_alert=True)
        return
    try:
        async with in_transaction():  # the claim and its notification, or neither
            await claim_wish(wish, member)
            await notify.wish_claimed(wish)
    except DomainError as refusal:
        if wish.claimant_id == member.id:  # a double tap: the first one claimed it
            await query.answer(_("You have already taken on this wish."))
            return
        await show_wall(query, member, callback_data.page, callback_data.category)  # without the wish
        await query.answer(refusal.render(_), show_alert=True)
        return
    await show(query, await claimed_wish_text(wish), wish_keyboards.claimed_wish(wish))
    await query.answer(_("Thank you for taking on this wish!"))


def create_router() -> Router:
    """Members only: the parent router filters."""
    router = Router(name=__name__)
    router.callback_query.register(open_wall, MenuCallback.filter(F.action == MenuAction.WISH_WALL))
    router.callback_query.register(wall_paged, WallCallback.filter())
    router.callback_query.register(choose_category, WallCategoriesCallback.filter())
    router.callback_query.register(claim, WallClaimCallback.filter())
    return router
