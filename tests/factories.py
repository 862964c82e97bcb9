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
