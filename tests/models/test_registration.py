"""Reporting to the home community: by the member only, decided by the community, counted."""

from __future__ import annotations

import pytest

from models.admins import Role
from models.audit import Actor, AuditEntry
from models.errors import DomainError, PermissionDenied, ValidationError
from models.registration import (
    RegistrationStatus,
    StatRow,
    StatsDimension,
    confirm_registration,
    current_registration,
    decline_registration,
    member_communities,
    register,
    registration_stats,
    withdraw_registration,
)
from tests import factories


async def test_member_reports_and_the_community_confirms(org):
    member = await factories.in_service_member(org.xinfeng_1)
    scope = await factories.scope_of(org.nanyuan)

    registration = await register(Actor(member=member), org.nanyuan, skills="会修电器",
                                  service_kinds=["legal", "health", "legal"])
    assert registration.status == RegistrationStatus.PENDING
    assert registration.service_kinds == ["legal", "health"]
    assert org.nanyuan.id not in await member_communities(member)

    await confirm_registration(registration, scope)
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.reviewed_by_id == scope.user.id and registration.reviewed_at is not None
    assert org.nanyuan.id in await member_communities(member)
    assert await AuditEntry.filter(action="registration.confirm", object_id=str(registration.id)).exists()
    with pytest.raises(DomainError):
        await confirm_registration(registration, scope)


async def test_nobody_registers_on_a_members_behalf(org):
    member = await factories.in_service_member(org.xinfeng_1)
    scope = await factories.scope_of(org.nanyuan)
    with pytest.raises(PermissionDenied):
        await register(Actor(admin=scope.user), org.nanyuan)
    with pytest.raises(PermissionDenied):
        await register(Actor.system("import"), org.nanyuan)
    assert await current_registration(member) is None


async def test_refusals_when_reporting(org):
    retired = await factories.member(org.nanyuan_1, member_type="retired")
    with pytest.raises(DomainError):
        await register(Actor(member=retired), org.nanyuan)
    member = await factories.in_service_member(org.xinfeng_1)
    with pytest.raises(ValidationError) as error:
        await register(Actor(member=member), org.nanyuan_1)  # a branch, not a community
    assert error.value.field == "community"
    with pytest.raises(ValidationError) as error:
        await register(Actor(member=member), org.nanyuan, service_kinds=["karaoke"])
    assert error.value.field == "service_kinds"
    await register(Actor(member=member), org.nanyuan)
    with pytest.raises(DomainError):  # one pending or confirmed registration at a time
        await register(Actor(member=member), org.xinfeng)


async def test_only_a_secretary_of_that_community_decides(org):
    member = await factories.in_service_member(org.xinfeng_1)
    registration = await register(Actor(member=member), org.nanyuan)
    for unit, name, role in ((org.xinfeng, "xinfeng", Role.COMMUNITY_SECRETARY),
                             (org.nanyuan_1, "branch", Role.BRANCH_SECRETARY),
                             (org.nanyuan, "staff", Role.STAFF)):
        with pytest.raises(PermissionDenied):
            await confirm_registration(registration, await factories.scope_of(unit, name, role))
    await confirm_registration(registration, await factories.scope_of(org.street, "street", Role.STREET_ADMIN))
    assert registration.status == RegistrationStatus.CONFIRMED


async def test_decline_needs_a_reason_and_frees_the_member_to_report_again(org):
    member = await factories.in_service_member(org.xinfeng_1)
    scope = await factories.scope_of(org.nanyuan)
    registration = await register(Actor(member=member), org.nanyuan)
    with pytest.raises(ValidationError):
        await decline_registration(registration, scope, " ")
    await decline_registration(registration, scope, "不住本社区")
    assert registration.status == RegistrationStatus.DECLINED and registration.decline_reason == "不住本社区"
    again = await register(Actor(member=member), org.xinfeng)
    assert (await current_registration(member)).id == again.id


async def test_withdraw_only_by_the_member(org):
    member = await factories.in_service_member(org.xinfeng_1)
    other = await factories.in_service_member(org.xinfeng_1, "王五")
    scope = await factories.scope_of(org.nanyuan)
    registration = await factories.confirmed_registration(member, org.nanyuan, scope)
    with pytest.raises(PermissionDenied):
        await withdraw_registration(registration, other)
    await withdraw_registration(registration, member)
    assert registration.status == RegistrationStatus.WITHDRAWN
    assert org.nanyuan.id not in await member_communities(member)
    with pytest.raises(DomainError):
        await withdraw_registration(registration, member)


async def test_stats_count_confirmed_members(org):
    nanyuan = await factories.scope_of(org.nanyuan, "nanyuan")
    xinfeng = await factories.scope_of(org.xinfeng, "xinfeng")
    people = [
        ("甲", "教师", "city", org.nanyuan, nanyuan), ("乙", "医生", "district", org.nanyuan, nanyuan),
        ("丙", "教师", "district", org.xinfeng, xinfeng),
    ]
    for name, occupation, category, community, scope in people:
        member = await factories.in_service_member(org.xinfeng_1, name, occupation=occupation,
                                                   management_category=category)
        await factories.confirmed_registration(member, community, scope)
    await register(Actor(member=await factories.in_service_member(org.xinfeng_1, "丁", occupation="教师")),
                   org.nanyuan)  # pending: not counted

    district = await factories.scope_of(org.district, "district", Role.DISTRICT_ADMIN)
    assert await registration_stats(district.registrations(), StatsDimension.COMMUNITY) == [
        StatRow("南园社区", 2), StatRow("新风社区", 1)]
    assert await registration_stats(district.registrations(), StatsDimension.OCCUPATION) == [
        StatRow("教师", 2), StatRow("医生", 1)]
    assert await registration_stats(nanyuan.registrations(), "management_category") == [
        StatRow("city", 1), StatRow("district", 1)]
