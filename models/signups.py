"""Signing up for an activity: seats, the waiting list and cancellations.

    (tap) → registered | waitlisted
    registered → cancelled | late_cancelled (within ``late_window`` of the start)
    waitlisted → registered (a seat came free) | cancelled

Seats must be exactly right when 30 members tap at once for 10 seats, on SQLite and
on PostgreSQL. Two mechanisms make it so:

* ``Activity.taken`` counts the seats given out and only moves by a conditional
  UPDATE (``taken = taken + 1 WHERE taken < capacity``). One statement is atomic on
  every backend and isolation level, so an activity is never overbooked, whatever
  else goes wrong.
* Every step that hands out or frees a seat runs in one transaction that first locks
  the activity row (``SELECT … FOR NO KEY UPDATE`` on PostgreSQL; on SQLite a
  transaction holds the process's single connection, which serialises it anyway).
  Sign-ups for one activity are therefore taken one at a time: the new row is added
  to the waiting list, then free seats go to the earliest waiting sign-ups. The
  sign-up's id (increasing in tap order) is the queue, so the first 10 taps get the
  seats and the other 20 wait in the order they tapped. A cancellation frees its
  seat and promotes the first in line inside the same lock, so no newcomer can slip
  in between.

A seat-number unique constraint would also prevent overbooking, but freeing a seat
would leave a hole to refill by number; a counter has no holes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from locales import N_
from models import audit
from models.activities import (
    HOLDING,
    SIGN_UP_STATUS_LABELS,
    Activity,
    ActivityStatus,
    SignUp,
    SignUpStatus,
    clean_capacity,
    require_access,
    sign_up_key,
)
from models.errors import DomainError, Label, PermissionDenied, ValidationError
from models.members import Member
from models.teams import require_organiser

if TYPE_CHECKING:
    from models.scope import Scope

#: A cancellation this close to the start still frees the seat but is recorded as late.
LATE_CANCEL_WINDOW = timedelta(hours=2)

_SEAT_FREE = Q(capacity__isnull=True) | Q(taken__lt=F("capacity"))


async def _lock(activity_id: int) -> Activity:
    """The activity, locked until the surrounding transaction ends (see the module docstring)."""
    return await Activity.filter(id=activity_id).select_for_update(no_key=True).get()


async def _fill_seats(activity_id: int, now: datetime) -> list[SignUp]:
    """Give free seats to the earliest waiting sign-ups; returns those promoted.

    Call it inside the transaction that holds :func:`_lock`."""
    waiting = SignUp.filter(activity_id=activity_id, status=SignUpStatus.WAITLISTED)
    promoted = []
    while True:
        first = await waiting.order_by("id").first()
        if first is None:
            break
        seat = Q(id=activity_id, status=ActivityStatus.SCHEDULED) & _SEAT_FREE
        if not await Activity.filter(seat).update(taken=F("taken") + 1):
            break
        # Conditional: a waiting member may check in on the spot (models.attendance), unlocked.
        if not await SignUp.filter(id=first.id, status=SignUpStatus.WAITLISTED).update(
            status=SignUpStatus.REGISTERED, registered_at=now
        ):
            await _free_seat(activity_id)
            continue
        first.status, first.registered_at = SignUpStatus.REGISTERED, now
        promoted.append(first)
    return promoted


async def _free_seat(activity_id: int) -> None:
    await Activity.filter(id=activity_id, taken__gt=0).update(taken=F("taken") - 1)


def _already(signup: SignUp) -> DomainError:
    if signup.status == SignUpStatus.WAITLISTED:
        return DomainError(N_("You are already on the waiting list for this activity."))
    return DomainError(N_("You have already signed up for this activity."))


async def sign_up(activity: Activity, member: Member, *, now: datetime | None = None) -> SignUp:
    """Sign ``member`` up: registered while seats are left, else waitlisted."""
    now = now or datetime.now(UTC)
    await require_access(activity, member)
    key = sign_up_key(activity.id, member.id)
    try:
        async with in_transaction():
            current = await _lock(activity.id)
            if current.status == ActivityStatus.CANCELLED:
                raise DomainError(N_("This activity has been cancelled."))
            if current.starts_at <= now:
                raise DomainError(N_("This activity has already started."))
            existing = await SignUp.get_or_none(active_key=key)
            if existing is not None:
                raise _already(existing)
            signup = await SignUp.create(activity_id=activity.id, member=member, active_key=key)
            await _fill_seats(activity.id, now)
            await signup.refresh_from_db()
            await audit.record(audit.Actor(member=member), "activity.sign_up", signup,
                               org_id=current.community_id, after={"status": str(signup.status)})
    except IntegrityError:  # a double tap that passed the check in another process
        raise DomainError(N_("You have already signed up for this activity.")) from None
    return signup


async def cancel_signup(
    signup: SignUp, member: Member, *, now: datetime | None = None,
    late_window: timedelta = LATE_CANCEL_WINDOW,
) -> SignUp | None:
    """The member withdraws; returns the sign-up promoted to the freed seat, for the caller to
    notify."""
    if signup.member_id != member.id:
        raise PermissionDenied(N_("Only the member who signed up can cancel."))
    now = now or datetime.now(UTC)
    async with in_transaction():
        activity = await _lock(signup.activity_id)
        if activity.starts_at <= now:
            raise DomainError(
                N_("This activity has already started: the sign-up can no longer be cancelled.")
            )
        await signup.refresh_from_db()
        was = signup.status
        late = was == SignUpStatus.REGISTERED and activity.starts_at - now <= late_window
        status = SignUpStatus.LATE_CANCELLED if late else SignUpStatus.CANCELLED
        if not await SignUp.filter(id=signup.id, status__in=list(HOLDING)).update(
            status=status, cancelled_at=now, active_key=None
        ):
            await signup.refresh_from_db()
            raise DomainError(N_("This sign-up is {status}: there is nothing to cancel."),
                              status=Label(SIGN_UP_STATUS_LABELS[signup.status]))
        signup.status, signup.cancelled_at, signup.active_key = status, now, None
        promoted = []
        if was == SignUpStatus.REGISTERED:
            await _free_seat(activity.id)
            promoted = await _fill_seats(activity.id, now)
        await audit.record(audit.Actor(member=member), "activity.cancel_sign_up", signup,
                           org_id=activity.community_id, before={"status": str(was)},
                           after={"status": str(status), "promoted": [p.id for p in promoted]})
    return promoted[0] if promoted else None


async def change_capacity(
    activity: Activity, capacity: int | None, actor: audit.Actor, *, scope: Scope | None = None,
    now: datetime | None = None,
) -> list[SignUp]:
    """Set the number of seats; more seats promote waiting sign-ups, which are returned."""
    await require_organiser(activity.team_id, activity.community_id, actor, scope)
    capacity = clean_capacity(capacity)
    now = now or datetime.now(UTC)
    async with in_transaction():
        current = await _lock(activity.id)
        if current.status == ActivityStatus.CANCELLED or current.starts_at <= now:
            raise DomainError(N_("Seats can only be changed before the activity starts."))
        if capacity is not None and capacity < current.taken:
            raise ValidationError(N_("{count} members already have a seat."), field="capacity",
                                  count=current.taken)
        await Activity.filter(id=activity.id).update(capacity=capacity)
        promoted = await _fill_seats(activity.id, now)
        await audit.record(actor, "activity.capacity", current, org_id=current.community_id,
                           before={"capacity": current.capacity},
                           after={"capacity": capacity, "promoted": [p.id for p in promoted]})
    await activity.refresh_from_db()
    return promoted


# --------------------------------------------------------------------------- queries


async def waitlist_position(signup: SignUp) -> int | None:
    """1 for the first in line; None unless the sign-up is waiting."""
    if signup.status != SignUpStatus.WAITLISTED:
        return None
    return await SignUp.filter(
        activity_id=signup.activity_id, status=SignUpStatus.WAITLISTED, id__lte=signup.id
    ).count()


async def waitlist(activity: Activity) -> list[SignUp]:
    """The waiting sign-ups in the order they will get seats, each with its member."""
    return await SignUp.filter(
        activity_id=activity.id, status=SignUpStatus.WAITLISTED
    ).select_related("member").order_by("id")
