"""My points (党员奉献积分卡) in the bot: this year's cards with their sources, my standing for the
award, the leaderboard of my community, and the choice to appear there by name or not.

Members who opted out are listed as "a member" to everyone else (their place and count
stay, so the ranks remain honest); each member always sees their own line, marked.
"""

from __future__ import annotations

from enum import StrEnum
from html import escape

from aiogram import F, Router
from aiogram.filters import or_f
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import MenuAction, MenuCallback
from bot.handlers.common import BoundMember, members_only, show
from bot.keyboard_builder import InlineKeyboardBuilder
from models.activities import Activity
from models.awards import Standing, community_of, leaderboard, set_leaderboard_opt_out, standing
from models.clock import current_year, zone
from models.members import Member
from models.points import CARD_SOURCE_LABELS, CardSource, PointCard, year_cards
from models.wishes import Wish

LEADERBOARD_SIZE = 10
WISH_TEXT_SHOWN = 40


class PointsAction(StrEnum):
    MINE = "me"
    BOARD = "lb"
    HIDE = "hide"
    SHOW = "show"


class PointsCallback(CallbackData, prefix="pt"):
    action: PointsAction


def standing_text(state: Standing) -> str:
    award = escape(_(state.rule.name))
    if state.qualifies:
        return _("🎉 {count} cards this year: you have earned the {award} for {year}. Thank you!").format(
            count=state.total, award=award, year=state.year)
    return _("{count} cards this year; {needed} more for the {award} by 31 December.").format(
        count=state.total, needed=state.needed, award=award)


async def _sources(cards: list[PointCard]) -> dict[int, str]:
    """What each card was for: the activity, the wish (shortened), or the reason given."""
    activity_ids = [c.source_id for c in cards if c.source == CardSource.ACTIVITY and c.source_id]
    wish_ids = [c.source_id for c in cards if c.source == CardSource.WISH and c.source_id]
    titles = dict(await Activity.filter(id__in=activity_ids).values_list("id", "title")) if activity_ids else {}
    wishes = dict(await Wish.filter(id__in=wish_ids).values_list("id", "text")) if wish_ids else {}
    described = {}
    for card in cards:
        if card.source == CardSource.ACTIVITY:
            detail = titles.get(card.source_id, "")
        elif card.source == CardSource.WISH:
            text = wishes.get(card.source_id, "")
            detail = text if len(text) <= WISH_TEXT_SHOWN else text[:WISH_TEXT_SHOWN] + "…"
        else:
            detail = card.reason
        described[card.id] = detail
    return described


async def my_points_text(member: Member, year: int | None = None) -> str:
    year = year or current_year()
    entries = await year_cards(member, year)
    details = await _sources([card for card, _revoked in entries])
    lines = [_("<b>My contribution cards in {year}</b>").format(year=year), ""]
    if not entries:
        lines.append(_("No cards yet this year. Take part in an activity or fulfil a micro-wish to earn one."))
    for number, (card, revocation) in enumerate(entries, start=1):
        day = card.created_at.astimezone(zone()).strftime("%m-%d")
        source = _(CARD_SOURCE_LABELS[card.source])
        detail = details.get(card.id) or ""
        line = f"{number}. {day} · {source}" + (f": {escape(detail)}" if detail else "")
        if revocation is not None:
            line = f"<s>{line}</s> " + _("(revoked: {reason})").format(reason=escape(revocation.reason))
        lines.append(line)
    lines += ["", standing_text(await standing(member, year))]
    return "\n".join(lines)


def _points_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🏆 Community leaderboard"), callback_data=PointsCallback(action=PointsAction.BOARD))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuCallback(action=MenuAction.HOME))
    builder.adjust(1)
    return builder.as_markup()


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
    lines.append(_("Other members see you as “a member”.") if member.leaderboard_opt_out
                 else _("Other members see your name here."))
    return "\n".join(lines)


async def show_my_points(query: CallbackQuery, member: Member) -> None:
    await show(query, await my_points_text(member), _points_keyboard())
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


POINTS_BUTTONS = or_f(MenuCallback.filter(F.action == MenuAction.POINTS), PointsCallback.filter())


def create_router() -> Router:
    router = Router(name=__name__)
    members = Router(name=f"{__name__}.members")
    members.callback_query.filter(BoundMember())
    members.callback_query.register(show_my_points, MenuCallback.filter(F.action == MenuAction.POINTS))
    members.callback_query.register(show_my_points, PointsCallback.filter(F.action == PointsAction.MINE))
    members.callback_query.register(show_leaderboard, PointsCallback.filter(F.action == PointsAction.BOARD))
    members.callback_query.register(
        toggle_name, PointsCallback.filter(F.action.in_({PointsAction.HIDE, PointsAction.SHOW})))
    not_members = Router(name=f"{__name__}.not_members")
    not_members.callback_query.register(members_only, ~BoundMember(), POINTS_BUTTONS)
    router.include_routers(members, not_members)
    return router
