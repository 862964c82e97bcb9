"""Volunteer teams: join requests decided by a leader or a secretary, reminder offsets, the group link."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.audit import Actor
from models.errors import DomainError, PermissionDenied, ValidationError
from models.teams import (
    MembershipStatus,
    TeamMembership,
    TeamRole,
    appoint_leader,
    approve_membership,
    clean_offsets,
    decline_membership,
    is_leader,
    leave_team,
    link_group,
    parse_offsets,
    request_to_join,
    team_for_chat,
    team_members,
    unlink_chat,
    unlink_group,
    update_team,
)
from tests import factories


@pytest.fixture
async def nanyuan(org):
    return await factories.scope_of(org.nanyuan)


@pytest.fixture
async def leader(org):
    return await factories.member(org.nanyuan_1, "队长", residence_community=org.nanyuan.id)


async def test_a_leader_approves_a_join_request(org, nanyuan, leader):
    team = await factories.team(org.nanyuan, nanyuan, leader=leader)
    member = await factories.member(org.nanyuan_2, "张三")
    request = await request_to_join(team, member)
    assert request.status == MembershipStatus.REQUESTED
    with pytest.raises(DomainError):
        await request_to_join(team, member)
    with pytest.raises(PermissionDenied):  # a plain member cannot approve, not even themself
        await approve_membership(request, Actor(member=member))
    await approve_membership(request, Actor(member=leader))
    assert request.status == MembershipStatus.ACTIVE and request.role == TeamRole.MEMBER
    assert [m.member.name for m in await team_members(team)] == ["队长", "张三"]
    with pytest.raises(DomainError):
        await approve_membership(request, Actor(member=leader))


async def test_a_secretary_in_scope_decides_too(org, nanyuan):
    team = await factories.team(org.nanyuan, nanyuan)
    first = await request_to_join(team, await factories.member(org.nanyuan_1, "甲"))
    declined = await factories.member(org.nanyuan_1, "乙")
    second = await request_to_join(team, declined)
    other_community = await factories.scope_of(org.xinfeng, "xinfeng")
    with pytest.raises(PermissionDenied):
        await approve_membership(first, Actor(admin=other_community.user), scope=other_community)
    await approve_membership(first, Actor(admin=nanyuan.user), scope=nanyuan)
    await decline_membership(second, Actor(admin=nanyuan.user), scope=nanyuan)
    assert second.status == MembershipStatus.DECLINED
    await request_to_join(team, declined)  # may ask again


async def test_members_of_another_community_cannot_join(org, nanyuan):
    team = await factories.team(org.nanyuan, nanyuan)
    with pytest.raises(PermissionDenied):
        await request_to_join(team, await factories.member(org.xinfeng_1))
    reported = await factories.in_service_member(org.xinfeng_1)
    await factories.confirmed_registration(reported, org.nanyuan, nanyuan)
    await request_to_join(team, reported)  # reported to the community: welcome


async def test_leaving_and_coming_back(org, nanyuan, leader):
    team = await factories.team(org.nanyuan, nanyuan, leader=leader)
    member = await factories.member(org.nanyuan_1)
    membership = await factories.team_member(team, member, nanyuan)
    with pytest.raises(PermissionDenied):
        await leave_team(membership, leader)
    await leave_team(membership, member)
    assert membership.status == MembershipStatus.LEFT and membership.left_at is not None
    await request_to_join(team, member)


async def test_appointing_a_leader_raises_an_existing_membership(org, nanyuan):
    team = await factories.team(org.nanyuan, nanyuan)
    member = await factories.member(org.nanyuan_1)
    await factories.team_member(team, member, nanyuan)
    assert not await is_leader(team.id, member)
    membership = await appoint_leader(team, member, nanyuan)
    assert membership.role == TeamRole.LEADER and await is_leader(team.id, member)
    assert len(await team_members(team)) == 1


def test_reminder_offsets():
    assert parse_offsets("24h,2h") == (timedelta(hours=24), timedelta(hours=2))
    assert clean_offsets(" 2h，1d 30m 2h") == "24h,2h,30m"
    assert parse_offsets("") == ()
    for wrong in ("2 hours", "1m", "15d", "1h,2h,3h,4h,5h,6h"):
        with pytest.raises(ValidationError) as error:
            parse_offsets(wrong)
        assert error.value.field == "reminder_offsets"


async def test_leaders_set_the_team_reminders(org, nanyuan, leader):
    team = await factories.team(org.nanyuan, nanyuan, leader=leader)
    assert team.offsets == (timedelta(hours=24), timedelta(hours=2))
    await update_team(team, Actor(member=leader), name=team.name, reminder_offsets="3d, 1h")
    assert team.reminder_offsets == "72h,1h"
    with pytest.raises(PermissionDenied):
        await update_team(team, Actor(member=await factories.member(org.nanyuan_1)), name="别的名字")


async def test_group_link(org, nanyuan, leader):
    team = await factories.team(org.nanyuan, nanyuan, leader=leader)
    other = await factories.team(org.nanyuan, nanyuan, "法律援助队", leader=leader)
    member = await factories.member(org.nanyuan_1)
    await factories.team_member(team, member, nanyuan)
    with pytest.raises(PermissionDenied):
        await link_group(team, -100123, member)
    await link_group(team, -100123, leader)
    assert (await team_for_chat(-100123)).id == team.id
    with pytest.raises(DomainError):
        await link_group(other, -100123, leader)

    await unlink_group(team, Actor(admin=nanyuan.user), scope=nanyuan)
    assert team.group_chat_id is None and await team_for_chat(-100123) is None

    await link_group(other, -100123, leader)
    assert [t.id for t in await unlink_chat(-100123)] == [other.id]
    assert await team_for_chat(-100123) is None
    assert await unlink_chat(-100123) == []


async def test_a_leaders_notice_goes_to_the_active_members_but_the_sender(org, nanyuan, leader):
    from models.audit import AuditEntry
    from models.teams import NOTICE_MAX, demote_leader, notice_recipients, record_team_notice

    team = await factories.team(org.nanyuan, nanyuan, leader=leader)
    active = await factories.team_member(team, await factories.member(org.nanyuan_1, "甲"), nanyuan)
    waiting = await request_to_join(team, await factories.member(org.nanyuan_1, "乙"))
    gone = await factories.team_member(team, await factories.member(org.nanyuan_1, "丙"), nanyuan)
    await leave_team(gone, await gone.member)
    assert await notice_recipients(team, leader) == [active.member_id]
    assert waiting.member_id not in await notice_recipients(team, leader)

    with pytest.raises(PermissionDenied):  # a plain member
        await record_team_notice(team, await active.member, "明天集合")
    with pytest.raises(ValidationError):
        await record_team_notice(team, leader, " \u3164 ")
    with pytest.raises(ValidationError):
        await record_team_notice(team, leader, "长" * (NOTICE_MAX + 1))
    assert await record_team_notice(team, leader, "  明天集合 ") == "明天集合"
    entry = await AuditEntry.get(action="team.notice")
    assert entry.actor_member_id == leader.id and entry.after == {"text": "明天集合"}

    await demote_leader(await TeamMembership.get(team_id=team.id, member_id=leader.id), nanyuan)
    with pytest.raises(PermissionDenied):  # stepped down
        await record_team_notice(team, leader, "明天集合")
    assert await AuditEntry.filter(action="team.notice").count() == 1
