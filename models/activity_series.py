"""Recurring activities: a series (every Thursday at 09:00, the 15th of each month …)
and the concrete occurrences generated from it a few weeks ahead.

A series keeps its time as local wall-clock time, so "09:00" stays 09:00 across a
daylight-saving change; each occurrence gets the UTC instant of that local time on
its day. Occurrences are ordinary activities: they can be moved or cancelled one by
one. Each remembers the local day it was planned for (``Activity.series_date``,
unique per series), so generating again, or twice at once, adds only the days
still missing, and never brings back an occurrence that was moved or cancelled.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from locales import N_
from models import audit, clock
from models.activities import (
    DESCRIPTION_MAX,
    LONGEST,
    PLACE_MAX,
    TITLE_MAX,
    Activity,
    check_team,
    clean_capacity,
    clean_description,
    new_checkin_code,
)
from models.errors import DomainError, ValidationError
from models.org import OrgUnit
from models.teams import Team, require_organiser
from models.text import clean_text

if TYPE_CHECKING:
    from models.scope import Scope

#: How many weeks ahead the scheduler keeps a series' occurrences generated, unless the
#: series says otherwise (``ActivitySeries.weeks_ahead``).
DEFAULT_WEEKS_AHEAD = 4
MAX_WEEKS_AHEAD = 12
HORIZON = timedelta(weeks=DEFAULT_WEEKS_AHEAD)


class Frequency(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


FREQUENCY_LABELS = {
    Frequency.WEEKLY: N_("Every week"),
    Frequency.MONTHLY: N_("Every month"),
}


# Days of the week as ``date.weekday()`` numbers them (0 is Monday).
WEEKDAY_LABELS = {
    0: N_("Monday"), 1: N_("Tuesday"), 2: N_("Wednesday"), 3: N_("Thursday"),
    4: N_("Friday"), 5: N_("Saturday"), 6: N_("Sunday"),
}


class ActivitySeries(Model):
    """A recurring activity, every week on a weekday or every month on a day, at a local time."""

    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="activity_series", on_delete=fields.RESTRICT
    )
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="activity_series", null=True, on_delete=fields.SET_NULL
    )
    title = fields.CharField(max_length=TITLE_MAX)
    place = fields.CharField(max_length=PLACE_MAX)
    description = fields.CharField(max_length=DESCRIPTION_MAX, default="")
    frequency = fields.CharEnumField(Frequency, max_length=16)
    weekday = fields.SmallIntField(null=True)  # weekly: 0 Monday … 6 Sunday
    day_of_month = fields.SmallIntField(null=True)  # monthly: 1–31, a shorter month uses its last day
    # The local wall-clock start as minutes after midnight (Tortoise's TimeField cannot bind on SQLite).
    start_minute = fields.SmallIntField()
    duration_minutes = fields.SmallIntField()
    capacity = fields.SmallIntField(null=True)
    open_to_community = fields.BooleanField(default=False)
    starts_on = fields.DateField()
    ends_on = fields.DateField(null=True)
    weeks_ahead = fields.SmallIntField(default=DEFAULT_WEEKS_AHEAD, db_default=DEFAULT_WEEKS_AHEAD)
    active = fields.BooleanField(default=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "activity_series"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title

    @property
    def start_time(self) -> time:
        return time(self.start_minute // 60, self.start_minute % 60)

    @property
    def horizon(self) -> timedelta:
        return timedelta(weeks=self.weeks_ahead)


async def create_series(
    actor: audit.Actor, community: OrgUnit, *, title: str, place: str, frequency: Frequency,
    start_time: time, duration: timedelta, starts_on: date, weekday: int | None = None,
    day_of_month: int | None = None, ends_on: date | None = None, capacity: int | None = None,
    team: Team | None = None, open_to_community: bool = False, description: str = "",
    weeks_ahead: int = DEFAULT_WEEKS_AHEAD, scope: Scope | None = None,
) -> ActivitySeries:
    check_team(community, team)
    await require_organiser(team.id if team else None, community.id, actor, scope)
    frequency = Frequency(frequency)
    if frequency == Frequency.WEEKLY and weekday not in range(7):
        raise ValidationError(N_("Choose a day of the week."), field="weekday")
    if frequency == Frequency.MONTHLY and day_of_month not in range(1, 32):
        raise ValidationError(N_("Choose a day of the month from 1 to 31."), field="day_of_month")
    if not timedelta(0) < duration <= LONGEST:
        raise ValidationError(N_("The end must be after the start, at most 7 days later."),
                              field="duration")
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError(N_("The last day cannot be before the first."), field="ends_on")
    if not isinstance(weeks_ahead, int) or not 1 <= weeks_ahead <= MAX_WEEKS_AHEAD:
        raise ValidationError(N_("Plan from 1 to {count} weeks ahead."), field="weeks_ahead",
                              count=MAX_WEEKS_AHEAD)
    series = await ActivitySeries.create(
        community=community, team=team, title=clean_text(title, TITLE_MAX, "title"),
        place=clean_text(place, PLACE_MAX, "place"), description=clean_description(description),
        frequency=frequency, weekday=weekday if frequency == Frequency.WEEKLY else None,
        day_of_month=day_of_month if frequency == Frequency.MONTHLY else None,
        start_minute=start_time.hour * 60 + start_time.minute,
        duration_minutes=int(duration.total_seconds()) // 60, capacity=clean_capacity(capacity),
        open_to_community=open_to_community or team is None, starts_on=starts_on, ends_on=ends_on,
        weeks_ahead=weeks_ahead,
    )
    await audit.record(actor, "activity_series.create", series, org_id=community.id, after={
        "title": series.title, "frequency": str(frequency), "weekday": series.weekday,
        "day_of_month": series.day_of_month, "start_time": str(series.start_time),
    })
    return series


async def stop_series(
    series: ActivitySeries, actor: audit.Actor, *, scope: Scope | None = None,
) -> ActivitySeries:
    """Generate no more occurrences; those already generated stay (cancel them one by one)."""
    await require_organiser(series.team_id, series.community_id, actor, scope)
    if not await ActivitySeries.filter(id=series.id, active=True).update(active=False):
        raise DomainError(N_("This series has already been stopped."))
    series.active = False
    await audit.record(actor, "activity_series.stop", series, org_id=series.community_id,
                       before={"active": True}, after={"active": False})
    return series


# --------------------------------------------------------------------------- occurrences


def occurrence_dates(series: ActivitySeries, first: date, last: date) -> Iterator[date]:
    """The series' local days from ``first`` to ``last``, both included."""
    if series.frequency == Frequency.WEEKLY:
        day = first + timedelta(days=(series.weekday - first.weekday()) % 7)
        while day <= last:
            yield day
            day += timedelta(weeks=1)
        return
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        day = date(year, month, min(series.day_of_month, calendar.monthrange(year, month)[1]))
        if first <= day <= last:
            yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def occurrence_start(series: ActivitySeries, day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant of the series' local start time on ``day``."""
    return datetime.combine(day, series.start_time, tzinfo=zone).astimezone(UTC)


async def generate_occurrences(
    series: ActivitySeries, until: datetime, *, now: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> list[Activity]:
    """Create the series' missing occurrences starting after ``now`` and by ``until``; returns
    the new ones.

    Idempotent: a day that already has its occurrence (moved, cancelled or not) is skipped.
    """
    if not series.active:
        return []
    now, zone = now or datetime.now(UTC), zone or clock.zone()
    first = max(series.starts_on, now.astimezone(zone).date())
    last = until.astimezone(zone).date()
    if series.ends_on is not None:
        last = min(last, series.ends_on)
    planned = set(await Activity.filter(series_id=series.id).values_list("series_date", flat=True))
    created = []
    for day in occurrence_dates(series, first, last):
        starts_at = occurrence_start(series, day, zone)
        if day in planned or not now < starts_at <= until:
            continue
        try:
            # A savepoint: a duplicate must not spoil a transaction the caller may be in.
            async with in_transaction():
                activity = await Activity.create(
                    community_id=series.community_id, team_id=series.team_id, series=series,
                    series_date=day,
                    title=series.title, place=series.place, description=series.description,
                    starts_at=starts_at, ends_at=starts_at + timedelta(minutes=series.duration_minutes),
                    capacity=series.capacity, open_to_community=series.open_to_community,
                    checkin_code=new_checkin_code(),
                )
        except IntegrityError:  # generated meanwhile by another run
            continue
        created.append(activity)
    return created


async def generate_all_occurrences(
    *, now: datetime | None = None, horizon: timedelta | None = None, zone: ZoneInfo | None = None,
) -> list[Activity]:
    """For the scheduler: every active series generated ``horizon`` ahead (by default, as many
    weeks as each series says)."""
    now = now or datetime.now(UTC)
    created = []
    for series in await ActivitySeries.filter(active=True):
        until = now + (horizon if horizon is not None else series.horizon)
        created += await generate_occurrences(series, until, now=now, zone=zone)
    return created
