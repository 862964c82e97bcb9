"""Signing up: seats then the waiting list in tap order, promotion, late cancels, and a rush
of 30 members for 10 seats on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from models.activities import Activity, SignUp, SignUpStatus, cancel_activity
from models.audit import Actor
from models.errors import DomainError, PermissionDenied, ValidationError
from models.signups import cancel_signup, change_capacity, sign_up, waitlist, waitlist_position
from tests import factories

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
START = NOW + timedelta(days=3)
REGISTERED, WAITLISTED = SignUpStatus.REGISTERED, SignUpStatus.WAITLISTED


async def residents(org, count: int) -> list:
    return [await factories.member(org.nanyuan_1, f"党员{i}") for i in range(count)]


async def open_activity(org, capacity: int | None = 2, **values) -> Activity:
    scope = await factories.scope_of(org.nanyuan)
    return await factories.activity(scope, org.nanyuan, starts_at=START, capacity=capacity, now=NOW, **values)


async def test_seats_first_then_the_waiting_list_in_tap_order(org):
    activity = await open_activity(org, capacity=2)
    signups = [await sign_up(activity, member, now=NOW) for member in await residents(org, 4)]
    assert [s.status for s in signups] == [REGISTERED, REGISTERED, WAITLISTED, WAITLISTED]
    assert [await waitlist_position(s) for s in signups] == [None, None, 1, 2]
    assert signups[0].registered_at == NOW and signups[2].registered_at is None
    assert (await Activity.get(id=activity.id)).taken == 2


async def test_a_cancel_promotes_the_first_in_line(org):
    activity = await open_activity(org, capacity=2)
    members = await residents(org, 5)
    signups = [await sign_up(activity, member, now=NOW) for member in members]

    promoted = await cancel_signup(signups[1], members[1], now=NOW)
    assert promoted.id == signups[2].id and promoted.status == REGISTERED
    assert [s.id for s in await waitlist(activity)] == [signups[3].id, signups[4].id]
    assert signups[1].status == SignUpStatus.CANCELLED

    assert await cancel_signup(signups[3], members[3], now=NOW) is None  # a waiting one leaves: no seat freed
    assert await waitlist_position(await SignUp.get(id=signups[4].id)) == 1
    assert (await Activity.get(id=activity.id)).taken == 2


async def test_signing_up_again_after_cancelling_joins_the_end_of_the_line(org):
    activity = await open_activity(org, capacity=1)
    first, second, third = await residents(org, 3)
    mine = await sign_up(activity, first, now=NOW)
    await sign_up(activity, second, now=NOW)
    assert (await cancel_signup(mine, first, now=NOW)).member_id == second.id
    await sign_up(activity, third, now=NOW)
    again = await sign_up(activity, first, now=NOW)
    assert again.id != mine.id and await waitlist_position(again) == 2


async def test_late_cancel_is_allowed_but_recorded(org):
    activity = await open_activity(org, capacity=1)
    first, second, third = await residents(org, 3)
    seat = await sign_up(activity, first, now=NOW)
    waiting = await sign_up(activity, second, now=NOW)
    await sign_up(activity, third, now=NOW)

    promoted = await cancel_signup(seat, first, now=START - timedelta(minutes=90))
    assert seat.status == SignUpStatus.LATE_CANCELLED and promoted.id == waiting.id
    await cancel_signup(promoted, second, now=START - timedelta(hours=3), late_window=timedelta(hours=4))
    assert (await SignUp.get(id=waiting.id)).status == SignUpStatus.LATE_CANCELLED

    last = await SignUp.get(member_id=third.id)
    with pytest.raises(DomainError):
        await cancel_signup(last, third, now=START)
    with pytest.raises(DomainError):
        await cancel_signup(seat, first, now=NOW)  # already cancelled


async def test_a_waiting_member_leaving_late_is_a_plain_cancel(org):
    activity = await open_activity(org, capacity=1)
    first, second = await residents(org, 2)
    await sign_up(activity, first, now=NOW)
    waiting = await sign_up(activity, second, now=NOW)
    await cancel_signup(waiting, second, now=START - timedelta(minutes=10))
    assert waiting.status == SignUpStatus.CANCELLED


async def test_only_the_member_cancels_their_sign_up(org):
    activity = await open_activity(org)
    first, second = await residents(org, 2)
    signup = await sign_up(activity, first, now=NOW)
    with pytest.raises(PermissionDenied):
        await cancel_signup(signup, second, now=NOW)


async def test_sign_up_refusals(org):
    activity = await open_activity(org, capacity=1)
    first, second = await residents(org, 2)
    await sign_up(activity, first, now=NOW)
    await sign_up(activity, second, now=NOW)

    with pytest.raises(DomainError, match="already signed up"):
        await sign_up(activity, first, now=NOW)
    with pytest.raises(DomainError, match="waiting list"):
        await sign_up(activity, second, now=NOW)
    latecomer = await factories.member(org.nanyuan_2, "迟到")
    with pytest.raises(DomainError, match="started"):
        await sign_up(activity, latecomer, now=START)
    with pytest.raises(PermissionDenied):
        await sign_up(activity, await factories.member(org.xinfeng_1, "外社区"), now=NOW)

    scope = await factories.scope_of(org.nanyuan, "other")
    await cancel_activity(activity, Actor(admin=scope.user), "下雨", scope=scope, now=NOW)
    with pytest.raises(DomainError, match="cancelled"):
        await sign_up(activity, latecomer, now=NOW)
    assert await SignUp.filter(activity_id=activity.id).count() == 2


async def test_team_activities_are_for_the_team(org):
    scope = await factories.scope_of(org.nanyuan)
    team = await factories.team(org.nanyuan, scope)
    activity = await factories.activity(scope, org.nanyuan, team=team, starts_at=START, now=NOW)
    neighbour = await factories.member(org.nanyuan_1, "邻居")
    with pytest.raises(PermissionDenied):
        await sign_up(activity, neighbour, now=NOW)
    from_elsewhere = await factories.member(org.xinfeng_1, "外社区队员")
    await factories.team_member(team, neighbour, scope)
    await sign_up(activity, neighbour, now=NOW)

    open_one = await factories.activity(scope, org.nanyuan, team=team, starts_at=START, now=NOW,
                                        open_to_community=True)
    await sign_up(open_one, await factories.member(org.nanyuan_2, "居民"), now=NOW)
    with pytest.raises(PermissionDenied):
        await sign_up(open_one, from_elsewhere, now=NOW)


async def test_more_seats_promote_the_waiting(org):
    activity = await open_activity(org, capacity=1)
    signups = [await sign_up(activity, member, now=NOW) for member in await residents(org, 4)]
    scope = await factories.scope_of(org.nanyuan, "sec2")
    promoted = await change_capacity(activity, 3, Actor(admin=scope.user), scope=scope, now=NOW)
    assert [s.id for s in promoted] == [signups[1].id, signups[2].id]
    with pytest.raises(ValidationError):
        await change_capacity(activity, 2, Actor(admin=scope.user), scope=scope, now=NOW)
    unlimited = await change_capacity(activity, None, Actor(admin=scope.user), scope=scope, now=NOW)
    assert [s.id for s in unlimited] == [signups[3].id]
    assert activity.capacity is None and activity.taken == 4


async def thirty_tap_for_ten_seats(org) -> None:
    activity = await open_activity(org, capacity=10)
    members = await residents(org, 30)
    copies = [await Activity.get(id=activity.id) for _ in members]  # each taps on their own view

    results = await asyncio.gather(*(
        sign_up(copy, member, now=NOW) for copy, member in zip(copies, members)
    ))

    stored = await SignUp.filter(activity_id=activity.id).order_by("id")
    assert [s.status for s in stored] == [REGISTERED] * 10 + [WAITLISTED] * 20  # seats went to the first taps
    assert {s.id: s.status for s in results} == {s.id: s.status for s in stored}  # each was told the truth
    assert [await waitlist_position(s) for s in stored[10:]] == list(range(1, 21))
    assert (await Activity.get(id=activity.id)).taken == 10


async def test_thirty_members_tap_for_ten_seats_sqlite(org):
    await thirty_tap_for_ten_seats(org)


async def test_thirty_members_tap_for_ten_seats_postgres(pg_db):
    await thirty_tap_for_ten_seats(await factories.org_tree())
