"""My points (党员奉献积分卡) in the bot: this year's cards with their sources, my standing for the
award, the leaderboard of my community, and the choice to appear there by name or not.

Members who opted out are listed as "a member" to everyone else (their place and count
stay, so the ranks remain honest); each member always sees their own line, marked.
"""

from __future__ import annotations

from enum import StrEnum
from html import escape
from itertools import count

from aiogram import F, Router
from aiogram.filters import or_f
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import MenuAction, MenuCallback
from bot.handlers.common import BoundMember, members_only, show, stale_button
from bot.keyboard_builder import InlineKeyboardBuilder
from bot.paging import Page, nearest_years, page_buttons, page_of
from bot.points_texts import card_sources, standing_text
from bot.texts import fitted
from models.awards import community_of, leaderboard, set_leaderboard_opt_out, standing
from models.clock import current_year, zone
from models.members import Member
from models.points import CARD_SOURCE_LABELS, card_years_open_to, year_cards

LEADERBOARD_SIZE = 10
CARDS_PER_PAGE = 15  # a busy volunteer's year (a card every Thursday) runs to several pages


class PointsAction(StrEnum):
    MINE = "me"
    BOARD = "lb"
    HIDE = "hide"
    SHOW = "show"


class PointsCallback(CallbackData, prefix="pt"):
    action: PointsAction


class PointsPage(CallbackData, prefix="ptp"):
    """◀ / ▶ in My points (a class of its own: the buttons already in chats keep working)."""

    page: int


class PointsYear(CallbackData, prefix="pty"):
    """My points of an earlier ``year`` (or back to this one), at ``page``."""

    year: int
    page: int = 0


async def my_points_page(member: Member, page: int = 0, year: int | None = None) -> tuple[str, Page]:
    """One page of the year's cards (numbered through the year) with the member's standing;
    what secretaries wrote (reasons up to 200 characters) is cut if the page would pass
    Telegram's limit."""
    year = year or current_year()
    cards = page_of(await year_cards(member, year), page, CARDS_PER_PAGE)
    details = await card_sources([card for card, _revoked in cards.items])
    head = [_("<b>My contribution cards in {year}</b>").format(year=year), ""]
    if not cards.items:
        head.append(_("No cards yet this year. Take part in an activity or fulfil a micro-wish to earn one.")
                    if year == current_year() else _("No cards in {year}.").format(year=year))
    tail = ["", standing_text(await standing(member, year), _), *cards.footer()]

    def render(texts: list[str]) -> str:
        lines = list(head)
        for number, (card, revocation), detail, why in zip(
                count(cards.first_position), cards.items, texts[0::2], texts[1::2]):
            recorded = card.created_at.astimezone(zone())
            # A card may count for the year before it was recorded (an activity of 30 December
            # checked in on 2 January): then the day is shown with its year.
            day = recorded.strftime("%m-%d" if recorded.year == card.year else "%Y-%m-%d")
            line = f"{number}. {day} · {_(CARD_SOURCE_LABELS[card.source])}"
            line += f": {escape(detail)}" if detail else ""
            if revocation is not None:
                line = f"<s>{line}</s> " + _("(revoked: {reason})").format(reason=escape(why))
            lines.append(line)
        return "\n".join(lines + tail)

    texts = [text for card, revocation in cards.items
             for text in (details.get(card.id) or "", revocation.reason if revocation else "")]
    return fitted(render, texts), cards


def _other_years(year: int, years: set[int]) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=(_("⬅️ {year}") if other < year else _("{year} ➡️")).format(year=other),
                                 callback_data=PointsYear(year=other).pack())
            for other in nearest_years(years, year)]


def _points_keyboard(cards: Page, year: int, years: set[int]) -> InlineKeyboardMarkup:
    if year == current_year():
        turns = page_buttons(cards.number, cards.pages, lambda to: PointsPage(page=to).pack())
    else:
        turns = page_buttons(cards.number, cards.pages, lambda to: PointsYear(year=year, page=to).pack())
    other_years = _other_years(year, years)
    board = InlineKeyboardButton(text=_("🏆 Community leaderboard"),
                                 callback_data=PointsCallback(action=PointsAction.BOARD).pack())
    home = InlineKeyboardButton(text=_("⬅️ Main menu"), callback_data=MenuCallback(action=MenuAction.HOME).pack())
    return InlineKeyboardMarkup(inline_keyboard=[row for row in (turns, other_years, [board], [home]) if row])


