"""Test data built through the same functions the product uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from models.clock import local_today
from models.admins import AdminUser, Role, create_admin
from models.audit import Actor
from models.invites import Invite, issue_invite
from models.members import Member
from models.membership import clean_member, create_member
from models.org import OrgKind, OrgUnit, create_org_unit

PASSWORD = "correct horse battery"


@dataclass
class OrgTree:
    district: OrgUnit
    street: OrgUnit
    nanyuan: OrgUnit  # community
    xinfeng: OrgUnit  # community
    nanyuan_1: OrgUnit  # branch 南园社区第一支部
    nanyuan_2: OrgUnit  # branch 南园社区第二支部
    xinfeng_1: OrgUnit  # branch 新风社区第一支部


async def org_tree() -> OrgTree:
    district = await create_org_unit("东风区委", OrgKind.DISTRICT)
    street = await create_org_unit("东风街道", OrgKind.STREET, district)
    nanyuan = await create_org_unit("南园社区", OrgKind.COMMUNITY, street)
    xinfeng = await create_org_unit("新风社区", OrgKind.COMMUNITY, street)
    return OrgTree(
        district=district,
        street=street,
        nanyuan=nanyuan,
        xinfeng=xinfeng,
        nanyuan_1=await create_org_unit("第一支部", OrgKind.BRANCH, nanyuan),
        nanyuan_2=await create_org_unit("第二支部", OrgKind.BRANCH, nanyuan),
        xinfeng_1=await create_org_unit("第一支部", OrgKind.BRANCH, xinfeng),
    )


async def member(branch: OrgUnit, name: str = "张三", **values) -> Member:
    data = {"name": name, "branch": branch.id, "member_type": "retired", **values}
    return await create_member(await clean_member(data), Actor.system("tests"))


async def admin(username: str, role: Role, org: OrgUnit, password: str = PASSWORD) -> AdminUser:
    return await create_admin(username, password, role, org)


async def invite(member: Member, days: int = 30) -> Invite:
    return await issue_invite(member, timedelta(days=days), Actor.system("tests"))


async def published_wish(community: OrgUnit, text: str = "帮忙修水管", **review):
    from datetime import timedelta

    from models.wishes import WishCategory, publish_wish, submit_wish

    wish = await submit_wish(community, text, Actor.system("tests"), resident_name="王阿姨",
                             contact_phone="13700000000", resident=review.pop("resident", None))
    return await publish_wish(
        wish, Actor.system("tests"), category=review.get("category", WishCategory.CONVENIENCE),
        service_standard=review.get("service_standard", "上门服务"),
        deadline=review.get("deadline", local_today() + timedelta(days=14)),
    )


# --------------------------------------------------------------------------- community service


async def scope_of(unit: OrgUnit, name: str = "secretary", role: Role = Role.COMMUNITY_SECRETARY):
    from models.scope import Scope

    return await Scope.of(await admin(name, role, unit))


async def in_service_member(branch: OrgUnit, name: str = "李四", **values) -> Member:
    return await member(branch, name, member_type="in_service", **values)


async def confirmed_registration(member: Member, community: OrgUnit, scope):
    from models.registration import confirm_registration, register

    return await confirm_registration(await register(Actor(member=member), community), scope)


async def team(community: OrgUnit, scope, name: str = "义诊服务队", *, leader: Member | None = None, **values):
    from models.teams import appoint_leader, create_team

    created = await create_team(scope, community, name=name, **values)
    if leader is not None:
        await appoint_leader(created, leader, scope)
    return created


async def team_member(team, member: Member, scope):
    from models.teams import approve_membership, request_to_join

    return await approve_membership(await request_to_join(team, member), Actor(admin=scope.user), scope=scope)


async def activity(scope, community: OrgUnit, *, starts_at, hours: int = 2, capacity: int | None = 10,
                   title: str = "周四义诊", place: str = "社区服务中心", now=None, **values):
    from models.activities import create_activity

    return await create_activity(
        Actor(admin=scope.user), community, title=title, place=place, starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours), capacity=capacity, scope=scope, now=now, **values,
    )
