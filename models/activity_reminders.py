"""Reminders before an activity, to each member with a seat.

A team sets how long before the start its members are reminded (``Team.reminder_offsets``,
activities without a team use the default). For each offset, a reminder is due once
``starts_at − offset`` has passed, while the activity has not started. Only the
latest due offset is sent: after downtime a member gets one reminder, not a burst.
An offset whose time passed before the member got their seat, or before the activity
was last moved, is skipped: the member has just been told.

The scheduler asks :func:`due_reminders`, then takes each with :func:`claim_reminder`
before queueing the message: a ``ReminderSent`` row, unique per sign-up, offset and
start time, so a double run (or two processes) sends nothing twice. The start time
is part of the key because a moved activity is reminded at its new time: the old
rows no longer match, and reminders are computed from the current start only.
Offsets are durations, so daylight-saving changes do not affect them.

A team with a linked Telegram group is also reminded there, once per offset and start
time (:func:`due_group_reminders`; the outbox's dedup key makes a double run harmless),
by the same rule: only the latest due offset, none that passed before the activity was
announced or last moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.activities import Activity, ActivityStatus, SignUp, SignUpStatus
from models.teams import DEFAULT_REMINDER_OFFSETS, MAX_REMINDER_OFFSET, parse_offsets


class ReminderSent(Model):
    """One reminder taken for sending: a sign-up, an offset and the start time it was for."""

    id = fields.BigIntField(primary_key=True)
    signup: fields.ForeignKeyRelation[SignUp] = fields.ForeignKeyField(
        "models.SignUp", related_name="reminders", on_delete=fields.CASCADE
    )
    offset_minutes = fields.IntField()
    starts_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reminder_sent"
        unique_together = (("signup", "offset_minutes", "starts_at"),)


@dataclass(frozen=True)
class Reminder:
    signup: SignUp  # with its activity and member
    offset: timedelta

    @property
    def offset_minutes(self) -> int:
        return int(self.offset.total_seconds()) // 60

    @property
    def dedup_key(self) -> str:
        """An outbox dedup key naming this reminder."""
        starts = int(self.signup.activity.starts_at.timestamp())
        return f"activity-reminder:{self.signup.id}:{self.offset_minutes}:{starts}"


def _due_offset(signup: SignUp, now: datetime) -> timedelta | None:
    activity = signup.activity
    offsets = activity.team.offsets if activity.team else parse_offsets(DEFAULT_REMINDER_OFFSETS)
    passed = [offset for offset in offsets if activity.starts_at - offset <= now]
    if not passed:
        return None
    latest = min(passed)
    # A reminder time that passed before the member got their seat, or before the activity
    # last moved, is skipped: the promotion or change notice has just told them.
    told_at = max(filter(None, (signup.registered_at, activity.changed_at)), default=None)
    if told_at is not None and activity.starts_at - latest < told_at:
        return None
    return latest


async def due_reminders(now: datetime) -> list[Reminder]:
    """Reminders whose time has passed and that nobody has taken yet, soonest activity first."""
    signups = await SignUp.filter(
        status=SignUpStatus.REGISTERED, activity__status=ActivityStatus.SCHEDULED,
        activity__starts_at__gt=now, activity__starts_at__lte=now + MAX_REMINDER_OFFSET,
    ).select_related("activity", "activity__team", "member").order_by("activity__starts_at", "id")
    sent = set(await ReminderSent.filter(signup_id__in=[s.id for s in signups]).values_list(
        "signup_id", "offset_minutes", "starts_at"
    ))
    due = []
    for signup in signups:
        offset = _due_offset(signup, now)
        if offset is None:
            continue
        reminder = Reminder(signup, offset)
        if (signup.id, reminder.offset_minutes, signup.activity.starts_at) not in sent:
            due.append(reminder)
    return due


async def claim_reminder(reminder: Reminder) -> bool:
    """Take the reminder for sending; True for exactly one caller, False as well when the sign-up
    was cancelled or the activity moved or cancelled since :func:`due_reminders` found it."""
    still_due = await SignUp.filter(
        id=reminder.signup.id, status=SignUpStatus.REGISTERED, activity__status=ActivityStatus.SCHEDULED,
        activity__starts_at=reminder.signup.activity.starts_at,
    ).exists()
    if not still_due:
        return False
    try:
        # A savepoint: a duplicate must not spoil a transaction the caller may be in.
        async with in_transaction():
            await ReminderSent.create(
                signup=reminder.signup, offset_minutes=reminder.offset_minutes,
                starts_at=reminder.signup.activity.starts_at,
            )
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class GroupReminder:
    activity: Activity  # with its team, which has a linked group
    offset: timedelta

    @property
    def dedup_key(self) -> str:
        minutes = int(self.offset.total_seconds()) // 60
        return f"{group_reminder_prefix(self.activity.id)}{minutes}:{int(self.activity.starts_at.timestamp())}"


def group_reminder_prefix(activity_id: int) -> str:
    return f"activity-group-reminder:{activity_id}:"


async def due_group_reminders(now: datetime) -> list[GroupReminder]:
    """The latest due reminder of each coming activity whose team has a linked group."""
    activities = await Activity.filter(
        status=ActivityStatus.SCHEDULED, team__group_chat_id__isnull=False,
        starts_at__gt=now, starts_at__lte=now + MAX_REMINDER_OFFSET,
    ).select_related("team").order_by("starts_at", "id")
    due = []
    for activity in activities:
        passed = [offset for offset in activity.team.offsets if activity.starts_at - offset <= now]
        if not passed:
            continue
        latest = min(passed)
        # Announced (or moved) after this reminder's time: the announcement has just said it.
        told_at = max(filter(None, (activity.created_at, activity.changed_at)))
        if activity.starts_at - latest < told_at:
            continue
        due.append(GroupReminder(activity, latest))
    return due
