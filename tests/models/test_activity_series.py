"""Recurring activities: local wall-clock times across daylight saving, idempotent generation."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.activities import Activity, cancel_activity, reschedule
from models.activity_series import (
    Frequency,
    create_series,
    generate_all_occurrences,
    generate_occurrences,
    stop_series,
)
from models.audit import Actor
from models.errors import DomainError, PermissionDenied, ValidationError
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")  # summer time from 2026-03-29
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 16, tzinfo=UTC)  # a Monday


@pytest.fixture
async def nanyuan(org):
    return await factories.scope_of(org.nanyuan)


async def thursday_clinic(org, scope, **values):
    defaults = {"title": "周四义诊", "place": "卫生服务站", "frequency": Frequency.WEEKLY, "weekday": 3,
                "start_time": time(9, 0), "duration": timedelta(hours=3), "starts_on": date(2026, 3, 1),
                "capacity": 8}
    return await create_series(Actor(admin=scope.user), org.nanyuan, scope=scope, **{**defaults, **values})


def utc_hours(activities) -> list[tuple[date, int]]:
    return [(a.starts_at.date(), a.starts_at.hour) for a in activities]


async def test_weekly_at_local_time_across_summer_time(org, nanyuan):
    series = await thursday_clinic(org, nanyuan)
    created = await generate_occurrences(series, datetime(2026, 4, 10, tzinfo=UTC), now=NOW, zone=BERLIN)
    # 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    assert utc_hours(created) == [(date(2026, 3, 19), 8), (date(2026, 3, 26), 8), (date(2026, 4, 2), 7),
                                  (date(2026, 4, 9), 7)]
    assert all(a.ends_at - a.starts_at == timedelta(hours=3) for a in created)
    assert {(a.title, a.capacity, a.community_id, a.open_to_community) for a in created} == {
        ("周四义诊", 8, org.nanyuan.id, True)}


async def test_weekly_in_shanghai(org, nanyuan):
    series = await thursday_clinic(org, nanyuan)
    created = await generate_occurrences(series, datetime(2026, 4, 10, tzinfo=UTC), now=NOW, zone=SHANGHAI)
    assert utc_hours(created) == [(date(2026, 3, 19), 1), (date(2026, 3, 26), 1), (date(2026, 4, 2), 1),
                                  (date(2026, 4, 9), 1)]


async def test_monthly_uses_the_last_day_of_short_months(org, nanyuan):
    series = await thursday_clinic(org, nanyuan, frequency=Frequency.MONTHLY, weekday=None, day_of_month=31,
                                   start_time=time(19, 30))
    created = await generate_occurrences(series, datetime(2026, 7, 1, tzinfo=UTC), now=NOW, zone=SHANGHAI)
    assert [a.series_date for a in created] == [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31),
                                                date(2026, 6, 30)]
    assert created[0].starts_at == datetime(2026, 3, 31, 11, 30, tzinfo=UTC)


async def generating_again(org) -> None:
    nanyuan = await factories.scope_of(org.nanyuan)
    series = await thursday_clinic(org, nanyuan)
    first = await generate_occurrences(series, datetime(2026, 3, 27, tzinfo=UTC), now=NOW, zone=SHANGHAI)
    assert len(first) == 2
    assert await generate_occurrences(series, datetime(2026, 3, 27, tzinfo=UTC), now=NOW, zone=SHANGHAI) == []

    moved, dropped = first
    await reschedule(moved, Actor(admin=nanyuan.user), starts_at=moved.starts_at + timedelta(days=1),
                     ends_at=moved.ends_at + timedelta(days=1), place="活动室", scope=nanyuan, now=NOW)
    await cancel_activity(dropped, Actor(admin=nanyuan.user), "停诊", scope=nanyuan, now=NOW)
    runs = await asyncio.gather(*(
        generate_occurrences(series, datetime(2026, 4, 3, tzinfo=UTC), now=NOW, zone=SHANGHAI)
        for _ in range(3)
    ))
    assert sorted(a.series_date for run in runs for a in run) == [date(2026, 4, 2)]
    assert await Activity.filter(series_id=series.id).count() == 3


async def test_generating_again_adds_only_what_is_missing_sqlite(org):
    await generating_again(org)


async def test_generating_again_adds_only_what_is_missing_postgres(pg_db):
    await generating_again(await factories.org_tree())


async def test_no_occurrences_in_the_past_or_after_the_end(org, nanyuan):
    series = await thursday_clinic(org, nanyuan, ends_on=date(2026, 3, 26))
    on_thursday = datetime(2026, 3, 19, 2, tzinfo=UTC)  # 10:00 in Shanghai: that day's clinic has begun
    created = await generate_occurrences(series, datetime(2026, 5, 1, tzinfo=UTC), now=on_thursday,
                                         zone=SHANGHAI)
    assert [a.series_date for a in created] == [date(2026, 3, 26)]


async def test_stopped_series_generate_nothing(org, nanyuan):
    series = await thursday_clinic(org, nanyuan)
    await stop_series(series, Actor(admin=nanyuan.user), scope=nanyuan)
    with pytest.raises(DomainError):
        await stop_series(series, Actor(admin=nanyuan.user), scope=nanyuan)
    assert await generate_all_occurrences(now=NOW, zone=SHANGHAI) == []


async def test_generate_all_keeps_every_active_series_ahead(org, nanyuan):
    await thursday_clinic(org, nanyuan)
    await thursday_clinic(org, nanyuan, weekday=5, title="周六巡逻")
    created = await generate_all_occurrences(now=NOW, horizon=timedelta(weeks=2), zone=SHANGHAI)
    assert len(created) == 4


async def test_series_rules(org, nanyuan):
    with pytest.raises(ValidationError) as error:
        await thursday_clinic(org, nanyuan, weekday=None)
    assert error.value.field == "weekday"
    with pytest.raises(ValidationError) as error:
        await thursday_clinic(org, nanyuan, frequency=Frequency.MONTHLY, day_of_month=0)
    assert error.value.field == "day_of_month"
    with pytest.raises(ValidationError) as error:
        await thursday_clinic(org, nanyuan, ends_on=date(2026, 2, 1))
    assert error.value.field == "ends_on"
    with pytest.raises(PermissionDenied):
        await create_series(Actor(member=await factories.member(org.nanyuan_1)), org.nanyuan, title="巡逻",
                            place="小区", frequency=Frequency.WEEKLY, weekday=0, start_time=time(20),
                            duration=timedelta(hours=1), starts_on=date(2026, 3, 1))
