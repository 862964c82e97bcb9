"""The pledge cycle's rules: editing, transitions, reviewer rights, proxy entry."""

from __future__ import annotations

import pytest

from models.admins import Role
from models.audit import Actor, AuditEntry
from models.errors import DomainError, PermissionDenied, ValidationError
from models.pledge_templates import apply_template, templates_for
from models.pledges import (
    MAX_ITEMS,
    Grade,
    ItemKind,
    PledgeStatus,
    add_item,
    approve,
    assess,
    branch_pledge_for,
    log_progress,
    pledge_for,
    publish,
    record_half_year_review,
    return_for_revision,
    submit,
)
from models.scope import Scope
from tests import factories


async def secretary(org_unit, role=Role.BRANCH_SECRETARY, name="sec"):
    return await Scope.of(await factories.admin(name, role, org_unit))


async def test_whole_cycle(org):
    member = await factories.member(org.nanyuan_1, member_type="retired")
    me = Actor(member=member)
    scope = await secretary(org.nanyuan_1)
    pledge = await pledge_for(member, 2026, me)
    assert templates_for(member.member_type)[0] == "five_ones"
    items = await apply_template(pledge, "five_ones", "zh_Hans", me)
    assert len(items) == 5 and all(item.text for item in items)

    await submit(pledge, me)
    await return_for_revision(pledge, scope, "请把实事承诺写具体")
    assert pledge.status == PledgeStatus.RETURNED and pledge.return_guidance == "请把实事承诺写具体"
    await add_item(pledge, ItemKind.PRACTICAL, "每周三帮李奶奶买菜", me)
    await submit(pledge, me)
    await approve(pledge, scope)
    await log_progress(items[0], me, "走访了 3 户")
    await publish(pledge, scope)
    await record_half_year_review(pledge, scope, leader_comment="很好", satisfied=20, basic=3, unsatisfied=0)
    await assess(pledge, scope, grade=Grade.EXCELLENT, satisfaction_score=96)
    assert pledge.status == PledgeStatus.ASSESSED
    actions = await AuditEntry.filter(object_type="Pledge", object_id=str(pledge.id)).values_list("action", flat=True)
    assert {"pledge.submit", "pledge.return", "pledge.approve", "pledge.publish", "pledge.assess"} <= set(actions)


async def test_wrong_status_and_double_submit_are_refused(org):
    member = await factories.member(org.nanyuan_1)
    me = Actor(member=member)
    pledge = await pledge_for(member, 2026, me)
    with pytest.raises(ValidationError):
        await submit(pledge, me)  # no items
    await add_item(pledge, ItemKind.DUTY, "按时交纳党费", me)
    await submit(pledge, me)
    with pytest.raises(DomainError):
        await submit(pledge, me)
    with pytest.raises(DomainError):
        await add_item(pledge, ItemKind.DUTY, "再加一条", me)
    with pytest.raises(DomainError):
        await publish(pledge, await secretary(org.nanyuan_1))  # not approved yet


async def test_limits(org):
    member = await factories.member(org.nanyuan_1)
    me = Actor(member=member)
    pledge = await pledge_for(member, 2026, me)
    with pytest.raises(ValidationError):
        await add_item(pledge, ItemKind.DUTY, "字" * 501, me)
    with pytest.raises(ValidationError):
        await add_item(pledge, ItemKind.DUTY, "   ", me)
    for index in range(MAX_ITEMS):
        await add_item(pledge, ItemKind.DUTY, f"第{index}条", me)
    with pytest.raises(ValidationError):
        await add_item(pledge, ItemKind.DUTY, "多一条", me)


async def test_reviewer_rights(org):
    member = await factories.member(org.nanyuan_1)
    me = Actor(member=member)
    pledge = await pledge_for(member, 2026, me)
    await add_item(pledge, ItemKind.DUTY, "按时交纳党费", me)
    await submit(pledge, me)
    other_branch = await secretary(org.nanyuan_2, name="other")
    with pytest.raises(PermissionDenied):
        await approve(pledge, other_branch)
    staff = await secretary(org.nanyuan, role=Role.STAFF, name="staff")
    with pytest.raises(PermissionDenied):
        await approve(pledge, staff)
    with pytest.raises(PermissionDenied):
        await add_item(pledge, ItemKind.DUTY, "别人的承诺", Actor(member=await factories.member(org.nanyuan_1, "乙")))
    assert pledge.status == PledgeStatus.SUBMITTED


