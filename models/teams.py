"""Volunteer teams (服务队): a community's free clinic, tutoring, legal aid or patrol team.

Members ask to join; a leader of the team or a secretary in scope decides::

    requested → active | declined ;  active → left

A secretary appoints leaders. Leaders run the team in the bot: they approve members,
manage its activities and may link the team's Telegram group. Each team says how long
before an activity its members are reminded (``reminder_offsets``, e.g. "24h,2h").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from locales import N_
from models import audit
from models.errors import DomainError, Label, PermissionDenied, ValidationError
from models.members import Member
from models.org import OrgKind, OrgUnit
from models.registration import member_communities
from models.text import clean_optional_text, clean_text

if TYPE_CHECKING:
    from models.scope import Scope

NAME_MAX = 100
DESCRIPTION_MAX = 500
NOTICE_MAX = 500  # a leader's notice to the team
DEFAULT_REMINDER_OFFSETS = "24h,2h"
MAX_REMINDERS = 5
MIN_REMINDER_OFFSET = timedelta(minutes=5)
MAX_REMINDER_OFFSET = timedelta(days=14)


class TeamRole(StrEnum):
    LEADER = "leader"
    MEMBER = "member"


TEAM_ROLE_LABELS = {
    TeamRole.LEADER: N_("Team leader"),
    TeamRole.MEMBER: N_("Team member"),
}


class MembershipStatus(StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    DECLINED = "declined"
    LEFT = "left"


MEMBERSHIP_STATUS_LABELS = {
    MembershipStatus.REQUESTED: N_("Asked to join"),
    MembershipStatus.ACTIVE: N_("In the team"),
    MembershipStatus.DECLINED: N_("Declined"),
    MembershipStatus.LEFT: N_("Left"),
}


class Team(Model):
    """A volunteer service team of a community."""

    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="teams", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=NAME_MAX)
    description = fields.CharField(max_length=DESCRIPTION_MAX, default="")
    reminder_offsets = fields.CharField(max_length=64, default=DEFAULT_REMINDER_OFFSETS)
    group_chat_id = fields.BigIntField(null=True, unique=True)  # the team's Telegram group
    is_open = fields.BooleanField(default=True, db_default=True)  # takes requests to join
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "team"
        unique_together = (("community", "name"),)
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def offsets(self) -> tuple[timedelta, ...]:
        return parse_offsets(self.reminder_offsets)


class TeamMembership(Model):
    """A member's place in a team, from the request to join until leaving."""

    id = fields.IntField(primary_key=True)
    team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="memberships", on_delete=fields.CASCADE
    )
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="team_memberships", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(TeamRole, max_length=16, default=TeamRole.MEMBER)
    status = fields.CharEnumField(MembershipStatus, max_length=16, default=MembershipStatus.REQUESTED,
                                  db_index=True)
    # "<team id>:<member id>" while requested or active: one open membership per member and team.
    active_key = fields.CharField(max_length=24, null=True, unique=True)
    requested_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)
    left_at = fields.DatetimeField(null=True)

    class Meta:
        table = "team_membership"
        ordering = ["id"]


def _membership_key(team_id: int, member_id: int) -> str:
    return f"{team_id}:{member_id}"


# --------------------------------------------------------------------------- reminder offsets

