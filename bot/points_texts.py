"""Texts about contribution cards that My points and the card notifications share."""

from __future__ import annotations

from html import escape

from bot.texts import Gettext
from models.awards import Standing, standing
from models.card_subjects import card_subjects
from models.members import Member
from models.points import PointCard
from models.text import shortened

SUBJECT_SHOWN = 40


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
    subjects = await card_subjects(cards)
    return {card.id: shortened(subjects[card.id], SUBJECT_SHOWN) or card.reason for card in cards}
