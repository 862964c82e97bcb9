"""Scope: a district at the top of the only tree sees everything without a path join, and
stops doing so (and sees only its own tree) as soon as a second tree exists."""

from __future__ import annotations

from models.admins import Role
from models.audit import Actor
from models.clock import current_year
from models.org import OrgKind, create_org_unit
from models.pledges import pledge_for
from models.points import CardSource, award_card
from models.scope import Scope
from tests import factories


async def _ids(queryset) -> set[int]:
    return set(await queryset.values_list("id", flat=True))


async def test_whole_tree_only_for_the_sole_root(db, org):
    district = await Scope.of(await factories.admin("district", Role.DISTRICT_ADMIN, org.district))
    street = await Scope.of(await factories.admin("street", Role.STREET_ADMIN, org.street))
    assert district.whole_tree and not street.whole_tree

    other = await create_org_unit("西山区委", OrgKind.DISTRICT)
    other_street = await create_org_unit("西山街道", OrgKind.STREET, other)
    other_community = await create_org_unit("西山社区", OrgKind.COMMUNITY, other_street)
    other_branch = await create_org_unit("第一支部", OrgKind.BRANCH, other_community)
    ours = await factories.member(org.nanyuan_1, "王秀英")
    theirs = await factories.member(other_branch, "李建国")
    year = current_year()
    our_pledge = await pledge_for(ours, year, Actor.system("tests"))
    await pledge_for(theirs, year, Actor.system("tests"))
    our_card = await award_card(ours, CardSource.MANUAL, None, Actor.system("tests"), reason="r")
    await award_card(theirs, CardSource.MANUAL, None, Actor.system("tests"), reason="r")

    district = await Scope.of(district.user)
    assert not district.whole_tree
    assert await _ids(district.members()) == {ours.id}
    assert await _ids(district.pledges()) == {our_pledge.id}
    assert await _ids(district.cards()) == {our_card.id}