def _board_keyboard(member: Member) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if member.leaderboard_opt_out:
        builder.button(text=_("👁 Show my name on the leaderboard"),
                       callback_data=PointsCallback(action=PointsAction.SHOW))
    else:
        builder.button(text=_("🙈 Hide my name on the leaderboard"),
                       callback_data=PointsCallback(action=PointsAction.HIDE))
    builder.button(text=_("⭐ My points"), callback_data=PointsCallback(action=PointsAction.MINE))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuCallback(action=MenuAction.HOME))
    builder.adjust(1)
    return builder.as_markup()


async def leaderboard_text(member: Member, year: int | None = None) -> str:
    year = year or current_year()
    community = await community_of(member)
    if community is None:
        return _("Your branch does not belong to a community, so there is no community leaderboard for you.")
    ranks = await leaderboard(community, year, limit=None)
    lines = [_("<b>Leaderboard of {community} in {year}</b>").format(community=escape(community.name), year=year), ""]
    if not ranks:
        lines.append(_("Nobody has a card yet this year."))
    for rank in ranks[:LEADERBOARD_SIZE]:
        if rank.member_id == member.id:
            lines.append("<b>" + _("{position}. {name} (you) — {count}").format(
                position=rank.position, name=escape(rank.name), count=rank.total) + "</b>")
        else:
            name = _("a member") if rank.opted_out else escape(rank.name)
            lines.append(_("{position}. {name} — {count}").format(
                position=rank.position, name=name, count=rank.total))
    mine = next((rank for rank in ranks if rank.member_id == member.id), None)
    if mine is not None and mine not in ranks[:LEADERBOARD_SIZE]:
        lines += ["…", "<b>" + _("{position}. {name} (you) — {count}").format(
            position=mine.position, name=escape(mine.name), count=mine.total) + "</b>"]
    lines.append("")
    lines.append(_("Other members see you as “a member”, and the printed roll of honour leaves your name out.")
                 if member.leaderboard_opt_out
                 else _("Other members see your name here, and on the printed roll of honour if you earn the award."))
    return "\n".join(lines)


async def show_my_points(query: CallbackQuery, member: Member, callback_data: CallbackData) -> None:
    page = callback_data.page if isinstance(callback_data, PointsPage | PointsYear) else 0
    year = callback_data.year if isinstance(callback_data, PointsYear) else current_year()
    years = await card_years_open_to(member)
    if year not in years:  # forged: no cards there
        await stale_button(query)
        return
    text, cards = await my_points_page(member, page, year)
    await show(query, text, _points_keyboard(cards, year, years))
    await query.answer()


async def show_leaderboard(query: CallbackQuery, member: Member) -> None:
    await show(query, await leaderboard_text(member), _board_keyboard(member))
    await query.answer()


async def toggle_name(query: CallbackQuery, callback_data: PointsCallback, member: Member) -> None:
    # Idempotent: a double tap or an old button sets the same value again.
    await member.refresh_from_db(fields=["leaderboard_opt_out"])
    await set_leaderboard_opt_out(member, callback_data.action == PointsAction.HIDE)
    await show(query, await leaderboard_text(member), _board_keyboard(member))
    await query.answer(_("Your name is hidden from other members.") if member.leaderboard_opt_out
                       else _("Your name is shown to other members."))


POINTS_BUTTONS = or_f(MenuCallback.filter(F.action == MenuAction.POINTS), PointsCallback.filter(),
                      PointsPage.filter(), PointsYear.filter())


def create_router() -> Router:
    router = Router(name=__name__)
    members = Router(name=f"{__name__}.members")
    members.callback_query.filter(BoundMember())
    members.callback_query.register(show_my_points, MenuCallback.filter(F.action == MenuAction.POINTS))
    members.callback_query.register(show_my_points, PointsCallback.filter(F.action == PointsAction.MINE))
    members.callback_query.register(show_my_points, PointsPage.filter())
    members.callback_query.register(show_my_points, PointsYear.filter())
    members.callback_query.register(show_leaderboard, PointsCallback.filter(F.action == PointsAction.BOARD))
    members.callback_query.register(
        toggle_name, PointsCallback.filter(F.action.in_({PointsAction.HIDE, PointsAction.SHOW})))
    not_members = Router(name=f"{__name__}.not_members")
    not_members.callback_query.register(members_only, ~BoundMember(), POINTS_BUTTONS)
    router.include_routers(members, not_members)
    return router
