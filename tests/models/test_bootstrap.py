"""The first login: made while nobody administers the organisation's root, shown once."""

from __future__ import annotations

from models.admins import AdminUser, Role, authenticate, create_admin
from models.bootstrap import FIRST_ADMIN_USERNAME, ensure_first_admin
from models.demo import load_demo
from models.org import OrgKind, OrgUnit


async def test_a_fresh_install_gets_a_district_administrator_once(db):
    first = await ensure_first_admin("en")
    assert first is not None and first.username == FIRST_ADMIN_USERNAME
    user = await authenticate(first.username, first.password)
    root = await OrgUnit.get(parent=None)
    assert user.role == Role.DISTRICT_ADMIN and user.org_id == root.id and root.kind == OrgKind.DISTRICT
    assert await ensure_first_admin("en") is None  # the next start shows nothing
    assert await AdminUser.all().count() == 1


async def test_after_the_demo_alone_the_district_still_gets_its_administrator(db):
    await load_demo()  # only a community secretary so far
    first = await ensure_first_admin("en")
    assert first is not None
    user = await authenticate(first.username, first.password)
    assert user.role == Role.DISTRICT_ADMIN and (await user.org).name == "东风区委"
    assert await ensure_first_admin("en") is None


async def test_a_user_named_admin_elsewhere_is_left_alone(db):
    await load_demo()
    community = await OrgUnit.get(name="新风社区")
    await create_admin(FIRST_ADMIN_USERNAME, "their own password", Role.COMMUNITY_SECRETARY, community)
    assert await ensure_first_admin("en") is None
    assert (await AdminUser.get(username=FIRST_ADMIN_USERNAME)).org_id == community.id
