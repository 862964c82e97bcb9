"""Per-role scoping, enforced here and only here.

Every admin sees and changes "their node and below". Views never query scoped
tables directly: they ask a ``Scope`` for a queryset or an object, and an
object outside the scope is reported as not found (its existence is not leaked).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from locales import N_
from models.activities import Activity, SignUp
from models.activity_series import ActivitySeries
from models.admins import AdminUser, Role
from models.audit import AuditEntry
from models.broadcasts import Broadcast
from models.errors import NotFound, PermissionDenied
from models.invites import Invite
from models.members import Member
from models.notices import Link
from models.org import OrgKind, OrgUnit
from models.outbox import OutboxMessage
from models.pledges import Pledge, all_years, years_of
from models.points import PointCard
from models.posts import PostClaim, ServicePost
from models.registration import Registration
from models.reports import REPORT_UNIT_KINDS, Report
from models.teams import Team, TeamMembership
from models.wishes import Wish


@dataclass(frozen=True)
class Scope:
    user: AdminUser
    org: OrgUnit
    # The user's unit is the top of the only tree (one district per installation): every
    # unit is in scope, so records that always hang off a unit (a member's branch, a
    # pledge's branch, a card's member) need no join to the unit's path to be scoped.
    whole_tree: bool = False

    @classmethod
    async def of(cls, user: AdminUser) -> Scope:
        if not isinstance(user.org, OrgUnit):  # not read with the user (the panel's session does)
            await user.fetch_related("org")
        org = user.org
        whole_tree = org.parent_id is None and not await OrgUnit.filter(
            parent_id__isnull=True).exclude(id=org.id).exists()
        return cls(user=user, org=org, whole_tree=whole_tree)

    @property
    def path(self) -> str:
        return self.org.path

    @property
    def read_only(self) -> bool:
        return self.user.role == Role.STAFF

    @property
    def sees_personal_data(self) -> bool:
        """Contact details (phone numbers): secretaries yes, read-only staff no."""
        return not self.read_only

    def require_write(self) -> None:
        if self.read_only:
            raise PermissionDenied(N_("Your role is read-only."))

    def covers(self, unit: OrgUnit) -> bool:
        return unit.path.startswith(self.path)

    async def covers_id(self, unit_id: int) -> bool:
        return await self.org_units().filter(id=unit_id).exists()

    async def require_writable(self, unit_id: int) -> None:
        """Refuse unless this user may change what belongs to ``unit_id`` (in scope, not read-only)."""
        if not await self.covers_id(unit_id):
            raise PermissionDenied(N_("This is outside your organisation."))
        self.require_write()

    def org_units(self) -> QuerySet[OrgUnit]:
        return OrgUnit.filter(path__startswith=self.path)

    def unit_ids(self) -> Subquery:
        """The ids of the units in scope, for ``unit_id IN (…)``: records are picked by an
        index on their unit, not by joining each one to its unit's path."""
        return Subquery(self.org_units().values("id"))

    def members(self) -> QuerySet[Member]:
        if self.whole_tree:  # every member has a branch
            return Member.all()
        return Member.filter(branch_id__in=self.unit_ids())

    def invites(self) -> QuerySet[Invite]:
        return Invite.filter(member__branch__path__startswith=self.path)

    async def org_unit(self, unit_id: int) -> OrgUnit:
        unit = await self.org_units().get_or_none(id=unit_id)
        if unit is None:
            raise NotFound(N_("No such unit in your organisation."))
        return unit

    async def member(self, member_id: int) -> Member:
        member = await self.members().get_or_none(id=member_id)
        if member is None:
            raise NotFound(N_("No such member in your organisation."))
        return member

    async def invite(self, invite_id: int) -> Invite:
        invite = await self.invites().get_or_none(id=invite_id)
        if invite is None:
            raise NotFound(N_("No such invite in your organisation."))
        return invite

    def broadcasts(self) -> QuerySet[Broadcast]:
        """Announcements to a unit in scope (a segment's unit and everything below it)."""
        return Broadcast.filter(org__path__startswith=self.path)

    async def broadcast(self, broadcast_id: int) -> Broadcast:
        broadcast = await self.broadcasts().get_or_none(id=broadcast_id)
        if broadcast is None:
            raise NotFound(N_("No such announcement in your organisation."))
        return broadcast

    @property
    def sees_whole_outbox(self) -> bool:
        """District and sub-district users oversee delivery as a whole, residents' messages too."""
        return self.org.kind in (OrgKind.DISTRICT, OrgKind.STREET)

    def outbox(self) -> QuerySet[OutboxMessage]:
        """Outgoing messages: all of them, or those to members of the branches in scope."""
        if self.sees_whole_outbox:
            return OutboxMessage.all()
        return OutboxMessage.filter(telegram_user__member__branch__path__startswith=self.path)

    def pledges(self) -> QuerySet[Pledge]:
        """Members' and branches' pledges of the branches in scope."""
        if self.whole_tree:  # every pledge has a branch
            return Pledge.all()
        return Pledge.filter(branch_id__in=self.unit_ids())

    async def pledge_years(self) -> list[int]:
        """The years with pledges in scope, newest first (over the whole tree in one query)."""
        return await all_years() if self.whole_tree else await years_of(self.pledges())

    async def pledge(self, pledge_id: int) -> Pledge:
        pledge = await self.pledges().get_or_none(id=pledge_id)
        if pledge is None:
            raise NotFound(N_("No such pledge in your organisation."))
        return pledge

    def public_links(self, kind: type[Link]) -> QuerySet[Link]:
        """Public links of ``kind`` (e.g. NoticeLink) to units in scope."""
        return kind.filter(**{f"{kind.UNIT}__path__startswith": self.path})

    async def public_link(self, kind: type[Link], link_id: int) -> Link:
        link = await self.public_links(kind).get_or_none(id=link_id)
        if link is None:
            raise NotFound(N_("No such link in your organisation."))
        return link

    def wishes(self) -> QuerySet[Wish]:
        """Wishes addressed to a community in scope."""
        return Wish.filter(community_id__in=self.unit_ids())

    async def wish(self, wish_id: int) -> Wish:
        wish = await self.wishes().get_or_none(id=wish_id)
        if wish is None:
            raise NotFound(N_("No such wish in your organisation."))
        return wish

    # Community service: registrations, posts, teams, activities belong to a community.

    def registrations(self) -> QuerySet[Registration]:
        """Registrations at a community in scope, and those of members of the branches in scope
        (who report elsewhere: the branch sees them, the community decides)."""
        if self.whole_tree:  # every registration is at a community
            return Registration.all()
        return Registration.filter(
            Q(community_id__in=self.unit_ids()) | Q(member__branch_id__in=self.unit_ids())
        )

    async def registration(self, registration_id: int) -> Registration:
        registration = await self.registrations().get_or_none(id=registration_id)
        if registration is None:
            raise NotFound(N_("No such registration in your organisation."))
        return registration

    def service_posts(self) -> QuerySet[ServicePost]:
        return ServicePost.filter(community__path__startswith=self.path)

    async def service_post(self, post_id: int) -> ServicePost:
        post = await self.service_posts().get_or_none(id=post_id)
        if post is None:
            raise NotFound(N_("No such service post in your organisation."))
        return post

    def post_claims(self) -> QuerySet[PostClaim]:
        return PostClaim.filter(post__community__path__startswith=self.path)

    def teams(self) -> QuerySet[Team]:
        return Team.filter(community__path__startswith=self.path)

    async def team(self, team_id: int) -> Team:
        team = await self.teams().get_or_none(id=team_id)
        if team is None:
            raise NotFound(N_("No such team in your organisation."))
        return team

    def team_memberships(self) -> QuerySet[TeamMembership]:
        return TeamMembership.filter(team__community__path__startswith=self.path)

    def activity_series(self) -> QuerySet[ActivitySeries]:
        return ActivitySeries.filter(community__path__startswith=self.path)

    async def series(self, series_id: int) -> ActivitySeries:
        series = await self.activity_series().get_or_none(id=series_id)
        if series is None:
            raise NotFound(N_("No such recurring activity in your organisation."))
        return series

    def activities(self) -> QuerySet[Activity]:
        return Activity.filter(community__path__startswith=self.path)

    async def activity(self, activity_id: int) -> Activity:
        activity = await self.activities().get_or_none(id=activity_id)
        if activity is None:
            raise NotFound(N_("No such activity in your organisation."))
        return activity

    def signups(self) -> QuerySet[SignUp]:
        return SignUp.filter(activity__community__path__startswith=self.path)

    # Contribution cards and the audit log.

    def cards(self) -> QuerySet[PointCard]:
        """Ledger entries (cards and revocations) of members of the branches in scope."""
        if self.whole_tree:  # every card has a member, every member a branch
            return PointCard.all()
        return PointCard.filter(member__branch_id__in=self.unit_ids())

    async def card(self, card_id: int) -> PointCard:
        card = await self.cards().get_or_none(id=card_id)
        if card is None:
            raise NotFound(N_("No such card in your organisation."))
        return card

    def audit_entries(self) -> QuerySet[AuditEntry]:
        """Entries about objects of units in scope; entries tied to no unit (system-wide
        changes) only for district-level users."""
        in_scope = Q(org__path__startswith=self.path)
        if self.org.kind == OrgKind.DISTRICT:
            return AuditEntry.filter(in_scope | Q(org_id__isnull=True))
        return AuditEntry.filter(in_scope)

    async def audit_entry(self, entry_id: int) -> AuditEntry:
        entry = await self.audit_entries().get_or_none(id=entry_id)
        if entry is None:
            raise NotFound(N_("No such audit entry in your organisation."))
        return entry
    # Reports: kept for the districts, sub-districts and communities in scope.

    def reports(self) -> QuerySet[Report]:
        return Report.filter(org__path__startswith=self.path)

    async def report(self, report_id: int) -> Report:
        report = await self.reports().get_or_none(id=report_id)
        if report is None:
            raise NotFound(N_("No such report in your organisation."))
        return report

    @property
    def has_reports(self) -> bool:
        """Reports are kept for this user's own unit (a branch secretary has none of their own)."""
        return self.org.kind in REPORT_UNIT_KINDS
