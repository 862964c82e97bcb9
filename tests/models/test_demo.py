"""The demo: the district tree and a year under way in 南园社区, made by the domain's own
functions, with a secretary login that works; loading it twice changes nothing."""

from __future__ import annotations

from models.activities import Activity, SignUp
from models.admins import authenticate
from models.audit import AuditEntry
from models.awards import default_rule
from models.clock import current_year
from models.demo import ACTIVE_COMMUNITY, SECRETARY, load_demo
from models.members import Member
from models.org import OrgUnit
from models.pledges import Pledge, PledgeStatus
from models.points import card_total
from models.posts import PostClaim
from models.registration import Registration, RegistrationStatus
from models.teams import MembershipStatus, Team, TeamMembership, TeamRole
from models.wishes import Wish, WishStatus


async def test_the_demo_year_shows_every_step(db):
    summary = await load_demo()
    assert (summary["units"], summary["members"], summary["secretary"]) == (23, 42, SECRETARY)
    secretary = await authenticate(SECRETARY, summary["password"])
    assert secretary is not None and (await secretary.org).name == ACTIVE_COMMUNITY

    statuses = await Pledge.filter(year=current_year()).values_list("status", flat=True)
    assert set(statuses) == {PledgeStatus.DRAFT, PledgeStatus.SUBMITTED, PledgeStatus.RETURNED,
                             PledgeStatus.APPROVED, PledgeStatus.PUBLISHED}
    assert await Pledge.filter(proxy_entered=True).exists()  # entered for a member who cannot write
    returned = await Pledge.get(status=PledgeStatus.RETURNED)
    assert returned.return_guidance and returned.times_returned == 1

    assert set(await Wish.all().values_list("status", flat=True)) == {
        WishStatus.COLLECTED, WishStatus.PUBLISHED, WishStatus.CLAIMED, WishStatus.FULFILLED}
    fulfilled = await Wish.get(status=WishStatus.FULFILLED).prefetch_related("claimant")
    assert await card_total(fulfilled.claimant, current_year()) >= 1  # the wish earned a card

    rule = await default_rule()
    totals = [await card_total(member, current_year()) for member in await Member.all()]
    assert any(rule.qualifies(total) for total in totals)
    assert any(0 < total and not rule.qualifies(total) for total in totals)

    community = await OrgUnit.get(name=ACTIVE_COMMUNITY)
    registrations = await Registration.all()
    assert registrations and all(
        (r.status == RegistrationStatus.CONFIRMED) == (r.community_id == community.id)
        for r in registrations)
    assert await AuditEntry.filter(action="pledge.approve", actor_admin_id=secretary.id).exists()

    # Community service: posts held, teams with leaders, members and a request waiting, the
    # recurring activities planned ahead with their first sign-ups, and a one-off open day.
    assert await PostClaim.filter(post__community_id=community.id).count() == 2
    assert await Team.filter(community_id=community.id).count() == 4
    memberships = await TeamMembership.all()
    assert {(m.role, m.status) for m in memberships} == {
        (TeamRole.LEADER, MembershipStatus.ACTIVE), (TeamRole.MEMBER, MembershipStatus.ACTIVE),
        (TeamRole.MEMBER, MembershipStatus.REQUESTED)}
    activities = await Activity.filter(community_id=community.id)
    assert len({a.series_id for a in activities if a.series_id}) == 3
    assert any(a.series_id is None and a.team_id is None for a in activities)
    assert await SignUp.filter(activity__community_id=community.id).count() >= 3


async def test_loading_the_demo_again_does_nothing(db):
    await load_demo()
    counts = (await Member.all().count(), await Pledge.all().count(), await AuditEntry.all().count())
    assert await load_demo() == {"units": 0, "members": 0, "secretary": None, "password": None}
    assert (await Member.all().count(), await Pledge.all().count(),
            await AuditEntry.all().count()) == counts
