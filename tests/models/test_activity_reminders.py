"""Reminders: due at each offset, taken once, sent at the new time when the activity moves."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from models.activities import cancel_activity, reschedule
from models.activity_reminders import ReminderSent, claim_reminder, due_reminders
from models.audit import Actor
from models.signups import cancel_signup, sign_up
from models.teams import update_team
from tests import factories

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
START = NOW + timedelta(days=3)
DAY, TWO_HOURS, MINUTE = timedelta(hours=24), timedelta(hours=2), timedelta(minutes=1)


async def build(org):
    """A team activity (reminders 24h and 2h before) with two seats: two registered, one waiting."""
    scope = await factories.scope_of(org.nanyuan)
    team = await factories.team(org.nanyuan, scope)
    activity = await factories.activity(scope, org.nanyuan, team=team, starts_at=START, capacity=2, now=NOW,
                                         open_to_community=True)
    members = [await factories.member(org.nanyuan_1, name) for name in ("甲", "乙", "丙")]
    signups = [await sign_up(activity, member, now=NOW) for member in members]
    return scope, team, activity, members, signups


@pytest.fixture
async def setting(org):
    return await build(org)


def due_pairs(reminders) -> list[tuple[int, timedelta]]:
    return [(r.signup.id, r.offset) for r in reminders]


async def test_each_offset_is_due_once_for_members_with_a_seat(setting):
    _, _, _, _, (first, second, _) = setting
    assert await due_reminders(START - DAY - MINUTE) == []
    due = await due_reminders(START - DAY + MINUTE)
    assert due_pairs(due) == [(first.id, DAY), (second.id, DAY)]
    assert all(r.signup.member.name and r.signup.activity.title for r in due)

    assert [await claim_reminder(r) for r in due] == [True, True]
    assert await due_reminders(START - DAY + 2 * MINUTE) == []
    assert due_pairs(await due_reminders(START - TWO_HOURS)) == [(first.id, TWO_HOURS), (second.id, TWO_HOURS)]
    assert await due_reminders(START) == []  # started: too late for anything


async def double_run(setting) -> None:
    when = START - DAY + MINUTE
    first_run, second_run = await due_reminders(when), await due_reminders(when)
    taken = await asyncio.gather(*(claim_reminder(r) for r in first_run + second_run))
    assert sorted(taken) == [False, False, True, True]
    assert await ReminderSent.all().count() == 2


async def test_a_double_run_sends_nothing_twice_sqlite(setting):
    await double_run(setting)


async def test_a_double_run_sends_nothing_twice_postgres(pg_db):
    await double_run(await build(await factories.org_tree()))


async def test_after_downtime_only_the_latest_reminder_goes(setting):
    _, _, _, _, (first, second, _) = setting
    due = await due_reminders(START - timedelta(hours=1))
    assert due_pairs(due) == [(first.id, TWO_HOURS), (second.id, TWO_HOURS)]


async def moved_activity(setting) -> None:
    scope, _, activity, _, (first, second, _) = setting
    for reminder in await due_reminders(START - DAY + MINUTE):
        await claim_reminder(reminder)
    later = START + DAY
    await reschedule(activity, Actor(admin=scope.user), starts_at=later, ends_at=later + TWO_HOURS,
                     place=activity.place, scope=scope, now=START - DAY + 2 * MINUTE)

    assert await due_reminders(START - TWO_HOURS + MINUTE) == []  # the old time passes quietly
    due = await due_reminders(later - DAY + MINUTE)
    assert due_pairs(due) == [(first.id, DAY), (second.id, DAY)]
    assert all(await asyncio.gather(*(claim_reminder(r) for r in due)))
    assert await ReminderSent.filter(signup_id=first.id).count() == 2

    found = await due_reminders(later - TWO_HOURS)
    await reschedule(activity, Actor(admin=scope.user), starts_at=later + DAY,
                     ends_at=later + DAY + TWO_HOURS, place=activity.place, scope=scope,
                     now=later - TWO_HOURS)
    assert [await claim_reminder(r) for r in found] == [False, False]  # moved after it was found


async def test_a_moved_activity_is_reminded_at_its_new_time_only_sqlite(setting):
    await moved_activity(setting)


async def test_a_moved_activity_is_reminded_at_its_new_time_only_postgres(pg_db):
    await moved_activity(await build(await factories.org_tree()))


async def test_no_reminder_for_a_time_before_the_member_got_a_seat(setting):
    _, _, _, members, (first, second, waiting) = setting
    promoted = await cancel_signup(second, members[1], now=START - timedelta(hours=10))
    assert promoted.id == waiting.id
    assert due_pairs(await due_reminders(START - timedelta(hours=9))) == [(first.id, DAY)]
    due = await due_reminders(START - TWO_HOURS)
    assert due_pairs(due) == [(first.id, TWO_HOURS), (waiting.id, TWO_HOURS)]


async def test_a_move_close_to_the_start_skips_reminders_already_past(setting):
    scope, _, activity, _, (first, second, _) = setting
    moved_at, soon = START - timedelta(days=2), START - timedelta(days=2) + timedelta(hours=3)
    await reschedule(activity, Actor(admin=scope.user), starts_at=soon, ends_at=soon + TWO_HOURS,
                     place=activity.place, scope=scope, now=moved_at)
    assert await due_reminders(moved_at + MINUTE) == []  # not "tomorrow" right after the notice
    due = await due_reminders(soon - TWO_HOURS)
    assert due_pairs(due) == [(first.id, TWO_HOURS), (second.id, TWO_HOURS)]


async def test_cancelled_activities_are_not_reminded(setting):
    scope, _, activity, _, _ = setting
    await cancel_activity(activity, Actor(admin=scope.user), "取消", scope=scope, now=NOW)
    assert await due_reminders(START - TWO_HOURS) == []


async def test_offsets_come_from_the_team_or_the_default(org, setting):
    scope, team, _, _, _ = setting
    await update_team(team, Actor(admin=scope.user), name=team.name, reminder_offsets="30m", scope=scope)
    assert await due_reminders(START - TWO_HOURS) == []
    assert {r.offset for r in await due_reminders(START - timedelta(minutes=30))} == {timedelta(minutes=30)}

    community = await factories.activity(scope, org.nanyuan, starts_at=START + DAY, now=NOW)
    signup = await sign_up(community, await factories.member(org.nanyuan_2, "居民"), now=NOW)
    assert due_pairs(await due_reminders(START)) == [(signup.id, DAY)]  # 24 hours before it