_OFFSET_RE = re.compile(r"^(\d{1,4})\s*([mhd])$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440}


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """``"24h,2h"`` → (24 h, 2 h), longest first; units m, h, d; an empty text means no reminders."""
    offsets = set()
    for part in re.split(r"[,，、\s]+", (text or "").strip().lower()):
        if not part:
            continue
        match = _OFFSET_RE.match(part)
        if match is None:
            raise ValidationError(
                N_("Write reminder times like “24h,2h” (m minutes, h hours, d days)."),
                field="reminder_offsets",
            )
        offset = timedelta(minutes=int(match[1]) * _UNIT_MINUTES[match[2]])
        if not MIN_REMINDER_OFFSET <= offset <= MAX_REMINDER_OFFSET:
            raise ValidationError(N_("A reminder goes between 5 minutes and 14 days before the start."),
                                  field="reminder_offsets")
        offsets.add(offset)
    if len(offsets) > MAX_REMINDERS:
        raise ValidationError(N_("At most {count} reminders."), field="reminder_offsets",
                              count=MAX_REMINDERS)
    return tuple(sorted(offsets, reverse=True))


def format_offsets(offsets: tuple[timedelta, ...]) -> str:
    minutes = [int(offset.total_seconds()) // 60 for offset in offsets]
    return ",".join(f"{m // 60}h" if m % 60 == 0 else f"{m}m" for m in minutes)


def clean_offsets(text: str) -> str:
    """The offsets as stored: validated and in one spelling (``"2h, 1d"`` → ``"24h,2h"``)."""
    return format_offsets(parse_offsets(text))


# --------------------------------------------------------------------------- rights


async def is_leader(team_id: int, member: Member) -> bool:
    return await TeamMembership.filter(
        team_id=team_id, member_id=member.id, status=MembershipStatus.ACTIVE, role=TeamRole.LEADER
    ).exists()


async def is_active_member(team_id: int, member: Member) -> bool:
    return await TeamMembership.filter(
        team_id=team_id, member_id=member.id, status=MembershipStatus.ACTIVE
    ).exists()


async def require_organiser(
    team_id: int | None, community_id: int, actor: audit.Actor, scope: Scope | None,
) -> None:
    """A leader of the team (in the bot), or a secretary whose scope covers the community."""
    if actor.member is not None and team_id is not None and await is_leader(team_id, actor.member):
        return
    if actor.admin is not None and scope is not None:
        await scope.require_writable(community_id)
        return
    raise PermissionDenied(N_("Only the team's leaders or the community's secretaries can do this."))


# --------------------------------------------------------------------------- the team


async def _clean_name(community_id: int, name: str, team_id: int | None = None) -> str:
    name = clean_text(name, NAME_MAX, "name")
    if await Team.filter(community_id=community_id, name=name).exclude(id=team_id).exists():
        raise ValidationError(N_("This community already has a team with this name."), field="name")
    return name


async def create_team(
    scope: Scope, community: OrgUnit, *, name: str, description: str = "",
    reminder_offsets: str = DEFAULT_REMINDER_OFFSETS,
) -> Team:
    if community.kind != OrgKind.COMMUNITY:
        raise ValidationError(N_("Choose a community."), field="community")
    await scope.require_writable(community.id)
    team = await Team.create(
        community=community, name=await _clean_name(community.id, name),
        description=clean_optional_text(description, DESCRIPTION_MAX, "description"),
        reminder_offsets=clean_offsets(reminder_offsets),
    )
    await audit.record(audit.Actor(admin=scope.user), "team.create", team, org_id=community.id,
                       after={"name": team.name, "reminder_offsets": team.reminder_offsets})
    return team


async def update_team(
    team: Team, actor: audit.Actor, *, name: str, description: str = "",
    reminder_offsets: str = DEFAULT_REMINDER_OFFSETS, is_open: bool | None = None,
    scope: Scope | None = None,
) -> Team:
    """Change the team; ``is_open`` None keeps whether it takes requests to join."""
    await require_organiser(team.id, team.community_id, actor, scope)
    changes = {
        "name": await _clean_name(team.community_id, name, team.id),
        "description": clean_optional_text(description, DESCRIPTION_MAX, "description"),
        "reminder_offsets": clean_offsets(reminder_offsets),
    }
    if is_open is not None:
        changes["is_open"] = bool(is_open)
    before = {"name": team.name, "reminder_offsets": team.reminder_offsets, "is_open": team.is_open}
    team.update_from_dict(changes)
    await team.save(update_fields=list(changes))
    await audit.record(actor, "team.update", team, org_id=team.community_id, before=before,
                       after={"name": team.name, "reminder_offsets": team.reminder_offsets,
                              "is_open": team.is_open})
    return team


# --------------------------------------------------------------------------- memberships


async def request_to_join(team: Team, member: Member) -> TeamMembership:
    if team.community_id not in await member_communities(member):
        raise PermissionDenied(N_("This team belongs to another community."))
    if not await Team.filter(id=team.id, is_open=True).exists():
        raise DomainError(N_("This team is not taking new members right now."))
    try:
        async with in_transaction():
            membership = await TeamMembership.create(
                team=team, member=member, active_key=_membership_key(team.id, member.id)
            )
            await audit.record(audit.Actor(member=member), "team.request", membership,
                               org_id=team.community_id)
    except IntegrityError:
        raise DomainError(N_("You have already asked to join this team, or you are in it.")) from None
    return membership


async def _transition(
    membership: TeamMembership, expected: tuple[MembershipStatus, ...], actor: audit.Actor, action: str,
    **changes,
) -> TeamMembership:
    before = {"status": str(membership.status), "role": str(membership.role)}
    updated = await TeamMembership.filter(id=membership.id, status__in=list(expected)).update(**changes)
    await membership.refresh_from_db()
    if updated != 1:
        raise DomainError(N_("This membership is {status} now: the action was not applied."),
                          status=Label(MEMBERSHIP_STATUS_LABELS[membership.status]))
    await membership.fetch_related("team")
    after = {key: None if value is None else str(value) for key, value in changes.items()}
    await audit.record(actor, action, membership, org_id=membership.team.community_id, before=before,
                       after=after)
    return membership


async def _require_team_organiser(
    membership: TeamMembership, actor: audit.Actor, scope: Scope | None,
) -> None:
    await membership.fetch_related("team")
    await require_organiser(membership.team_id, membership.team.community_id, actor, scope)


async def approve_membership(
    membership: TeamMembership, actor: audit.Actor, *, scope: Scope | None = None,
) -> TeamMembership:
    await _require_team_organiser(membership, actor, scope)
    return await _transition(
        membership, (MembershipStatus.REQUESTED,), actor, "team.approve",
        status=MembershipStatus.ACTIVE, decided_at=datetime.now(UTC),
    )


async def decline_membership(
    membership: TeamMembership, actor: audit.Actor, *, scope: Scope | None = None,
) -> TeamMembership:
    await _require_team_organiser(membership, actor, scope)
    return await _transition(
        membership, (MembershipStatus.REQUESTED,), actor, "team.decline",
        status=MembershipStatus.DECLINED, active_key=None, decided_at=datetime.now(UTC),
    )


async def leave_team(membership: TeamMembership, member: Member) -> TeamMembership:
    """The member leaves, or withdraws a request nobody has decided on yet."""
    if membership.member_id != member.id:
        raise PermissionDenied(N_("Only the member themself can leave the team."))
    return await _transition(
        membership, (MembershipStatus.REQUESTED, MembershipStatus.ACTIVE), audit.Actor(member=member),
        "team.leave", status=MembershipStatus.LEFT, active_key=None, left_at=datetime.now(UTC),
    )


async def appoint_leader(team: Team, member: Member, scope: Scope) -> TeamMembership:
    """Make ``member`` a leader of ``team``: their open membership is raised, else one is created."""
    await scope.require_writable(team.community_id)
    actor = audit.Actor(admin=scope.user)
    now = datetime.now(UTC)
    membership = await TeamMembership.get_or_none(active_key=_membership_key(team.id, member.id))
    if membership is not None:
        return await _transition(
            membership, (MembershipStatus.REQUESTED, MembershipStatus.ACTIVE), actor,
            "team.appoint_leader", status=MembershipStatus.ACTIVE, role=TeamRole.LEADER,
            decided_at=membership.decided_at or now,
        )
    membership = await TeamMembership.create(
        team=team, member=member, active_key=_membership_key(team.id, member.id), role=TeamRole.LEADER,
        status=MembershipStatus.ACTIVE, decided_at=now,
    )
    await audit.record(actor, "team.appoint_leader", membership, org_id=team.community_id)
    return membership


async def demote_leader(membership: TeamMembership, scope: Scope) -> TeamMembership:
    """The leader stays in the team as an ordinary member."""
    await membership.fetch_related("team")
    await scope.require_writable(membership.team.community_id)
    if not await TeamMembership.filter(
        id=membership.id, status=MembershipStatus.ACTIVE, role=TeamRole.LEADER
    ).update(role=TeamRole.MEMBER):
        raise DomainError(N_("This member is not a leader of the team."))
    membership.role = TeamRole.MEMBER
    await audit.record(audit.Actor(admin=scope.user), "team.demote_leader", membership,
                       org_id=membership.team.community_id, before={"role": str(TeamRole.LEADER)},
                       after={"role": str(TeamRole.MEMBER)})
    return membership


# --------------------------------------------------------------------------- the team's Telegram group


async def link_group(team: Team, chat_id: int, member: Member) -> Team:
    """Link the group the bot was added to; only a leader of the team may."""
    if not await is_leader(team.id, member):
        raise PermissionDenied(N_("Only the team's leaders can link a group to it."))
    try:
        updated = await Team.filter(id=team.id).update(group_chat_id=chat_id)
    except IntegrityError:
        raise DomainError(N_("This group is already linked to another team.")) from None
    if updated:
        before, team.group_chat_id = team.group_chat_id, chat_id
        await audit.record(audit.Actor(member=member), "team.link_group", team,
                           org_id=team.community_id, before={"group_chat_id": before},
                           after={"group_chat_id": chat_id})
    return team


async def unlink_group(team: Team, actor: audit.Actor, *, scope: Scope | None = None) -> Team:
    await require_organiser(team.id, team.community_id, actor, scope)
    if await Team.filter(id=team.id, group_chat_id__isnull=False).update(group_chat_id=None):
        await audit.record(actor, "team.unlink_group", team, org_id=team.community_id,
                           before={"group_chat_id": team.group_chat_id})
    team.group_chat_id = None
    return team


async def unlink_chat(chat_id: int) -> list[Team]:
    """The bot was removed from ``chat_id``: unlink the team it served. Returns the teams unlinked."""
    teams = await Team.filter(group_chat_id=chat_id)
    for team in teams:
        if await Team.filter(id=team.id, group_chat_id=chat_id).update(group_chat_id=None):
            await audit.record(audit.Actor.system("bot"), "team.unlink_group", team,
                               org_id=team.community_id, before={"group_chat_id": chat_id})
            team.group_chat_id = None
    return teams


# --------------------------------------------------------------------------- notices


def clean_notice(text: str | None) -> str:
    """A leader's notice to the team: not blank, at most :data:`NOTICE_MAX` characters."""
    return clean_text(text, NOTICE_MAX, "text")


async def notice_recipients(team: Team, sender: Member) -> list[int]:
    """The member ids a notice from ``sender`` goes to: the team's active members but the sender."""
    return list(await TeamMembership.filter(
        team_id=team.id, status=MembershipStatus.ACTIVE,
    ).exclude(member_id=sender.id).order_by("id").values_list("member_id", flat=True))


async def record_team_notice(team: Team, member: Member, text: str) -> str:
    """Check that ``member`` leads ``team`` (now, at send time) and log the notice; returns its
    cleaned text. The caller queues the messages (``bot.notify_community.team_notice``)."""
    if not await is_leader(team.id, member):
        raise PermissionDenied(N_("Only the team's leaders can send a notice to the team."))
    text = clean_notice(text)
    await audit.record(audit.Actor(member=member), "team.notice", team, org_id=team.community_id,
                       after={"text": text})
    return text


# --------------------------------------------------------------------------- queries


async def team_for_chat(chat_id: int) -> Team | None:
    return await Team.get_or_none(group_chat_id=chat_id)


async def teams_of(member: Member) -> list[TeamMembership]:
    """The member's active memberships, each with its team."""
    memberships = TeamMembership.filter(member_id=member.id, status=MembershipStatus.ACTIVE)
    return await memberships.select_related("team")


async def join_requests(team: Team) -> list[TeamMembership]:
    """Requests awaiting a decision, oldest first, each with its member."""
    requests = TeamMembership.filter(team_id=team.id, status=MembershipStatus.REQUESTED)
    return await requests.select_related("member")


async def team_members(team: Team) -> list[TeamMembership]:
    """Active members, leaders first, each with its member."""
    memberships = await TeamMembership.filter(
        team_id=team.id, status=MembershipStatus.ACTIVE
    ).select_related("member")
    return sorted(memberships, key=lambda m: (m.role != TeamRole.LEADER, m.member.name, m.id))


async def teams_in(community: OrgUnit) -> list[Team]:
    return await Team.filter(community_id=community.id)
