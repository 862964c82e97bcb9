"""Suggested claimants: members of a wish's community whose occupation or skills fit its category.

Deliberately simple and explainable: a keyword table per category, matched against the
items of a member's occupation and skills. Every suggestion carries its reasons, so a
secretary sees why someone is on the list ("skills mention “义诊”") and can judge it.
Keywords are specific enough not to cross categories (e.g. "法律", not "法", which would
also match "书法", calligraphy).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tortoise.expressions import Q

from locales import N_
from models.members import Member
from models.org import OrgUnit
from models.wishes import Wish, WishCategory

CATEGORY_KEYWORDS: dict[WishCategory, tuple[str, ...]] = {
    WishCategory.POLICY: ("宣传", "宣讲", "政策", "公务员", "policy", "civil servant"),
    WishCategory.LEGAL: (
        "律师", "法律", "法务", "司法", "法官", "法院", "检察", "公证", "调解", "lawyer", "legal",
    ),
    WishCategory.HEALTH: (
        "医", "护士", "护理", "健康", "药", "诊", "康复", "保健", "doctor", "nurse", "medic",
        "pharmac",
    ),
    WishCategory.HARDSHIP: ("帮扶", "家政", "救助", "社工", "social work"),
    WishCategory.CONVENIENCE: (
        "维修", "修理", "水电", "电工", "理发", "家政", "电脑", "repair", "plumb", "electrician",
        "barber", "hairdress",
    ),
    WishCategory.CULTURE: (
        "文艺", "舞", "歌", "唱", "书法", "音乐", "乐器", "绘画", "摄影", "music", "danc",
        "singing", "singer", "choir", "calligraph",
    ),
    WishCategory.MEDIATION: ("调解", "治安", "巡逻", "警", "保安", "mediat", "police"),
    WishCategory.ENVIRONMENT: (
        "环保", "环境", "绿化", "园林", "卫生", "垃圾分类", "recycl", "gardening", "gardener",
        "environment",
    ),
}

# Items of a free-text list: "义诊、中医推拿，健康讲座". Spaces are not separators
# ("civil servant").
_ITEM_SEPARATORS = re.compile(r"[、，,;；/|\n]+")
_ITEM_MAX = 30
_OCCUPATION_WEIGHT = 2  # a matching occupation says more than one matching skill


@dataclass(frozen=True)
class Reason:
    """Why a member is suggested: a message id and its parameters (rendered per language)."""

    message: str
    params: dict[str, str] = field(default_factory=dict)

    def render(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.message).format(**self.params)


OCCUPATION = N_("Occupation: {occupation}")
SKILL = N_("Skills mention “{skill}”")


def _matching_items(text: str, keywords: tuple[str, ...]) -> list[str]:
    items = (item.strip() for item in _ITEM_SEPARATORS.split(text or ""))
    return [
        item[:_ITEM_MAX] for item in items
        if item and any(keyword in item.casefold() for keyword in keywords)
    ]


def reasons_for(member: Member, category: WishCategory) -> list[Reason]:
    """What in the member's occupation and skills fits ``category``; empty when nothing does."""
    keywords = CATEGORY_KEYWORDS[WishCategory(category)]
    occupation = _matching_items(member.occupation, keywords)
    skills = _matching_items(member.skills, keywords)
    return [
        *(Reason(OCCUPATION, {"occupation": item}) for item in occupation),
        *(Reason(SKILL, {"skill": item}) for item in skills),
    ]


def _score(reasons: list[Reason]) -> int:
    return sum(_OCCUPATION_WEIGHT if reason.message == OCCUPATION else 1 for reason in reasons)


async def suggest_claimants(wish: Wish, limit: int = 10) -> list[tuple[Member, list[Reason]]]:
    """Members who may claim ``wish`` (they live in its community or belong to a branch under
    it) and whose occupation or skills fit its category (the reviewed one, else the resident's
    suggestion), each with the reasons. Best matches first; among equals, members who live in
    the community lead.
    """
    category = wish.category or wish.suggested_category
    if category is None:
        return []
    community = await OrgUnit.get(id=wish.community_id)
    keywords = CATEGORY_KEYWORDS[WishCategory(category)]
    fits = Q(
        *(Q(occupation__icontains=word) | Q(skills__icontains=word) for word in keywords),
        join_type="OR",
    )
    candidates = await Member.filter(
        Q(residence_community_id=community.id) | Q(branch__path__startswith=community.path)
    ).filter(fits)

    # The database matched whole fields; the items name what fits.
    matches = [
        (member, reasons) for member in candidates if (reasons := reasons_for(member, category))
    ]

    def rank(match: tuple[Member, list[Reason]]) -> tuple:
        member, reasons = match
        lives_elsewhere = member.residence_community_id != community.id
        return -_score(reasons), lives_elsewhere, member.name, member.id

    return sorted(matches, key=rank)[:limit]