async def test_branch_pledges_are_reviewed_by_the_street(org):
    branch_secretary = await secretary(org.nanyuan_1)
    pledge = await branch_pledge_for(org.nanyuan_1, 2026, Actor(admin=branch_secretary.user))
    await add_item(pledge, ItemKind.PRACTICAL, "建好楼道议事会", Actor(admin=branch_secretary.user), scope=branch_secretary)
    await submit(pledge, Actor(admin=branch_secretary.user), scope=branch_secretary)
    with pytest.raises(PermissionDenied):
        await approve(pledge, branch_secretary)
    await approve(pledge, await secretary(org.street, role=Role.STREET_ADMIN, name="street"))
    assert pledge.status == PledgeStatus.APPROVED


async def test_proxy_entry_is_marked_and_audited(org):
    member = await factories.member(org.nanyuan_1, can_write=False)
    scope = await secretary(org.nanyuan_1)
    by_secretary = Actor(admin=scope.user)
    pledge = await pledge_for(member, 2026, by_secretary)
    await add_item(pledge, ItemKind.DUTY, "口述：照看楼道", by_secretary, scope=scope)
    await submit(pledge, by_secretary, scope=scope)
    assert pledge.proxy_entered and pledge.entered_by_id == scope.user.id
    entry = await AuditEntry.get(action="pledge.submit", object_id=str(pledge.id))
    assert entry.proxy and entry.actor_admin_id == scope.user.id


async def test_years_of_lists_each_year_in_scope_once_newest_first(org):
    from models.pledges import Pledge, all_years, years_of

    assert await all_years() == []
    years = {2019: org.nanyuan_1, 2022: org.xinfeng_1, 2025: org.nanyuan_2, 2026: org.nanyuan_1}
    for index, (year, branch) in enumerate(years.items()):
        for n in range(2):
            member = await factories.member(branch, f"成员{index}{n}")
            await pledge_for(member, year, Actor(member=member))
    await branch_pledge_for(org.xinfeng_1, 2018, Actor(member=member))
    nanyuan = await Scope.of(await factories.admin("ny", Role.COMMUNITY_SECRETARY, org.nanyuan))

    assert await years_of(Pledge.all()) == [2026, 2025, 2022, 2019, 2018] == await all_years()
    assert await years_of(nanyuan.pledges()) == [2026, 2025, 2019]
    assert await years_of(nanyuan.pledges().filter(year__lt=2025)) == [2019]
    assert await years_of(Pledge.filter(branch__path__startswith="/nowhere/")) == []


async def test_without_pledge_keeps_members_with_no_pledge_of_that_year(org):
    from models.members import Member
    from models.pledges import without_pledge

    names = {}
    for name, year in (("有今年", 2026), ("只有去年", 2025), ("没有", None)):
        member = await factories.member(org.nanyuan_1, name, can_write=False)
        names[member.id] = name
        if year:
            await pledge_for(member, year, Actor(member=member))
    writer = await factories.member(org.xinfeng_1, "会写", can_write=True)
    await branch_pledge_for(org.nanyuan_1, 2026, Actor(member=writer))
    nanyuan = await Scope.of(await factories.admin("ny", Role.COMMUNITY_SECRETARY, org.nanyuan))

    waiting = without_pledge(Member.filter(can_write=False), 2026)
    assert await waiting.count() == 2
    assert sorted(await waiting.order_by("name").values_list("name", flat=True)) == ["只有去年", "没有"]
    assert await without_pledge(nanyuan.members(), 2025).order_by("name").values_list("name", flat=True) == [
        "有今年", "没有"]
    assert await without_pledge(Member.all(), 2024).count() == 4
