"""Attendance: the check-in window and code, organisers' records, one card per attended activity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.activities import SignUpStatus, cancel_activity
from models.attendance import check_in, mark_attendance
from models.audit import Actor
from models.errors import DomainError, PermissionDenied, ValidationError
from models.points import CardSource, PointCard, award_card, card_total
from models.signups import sign_up
from tests import factories

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
START = NOW + timedelta(days=3)
END = START + timedelta(hours=2)


@pytest.fixture
async def setting(org):
    scope = await factories.scope_of(org.nanyuan)
    leader = await factories.member(org.nanyuan_1, "队长")
    team = await factories.team(org.nanyuan, scope, leader=leader)
    activity = await factories.activity(scope, org.nanyuan, team=team, starts_at=START, capacity=1, now=NOW,
                                        open_to_community=True)
    member = await factories.member(org.nanyuan_1, "张三")
    return scope, leader, activity, member, await sign_up(activity, member, now=NOW)


async def test_check_in_with_the_code_within_the_window(setting):
    _, _, activity, member, signup = setting
    with pytest.raises(DomainError, match="open from"):
        await check_in(activity, member, activity.checkin_code, now=START - timedelta(minutes=31))
    with pytest.raises(DomainError, match="open from"):
        await check_in(activity, member, activity.checkin_code, now=END + timedelta(hours=2, seconds=1))
    wrong = "000000" if activity.checkin_code != "000000" else "111111"
    with pytest.raises(ValidationError) as error:
        await check_in(activity, member, wrong, now=START)
    assert error.value.field == "code"

    code = f" {activity.checkin_code} "
    checked = await check_in(activity, member, code, now=START - timedelta(minutes=30))
    assert checked.id == signup.id and checked.status == SignUpStatus.ATTENDED
    assert await card_total(member, 2026) == 1
    with pytest.raises(DomainError, match="already checked in"):
        await check_in(activity, member, activity.checkin_code, now=END)
    assert await card_total(member, 2026) == 1


async def test_check_in_needs_a_sign_up_and_a_held_activity(org, setting):
    scope, _, activity, _, _ = setting
    stranger = await factories.member(org.nanyuan_2, "路人")
    with pytest.raises(DomainError, match="not signed up"):
        await check_in(activity, stranger, activity.checkin_code, now=START)
    waiting = await factories.member(org.nanyuan_2, "候补")
    await sign_up(activity, waiting, now=NOW)  # the only seat is taken: waitlisted, but came anyway
    came = await check_in(activity, waiting, activity.checkin_code, now=START)
    assert came.status == SignUpStatus.ATTENDED

    other = await factories.activity(scope, org.nanyuan, starts_at=START, now=NOW)
    await sign_up(other, stranger, now=NOW)
    await cancel_activity(other, Actor(admin=scope.user), "取消", scope=scope, now=NOW)
    with pytest.raises(DomainError, match="cancelled"):
        await check_in(other, stranger, other.checkin_code, now=START)


async def test_organisers_record_attendance(setting):
    scope, leader, _, member, signup = setting
    with pytest.raises(PermissionDenied):
        await mark_attendance(signup, SignUpStatus.ATTENDED, Actor(member=member), now=START)
    with pytest.raises(DomainError, match="30 minutes"):
        await mark_attendance(signup, SignUpStatus.EXCUSED, Actor(member=leader), now=NOW)
    with pytest.raises(ValidationError):
        await mark_attendance(signup, SignUpStatus.CANCELLED, Actor(member=leader), now=START)

    await mark_attendance(signup, SignUpStatus.EXCUSED, Actor(member=leader), now=START)
    await mark_attendance(signup, "no_show", Actor(admin=scope.user), scope=scope, now=END)
    assert signup.status == SignUpStatus.NO_SHOW and await card_total(member, 2026) == 0
    await mark_attendance(signup, SignUpStatus.ATTENDED, Actor(member=leader), now=END + timedelta(days=1))
    assert await card_total(member, 2026) == 1
    with pytest.raises(DomainError):  # attended is final: its card is in the ledger
        await mark_attendance(signup, SignUpStatus.NO_SHOW, Actor(member=leader), now=END)


async def test_one_card_per_activity_and_member(setting):
    _, leader, activity, member, signup = setting
    await mark_attendance(signup, SignUpStatus.ATTENDED, Actor(member=leader), now=START)
    assert await award_card(member, CardSource.ACTIVITY, activity.id, Actor(member=leader)) is None
    cards = await PointCard.filter(member_id=member.id)
    assert [(c.source, c.source_id, c.amount) for c in cards] == [(CardSource.ACTIVITY, activity.id, 1)]
