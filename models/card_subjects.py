"""What a contribution card was for: the activity attended or the wish fulfilled.

Apart from ``models.points`` because ``models.wishes`` awards cards and so imports it.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.activities import Activity
from models.points import CardSource, PointCard
from models.wishes import Wish


async def card_subjects(cards: Iterable[PointCard]) -> dict[int, str]:
    """Each card's activity title or wish text, by card id; "" for a card issued by hand
    (its reason says what it was for) or whose source is gone."""
    cards = list(cards)
    activity_ids = {c.source_id for c in cards if c.source == CardSource.ACTIVITY and c.source_id}
    wish_ids = {c.source_id for c in cards if c.source == CardSource.WISH and c.source_id}
    titles = dict(await Activity.filter(id__in=activity_ids).values_list("id", "title")) if activity_ids else {}
    wishes = dict(await Wish.filter(id__in=wish_ids).values_list("id", "text")) if wish_ids else {}
    subjects = {CardSource.ACTIVITY: titles, CardSource.WISH: wishes}
    return {card.id: subjects.get(card.source, {}).get(card.source_id) or "" for card in cards}
