"""Service activities (活动): a team's or a community's event at a place and time, with seats.

An activity is one-off or an occurrence of a series (``models.activity_series``).
Members sign up for it (``models.signups``), are reminded before it
(``models.activity_reminders``) and check in at it (``models.attendance``); this
module holds the two tables and the activity's own life::

    scheduled → cancelled            (reason required)
    scheduled → scheduled, version+1 (time or place changed)

Who may sign up: a team's active members for its activities; for an activity open
to the community (every activity without a team is), also every member of that
community (``models.registration.member_communities``).

Times are UTC. Changing the time or the place bumps ``version``; an edit made from a
stale copy (another organiser changed it meanwhile) is refused. Both changes return
the members holding a place, for the caller to notify.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.expressions import F, Q
from tortoise.models import Model

from locales import N_
from models import audit
from models.errors import DomainError, PermissionDenied, ValidationError
from models.members import Member
from models.org import OrgKind, OrgUnit
from models.registration import member_communities
from models.teams import MembershipStatus, Team, TeamMembership, is_active_member, require_organiser
from models.text import clean_optional_text, clean_text

if TYPE_CHECKING:
    from models.scope import Scope

TITLE_MAX = 100
PLACE_MAX = 200
DESCRIPTION_MAX = 1000
REASON_MAX = 300
CAPACITY_MAX = 10_000
LONGEST = timedelta(days=7)
CHECKIN_CODE_DIGITS = 6


class ActivityStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


ACTIVITY_STATUS_LABELS = {
    ActivityStatus.SCHEDULED: N_("Scheduled"),
    ActivityStatus.CANCELLED: N_("Cancelled"),
}


class SignUpStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    LATE_CANCELLED = "late_cancelled"
    ATTENDED = "attended"
    EXCUSED = "excused"
    NO_SHOW = "no_show"


SIGN_UP_STATUS_LABELS = {
    SignUpStatus.REGISTERED: N_("Signed up"),
    SignUpStatus.WAITLISTED: N_("On the waiting list"),
    SignUpStatus.CANCELLED: N_("Cancelled"),
    SignUpStatus.LATE_CANCELLED: N_("Cancelled late"),
    SignUpStatus.ATTENDED: N_("Attended"),
    SignUpStatus.EXCUSED: N_("Excused"),
    SignUpStatus.NO_SHOW: N_("Did not come"),
}

#: Sign-ups that hold a place (or a place in the queue) before the activity.
HOLDING = (SignUpStatus.REGISTERED, SignUpStatus.WAITLISTED)


class Activity(Model):
    """A service activity at one place and time."""

    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="activities", on_delete=fields.RESTRICT
    )
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="activities", null=True, on_delete=fields.SET_NULL
    )
    series = fields.ForeignKeyField(
        "models.ActivitySeries", related_name="activities", null=True, on_delete=fields.SET_NULL
    )
    # The local day the series planned this occurrence for; it stays when the occurrence is moved,
    # so generating the series again never recreates it.
    series_date = fields.DateField(null=True)
    title = fields.CharField(max_length=TITLE_MAX)
    place = fields.CharField(max_length=PLACE_MAX)
    description = fields.CharField(max_length=DESCRIPTION_MAX, default="")
    starts_at = fields.DatetimeField(db_index=True)
    ends_at = fields.DatetimeField()
    capacity = fields.SmallIntField(null=True)  # NULL: no limit
    taken = fields.SmallIntField(default=0)  # seats given to sign-ups (see models.signups)
    status = fields.CharEnumField(ActivityStatus, max_length=16, default=ActivityStatus.SCHEDULED,
                                  db_index=True)
    open_to_community = fields.BooleanField(default=False)
    checkin_code = fields.CharField(max_length=CHECKIN_CODE_DIGITS)
    version = fields.IntField(default=1)
    changed_at = fields.DatetimeField(null=True)  # the time or place last changed
    cancel_reason = fields.CharField(max_length=REASON_MAX, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "activity"
        unique_together = (("series", "series_date"),)
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.taken, 0)


class SignUp(Model):
    """A member's sign-up for an activity, from the tap to the attendance record."""

    id = fields.IntField(primary_key=True)  # increasing in tap order: the waiting list's order
    activity: fields.ForeignKeyRelation[Activity] = fields.ForeignKeyField(
        "models.Activity", related_name="signups", on_delete=fields.CASCADE
    )
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="signups", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(SignUpStatus, max_length=16, default=SignUpStatus.WAITLISTED)
    # "<activity id>:<member id>" until cancelled: one live sign-up per member and activity.
    active_key = fields.CharField(max_length=24, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    registered_at = fields.DatetimeField(null=True)  # when the member got a seat
    cancelled_at = fields.DatetimeField(null=True)
    attendance_at = fields.DatetimeField(null=True)  # when attendance was recorded

    class Meta:
        table = "signup"
        indexes = (("activity_id", "status"),)
        ordering = ["id"]


def sign_up_key(activity_id: int, member_id: int) -> str:
    return f"{activity_id}:{member_id}"


def new_checkin_code() -> str:
    return f"{secrets.randbelow(10**CHECKIN_CODE_DIGITS):0{CHECKIN_CODE_DIGITS}d}"


# --------------------------------------------------------------------------- validation


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("activity times must be timezone-aware")
    return value.astimezone(UTC)


def clean_times(starts_at: datetime, ends_at: datetime, now: datetime) -> tuple[datetime, datetime]:
    starts_at, ends_at = _utc(starts_at), _utc(ends_at)
    if starts_at <= now:
        raise ValidationError(N_("The start must be in the future."), field="starts_at")
    if not starts_at < ends_at <= starts_at + LONGEST:
        raise ValidationError(N_("The end must be after the start, at most 7 days later."),
                              field="ends_at")
    return starts_at, ends_at


def clean_capacity(capacity: int | None) -> int | None:
    if capacity is not None and (not isinstance(capacity, int) or not 1 <= capacity <= CAPACITY_MAX):
        raise ValidationError(N_("Enter a number of people from 1 to 10000, or leave it empty."),
                              field="capacity")
    return capacity


def clean_description(description: str) -> str:
    return clean_optional_text(description, DESCRIPTION_MAX, "description")


def check_team(community: OrgUnit, team: Team | None) -> None:
    if community.kind != OrgKind.COMMUNITY:
        raise ValidationError(N_("Choose a community."), field="community")
    if team is not None and team.community_id != community.id:
        raise ValidationError(N_("This team belongs to another community."), field="team")


# --------------------------------------------------------------------------- the activity's life


async def create_activity(
    actor: audit.Actor, community: OrgUnit, *, title: str, place: str, starts_at: datetime,
    ends_at: datetime, capacity: int | None = None, team: Team | None = None,
    open_to_community: bool = False, description: str = "", scope: Scope | None = None,
    now: datetime | None = None,
) -> Activity:
    """A one-off activity, by a leader of ``team`` or a secretary.

    An activity without a team is open to the community."""
    check_team(community, team)
    await require_organiser(team.id if team else None, community.id, actor, scope)
    starts_at, ends_at = clean_times(starts_at, ends_at, now or datetime.now(UTC))
    activity = await Activity.create(
        community=community, team=team, title=clean_text(title, TITLE_MAX, "title"),
        place=clean_text(place, PLACE_MAX, "place"), description=clean_description(description),
        starts_at=starts_at, ends_at=ends_at, capacity=clean_capacity(capacity),
        open_to_community=open_to_community or team is None, checkin_code=new_checkin_code(),
    )
    await audit.record(actor, "activity.create", activity, org_id=community.id,
                       after=_snapshot(activity))
    return activity


def _snapshot(activity: Activity) -> dict:
    return {
        "title": activity.title, "place": activity.place, "starts_at": activity.starts_at.isoformat(),
        "ends_at": activity.ends_at.isoformat(), "capacity": activity.capacity,
        "status": str(activity.status), "version": activity.version,
    }


async def _refuse_stale(activity: Activity, now: datetime) -> None:
    """Say why a conditional change of ``activity`` found nothing to change."""
    await activity.refresh_from_db()
    if activity.status == ActivityStatus.CANCELLED:
        raise DomainError(N_("This activity has been cancelled."))
    if activity.starts_at <= now:
        raise DomainError(N_("This activity has already started."))
    raise DomainError(N_("Someone else changed this activity meanwhile: look at it again."))


async def reschedule(
    activity: Activity, actor: audit.Actor, *, starts_at: datetime, ends_at: datetime, place: str,
    scope: Scope | None = None, now: datetime | None = None,
) -> list[Member]:
    """Move the activity or change its place; returns the members to tell (none if nothing changed)."""
    await require_organiser(activity.team_id, activity.community_id, actor, scope)
    now = now or datetime.now(UTC)
    starts_at, ends_at = clean_times(starts_at, ends_at, now)
    place = clean_text(place, PLACE_MAX, "place")
    if (starts_at, ends_at, place) == (activity.starts_at, activity.ends_at, activity.place):
        return []
    before = _snapshot(activity)
    updated = await Activity.filter(
        id=activity.id, status=ActivityStatus.SCHEDULED, version=activity.version, starts_at__gt=now,
    ).update(starts_at=starts_at, ends_at=ends_at, place=place, version=F("version") + 1,
             changed_at=now)
    if not updated:
        await _refuse_stale(activity, now)
    await activity.refresh_from_db()
    await audit.record(actor, "activity.reschedule", activity, org_id=activity.community_id,
                       before=before, after=_snapshot(activity))
    return await signed_up_members(activity)


async def cancel_activity(
    activity: Activity, actor: audit.Actor, reason: str, *, scope: Scope | None = None,
    now: datetime | None = None,
) -> list[Member]:
    """Call the activity off before it starts; returns the members to tell."""
    await require_organiser(activity.team_id, activity.community_id, actor, scope)
    now = now or datetime.now(UTC)
    reason = clean_text(reason, REASON_MAX, "reason")
    before = _snapshot(activity)
    updated = await Activity.filter(
        id=activity.id, status=ActivityStatus.SCHEDULED, starts_at__gt=now,
    ).update(status=ActivityStatus.CANCELLED, cancel_reason=reason, version=F("version") + 1,
             changed_at=now)
    if not updated:
        await _refuse_stale(activity, now)
    await activity.refresh_from_db()
    await audit.record(actor, "activity.cancel", activity, org_id=activity.community_id,
                       before=before, after={**_snapshot(activity), "reason": reason})
    return await signed_up_members(activity)


# --------------------------------------------------------------------------- who may sign up


async def require_access(activity: Activity, member: Member) -> None:
    if activity.team_id is not None and await is_active_member(activity.team_id, member):
        return
    if not activity.open_to_community:
        raise PermissionDenied(N_("This activity is for the team's members."))
    if activity.community_id not in await member_communities(member):
        raise PermissionDenied(N_("This activity belongs to another community."))


# --------------------------------------------------------------------------- queries


async def signed_up_members(activity: Activity) -> list[Member]:
    """Members registered or waiting for ``activity``, in tap order."""
    return await Member.filter(
        signups__activity_id=activity.id, signups__status__in=list(HOLDING)
    ).order_by("signups__id")


async def upcoming_for(
    member: Member, *, now: datetime | None = None, limit: int | None = 10,
) -> list[Activity]:
    """Scheduled activities the member may sign up for, soonest first (all with ``limit=None``)."""
    team_ids = await TeamMembership.filter(
        member_id=member.id, status=MembershipStatus.ACTIVE
    ).values_list("team_id", flat=True)
    reachable = Q(open_to_community=True, community_id__in=list(await member_communities(member)))
    if team_ids:
        reachable |= Q(team_id__in=list(team_ids))
    activities = Activity.filter(
        reachable, status=ActivityStatus.SCHEDULED, starts_at__gt=now or datetime.now(UTC)
    ).order_by("starts_at", "id")
    return await (activities if limit is None else activities.limit(limit))


async def signups_of(member: Member, *, now: datetime | None = None) -> list[SignUp]:
    """The member's live sign-ups for activities not yet over, soonest first, each with its activity."""
    return await SignUp.filter(
        member_id=member.id, status__in=list(HOLDING), activity__ends_at__gt=now or datetime.now(UTC),
    ).select_related("activity").order_by("activity__starts_at", "id")


async def get_member_signup(signup_id: int, member: Member) -> SignUp | None:
    """The sign-up if it is the member's own (ids from buttons are never trusted)."""
    return await SignUp.get_or_none(id=signup_id, member_id=member.id)


async def roster(activity: Activity) -> list[SignUp]:
    """Every live sign-up of the activity in tap order, each with its member (for the organiser)."""
    live = SignUp.filter(activity_id=activity.id, active_key__isnull=False)
    return await live.select_related("member")
