"""Texts about contribution cards that My points and the card notifications share."""

from __future__ import annotations

from html import escape

from bot.texts import Gettext
from models.activities import Activity
from models.awards import Standing, standing
from models.members import Member
from models.points import CardSource, PointCard
from models.wishes import Wish

WISH_TEXT_SHOWN = 40


def standing_text(state: Standing, _: Gettext) -> str:
    award = escape(_(state.rule.name))
    if state.is_over:  # how the year ended
        if state.qualifies:
            return _("🎉 {count} cards in {year}: you earned the {award} for that year. Thank you!").format(
                count=state.total, award=award, year=state.year)
        return _("{count} cards in {year}; the {award} needed {needed} more.").format(
            count=state.total, needed=state.needed, award=award, year=state.year)
    if state.qualifies:
        return _("🎉 {count} cards this year: you have earned the {award} for {year}. Thank you!").format(
            count=state.total, award=award, year=state.year)
    return _("{count} cards this year; {needed} more for the {award} by 31 December.").format(
        count=state.total, needed=state.needed, award=award)


async def standing_after(card: PointCard, _: Gettext) -> str:
    """Where the card's member stands in the year the card counts for."""
    return standing_text(await standing(await Member.get(id=card.member_id), card.year), _)


async def card_sources(cards: list[PointCard]) -> dict[int, str]:
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
