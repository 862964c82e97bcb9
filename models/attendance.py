"""Attendance: organisers record who came; members check in with the activity's code.

    registered | waitlisted | excused | no_show → attended   (one contribution card)
    registered | excused | no_show → excused | no_show

A waiting member who came anyway (a seat was free on the day) can be recorded as
attended. Attended is final: its card is in the ledger, and a mistake is undone there
by a revocation. Organisers record attendance from ``CHECKIN_OPENS`` before the start
on; a member's own check-in is accepted only within the window around the activity,
and only for an activity they signed up for, which keeps guessing a 6-digit code
pointless (the bot also limits attempts).
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from locales import N_
from models import audit
from models.activities import (
    SIGN_UP_STATUS_LABELS,
    Activity,
    ActivityStatus,
    SignUp,
    SignUpStatus,
    sign_up_key,
)
from models.clock import local_now
from models.errors import DomainError, Label, ValidationError
from models.members import Member
from models.points import CardSource, award_card
from models.teams import require_organiser

if TYPE_CHECKING:
    from models.scope import Scope

CHECKIN_OPENS = timedelta(minutes=30)  # before the start
CHECKIN_CLOSES = timedelta(hours=2)  # after the end
ATTENDANCE_NOT_YET = N_("Attendance can be recorded from 30 minutes before the start.")

OUTCOMES = (SignUpStatus.ATTENDED, SignUpStatus.EXCUSED, SignUpStatus.NO_SHOW)
_CORRECTABLE = (SignUpStatus.REGISTERED, SignUpStatus.EXCUSED, SignUpStatus.NO_SHOW)
_RECORDABLE_FROM = {
    SignUpStatus.ATTENDED: (*_CORRECTABLE, SignUpStatus.WAITLISTED),
    SignUpStatus.EXCUSED: _CORRECTABLE,
    SignUpStatus.NO_SHOW: _CORRECTABLE,
}


def checkin_window(activity: Activity) -> tuple[datetime, datetime]:
    return activity.starts_at - CHECKIN_OPENS, activity.ends_at + CHECKIN_CLOSES


CHECKIN_HOURS = N_("Check-in is open from {opens} to {closes}.")


def checkin_hours(activity: Activity) -> dict[str, str]:
    """The ``opens`` and ``closes`` of ``CHECKIN_HOURS``, in local time."""
    opens, closes = checkin_window(activity)
    return {"opens": local_now(opens).strftime("%m-%d %H:%M"),
            "closes": local_now(closes).strftime("%m-%d %H:%M")}


def checkin_is_open(activity: Activity, now: datetime | None = None) -> bool:
    """Whether a member can check in with the code now (the window around the activity)."""
    opens, closes = checkin_window(activity)
    return opens <= (now or datetime.now(UTC)) <= closes


def may_check_in(activity: Activity, signup: SignUp, now: datetime | None = None) -> bool:
    """Whether ``check_in`` would take this sign-up's code now (the code itself aside)."""
    return (activity.status != ActivityStatus.CANCELLED and signup.status != SignUpStatus.ATTENDED
            and checkin_is_open(activity, now))


def attendance_open(activity: Activity, now: datetime | None = None) -> bool:
    """Whether organisers can record attendance yet (from ``CHECKIN_OPENS`` before the start)."""
    return (now or datetime.now(UTC)) >= checkin_window(activity)[0]


async def _record(
    signup: SignUp, activity: Activity, outcome: SignUpStatus, actor: audit.Actor, now: datetime,
) -> SignUp:
    before = signup.status
    recordable = SignUp.filter(id=signup.id, status__in=list(_RECORDABLE_FROM[outcome]))
    async with in_transaction():
        if not await recordable.update(status=outcome, attendance_at=now):
            await signup.refresh_from_db()
            raise DomainError(
                N_("This sign-up is {status}: its attendance cannot be changed to that."),
                status=Label(SIGN_UP_STATUS_LABELS[signup.status]),
            )
        signup.status, signup.attendance_at = outcome, now
        await audit.record(actor, "activity.attendance", signup, org_id=activity.community_id,
                           before={"status": str(before)}, after={"status": str(outcome)})
        if outcome == SignUpStatus.ATTENDED:
            member = await Member.get(id=signup.member_id)
            await award_card(member, CardSource.ACTIVITY, activity.id, actor, when=activity.starts_at)
    return signup


async def mark_attendance(
    signup: SignUp, outcome: SignUpStatus, actor: audit.Actor, *, scope: Scope | None = None,
    now: datetime | None = None,
) -> SignUp:
    """A leader of the team or a secretary records attended, excused or no-show."""
    activity = await Activity.get(id=signup.activity_id)
    await require_organiser(activity.team_id, activity.community_id, actor, scope)
    if outcome not in OUTCOMES:
        raise ValidationError(N_("Choose attended, excused or did not come."), field="status")
    now = now or datetime.now(UTC)
    if activity.status == ActivityStatus.CANCELLED:
        raise DomainError(N_("This activity has been cancelled."))
    if not attendance_open(activity, now):
        raise DomainError(ATTENDANCE_NOT_YET)
    return await _record(signup, activity, SignUpStatus(outcome), actor, now)


async def check_in(
    activity: Activity, member: Member, code: str, *, now: datetime | None = None,
) -> SignUp:
    """The member checks in with the code shown at the activity: attended, and a card."""
    now = now or datetime.now(UTC)
    await activity.refresh_from_db()
    if activity.status == ActivityStatus.CANCELLED:
        raise DomainError(N_("This activity has been cancelled."))
    if not checkin_is_open(activity, now):
        raise DomainError(CHECKIN_HOURS, **checkin_hours(activity))
    if not hmac.compare_digest((code or "").strip().encode(), activity.checkin_code.encode()):
        raise ValidationError(N_("This check-in code is not right."), field="code")
    signup = await SignUp.get_or_none(active_key=sign_up_key(activity.id, member.id))
    if signup is None:
        raise DomainError(N_("You have not signed up for this activity."))
    if signup.status == SignUpStatus.ATTENDED:
        raise DomainError(N_("You have already checked in."))
    return await _record(signup, activity, SignUpStatus.ATTENDED, audit.Actor(member=member), now)
