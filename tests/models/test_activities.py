"""Activities: who may create them, validation, moving and cancelling (with the members to tell)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.activities import (
    ActivityStatus,
    cancel_activity,
    create_activity,
    reschedule,
    upcoming_for,
)
from models.admins import Role
from models.audit import Actor, AuditEntry
from models.errors import DomainError, NotFound, PermissionDenied, ValidationError
from models.signups import cancel_signup, sign_up
from tests import factories

NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
START = NOW + timedelta(days=3)


@pytest.fixture
async def nanyuan(org):
    return await factories.scope_of(org.nanyuan)


async def new(actor, community, *, scope=None, team=None, starts_at=START, hours=2, capacity=10):
    return await create_activity(actor, community, title="法律咨询", place="社区会议室", starts_at=starts_at,
                                 ends_at=starts_at + timedelta(hours=hours), capacity=capacity, team=team,
                                 scope=scope, now=NOW)


async def test_leaders_and_secretaries_create_activities(org, nanyuan):
    leader = await factories.member(org.nanyuan_1, "队长")
    team = await factories.team(org.nanyuan, nanyuan, leader=leader)
    by_leader = await new(Actor(member=leader), org.nanyuan, team=team)
    assert by_leader.team_id == team.id and not by_leader.open_to_community
    assert len(by_leader.checkin_code) == 6 and by_leader.checkin_code.isdigit()
    by_secretary = await new(Actor(admin=nanyuan.user), org.nanyuan, scope=nanyuan)
    assert by_secretary.open_to_community  # no team: open to the community
    assert by_secretary.status == ActivityStatus.SCHEDULED and by_secretary.version == 1

    with pytest.raises(PermissionDenied):
        await new(Actor(member=await factories.member(org.nanyuan_1)), org.nanyuan, team=team)
    with pytest.raises(PermissionDenied):  # a leader, but community activities are the secretaries'
        await new(Actor(member=leader), org.nanyuan)
    xinfeng = await factories.scope_of(org.xinfeng, "xinfeng")
    with pytest.raises(PermissionDenied):
        await new(Actor(admin=xinfeng.user), org.nanyuan, scope=xinfeng)
    with pytest.raises(ValidationError) as error:
        await new(Actor(admin=xinfeng.user), org.xinfeng, team=team, scope=xinfeng)
    assert error.value.field == "team"


@pytest.mark.parametrize(("values", "field"), [
    ({"starts_at": NOW - timedelta(minutes=1)}, "starts_at"),
    ({"hours": 0}, "ends_at"),
    ({"hours": 24 * 8}, "ends_at"),
    ({"capacity": 0}, "capacity"),
])
async def test_validation(org, nanyuan, values, field):
    with pytest.raises(ValidationError) as error:
        await new(Actor(admin=nanyuan.user), org.nanyuan, scope=nanyuan, **values)
    assert error.value.field == field


async def test_moving_bumps_the_version_and_names_who_to_tell(org, nanyuan):
    activity = await new(Actor(admin=nanyuan.user), org.nanyuan, scope=nanyuan, capacity=1)
    first, second, gone = [await factories.member(org.nanyuan_1, name) for name in ("甲", "乙", "丙")]
    await sign_up(activity, first, now=NOW)
    await sign_up(activity, second, now=NOW)
    await cancel_signup(await sign_up(activity, gone, now=NOW), gone, now=NOW)
    stale = await type(activity).get(id=activity.id)

    later = START + timedelta(days=1)
    told = await reschedule(activity, Actor(admin=nanyuan.user), starts_at=later,
                            ends_at=later + timedelta(hours=2), place="社区会议室", scope=nanyuan, now=NOW)
    assert [m.name for m in told] == ["甲", "乙"]
    assert activity.version == 2 and activity.starts_at == later and activity.changed_at == NOW
    assert await AuditEntry.filter(action="activity.reschedule", object_id=str(activity.id)).exists()

    assert await reschedule(activity, Actor(admin=nanyuan.user), starts_at=later, ends_at=activity.ends_at,
                            place="社区会议室", scope=nanyuan, now=NOW) == []  # nothing changed
    with pytest.raises(DomainError, match="meanwhile"):
        await reschedule(stale, Actor(admin=nanyuan.user), starts_at=START,
                         ends_at=START + timedelta(hours=1), place="二楼", scope=nanyuan, now=NOW)
    with pytest.raises(DomainError, match="started"):
        await reschedule(activity, Actor(admin=nanyuan.user), starts_at=later + timedelta(days=1),
                         ends_at=later + timedelta(days=1, hours=1), place="二楼", scope=nanyuan,
                         now=later + timedelta(minutes=5))
    with pytest.raises(PermissionDenied):
        await reschedule(activity, Actor(member=first), starts_at=later, ends_at=later + timedelta(hours=3),
                         place="二楼", now=NOW)


async def test_cancelling_names_who_to_tell_and_is_final(org, nanyuan):
    activity = await new(Actor(admin=nanyuan.user), org.nanyuan, scope=nanyuan)
    member = await factories.member(org.nanyuan_1)
    await sign_up(activity, member, now=NOW)
    with pytest.raises(ValidationError):
        await cancel_activity(activity, Actor(admin=nanyuan.user), "", scope=nanyuan, now=NOW)
    told = await cancel_activity(activity, Actor(admin=nanyuan.user), "暴雨预警", scope=nanyuan, now=NOW)
    assert [m.id for m in told] == [member.id]
    assert activity.status == ActivityStatus.CANCELLED and activity.cancel_reason == "暴雨预警"
    with pytest.raises(DomainError, match="cancelled"):
        await cancel_activity(activity, Actor(admin=nanyuan.user), "再取消", scope=nanyuan, now=NOW)
    with pytest.raises(DomainError, match="cancelled"):
        await reschedule(activity, Actor(admin=nanyuan.user), starts_at=START,
                         ends_at=START + timedelta(hours=1), place="二楼", scope=nanyuan, now=NOW)


async def test_upcoming_lists_what_a_member_may_join(org, nanyuan):
    leader = await factories.member(org.nanyuan_1, "队长")
    team = await factories.team(org.nanyuan, nanyuan, leader=leader)
    community = await new(Actor(admin=nanyuan.user), org.nanyuan, scope=nanyuan)
    team_only = await new(Actor(member=leader), org.nanyuan, team=team, starts_at=START + timedelta(hours=3))
    xinfeng = await factories.scope_of(org.xinfeng, "xinfeng")
    await new(Actor(admin=xinfeng.user), org.xinfeng, scope=xinfeng)

    resident = await factories.member(org.nanyuan_2, "居民")
    assert [a.id for a in await upcoming_for(resident, now=NOW)] == [community.id]
    assert [a.id for a in await upcoming_for(leader, now=NOW)] == [community.id, team_only.id]
    assert await upcoming_for(resident, now=START) == []


async def test_a_scope_sees_its_own_community_only(org, nanyuan):
    ours = await new(Actor(admin=nanyuan.user), org.nanyuan, scope=nanyuan)
    xinfeng = await factories.scope_of(org.xinfeng, "xinfeng")
    theirs = await new(Actor(admin=xinfeng.user), org.xinfeng, scope=xinfeng)
    await sign_up(theirs, await factories.member(org.xinfeng_1), now=NOW)
    await factories.team(org.xinfeng, xinfeng)

    assert [a.id for a in await nanyuan.activities()] == [ours.id]
    assert await nanyuan.signups().count() == 0 and await nanyuan.teams().count() == 0
    assert (await nanyuan.activity(ours.id)).id == ours.id
    with pytest.raises(NotFound):
        await nanyuan.activity(theirs.id)
    street = await factories.scope_of(org.street, "street", Role.STREET_ADMIN)
    assert await street.activities().count() == 2 and await street.signups().count() == 1
