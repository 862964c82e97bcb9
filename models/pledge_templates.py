"""Pledge templates by member type, from the seed practices (e.g. retired members' 五个一)."""

from __future__ import annotations

from locales import N_, gettext
from models.audit import Actor
from models.members import MemberType
from models.pledges import ItemKind, Pledge, PledgeItem, add_item

TEMPLATES: dict[str, tuple[str, list[tuple[ItemKind, str]]]] = {
    "five_ones": (N_("Retired members: the “five ones”"), [
        (ItemKind.POLITICAL, N_("Be a good liaison: keep in touch with the neighbours and pass on their views.")),
        (ItemKind.DUTY, N_("Look after one building: keep it tidy, safe and neighbourly.")),
        (ItemKind.PRACTICAL, N_("Help one household in hardship.")),
        (ItemKind.PRACTICAL, N_("Offer one good idea for the community.")),
        (ItemKind.PRACTICAL, N_("Do one task for the community.")),
    ]),
    "in_service": (N_("In-service members: post duties and community service"), [
        (ItemKind.POLITICAL, N_("Study regularly and take part in branch life.")),
        (ItemKind.DUTY, N_("Set an example at my post and do my job well.")),
        (ItemKind.PRACTICAL, N_("Report to my home community and serve at least one post there.")),
    ]),
    "leading_cadre": (N_("Leading cadres: lead by example"), [
        (ItemKind.POLITICAL, N_("Keep to discipline and integrity, and accept the residents' supervision.")),
        (ItemKind.DUTY, N_("Visit residents and solve problems they raise.")),
        (ItemKind.PRACTICAL, N_("Take on one practical matter for the community this year.")),
    ]),
    "general": (N_("General pledge"), [
        (ItemKind.POLITICAL, N_("Study regularly and take part in branch life.")),
        (ItemKind.DUTY, N_("Fulfil my duties as a Party member.")),
        (ItemKind.PRACTICAL, N_("Do practical things for my neighbours.")),
    ]),
}

TEMPLATE_FOR_TYPE = {
    MemberType.RETIRED: "five_ones",
    MemberType.IN_SERVICE: "in_service",
    MemberType.LEADING_CADRE: "leading_cadre",
    MemberType.FLOATING: "general",
    MemberType.WITHOUT_POST: "general",
}


def templates_for(member_type: MemberType) -> list[str]:
    """The member type's own template first, then the others."""
    own = TEMPLATE_FOR_TYPE.get(member_type, "general")
    return [own, *(key for key in TEMPLATES if key != own)]


async def apply_template(pledge: Pledge, key: str, locale: str, actor: Actor, *, scope=None) -> list[PledgeItem]:
    """Add the template's items, written out in ``locale`` so the member can edit them as text."""
    _, items = TEMPLATES[key]
    return [await add_item(pledge, kind, gettext(locale, text), actor, scope=scope) for kind, text in items]
