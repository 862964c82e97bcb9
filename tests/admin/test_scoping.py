"""A secretary sees and changes only their own node and below; staff only read."""

from __future__ import annotations

import pytest

from models.audit import AuditEntry
from models.invites import Invite
from models.members import Member
from models.org import OrgUnit
from tests import factories
from tests.admin.conftest import listed_names, post_form, read_xlsx


@pytest.fixture
async def two_branches(org):
    return {
        "own": await factories.member(org.nanyuan_1, "本支部党员", phone="13800000001"),
        "other": await factories.member(org.nanyuan_2, "外支部党员", phone="13800000002"),
        "far": await factories.member(org.xinfeng_1, "外社区党员", phone="13800000003"),
    }


async def test_branch_secretary_lists_only_own_branch(as_user, two_branches, org):
    client = await as_user("branch1")
    assert listed_names(await (await client.get("/members")).text()) == ["本支部党员"]
    # A filter value outside the scope is not an option, so it is ignored.
    html = await (await client.get("/members", params={"org": str(org.nanyuan_2.id)})).text()
    assert listed_names(html) == ["本支部党员"]


async def test_community_secretary_sees_the_whole_community(as_user, two_branches):
    client = await as_user("nanyuan")
    names = listed_names(await (await client.get("/members")).text())
    assert sorted(names) == sorted(["本支部党员", "外支部党员"])


async def test_member_of_another_branch_is_not_found(as_user, two_branches):
    client = await as_user("branch1")
    other = two_branches["other"]
    for path in (
        f"/members/{other.id}",
        f"/members/{other.id}/edit",
        f"/members/{other.id}/invite.png",
    ):
        response = await client.get(path)
        assert response.status == 404, path
        assert "外支部党员" not in await response.text()
        assert "您管理的范围内没有该党员" in await response.text()


async def test_export_contains_only_own_branch(as_user, two_branches):
    client = await as_user("branch1")
    rows = read_xlsx(await (await client.get("/members/export.xlsx")).read())
    assert [row[0] for row in rows[1:]] == ["本支部党员"]


async def test_cannot_issue_or_revoke_invites_for_another_branch(as_user, two_branches):
    other = two_branches["other"]
    invite = await factories.invite(other)
    client = await as_user("branch1")

    response = await post_form(client, "/members", f"/members/{other.id}/invites")
    assert response.status == 404
    response = await post_form(client, "/members", f"/invites/{invite.id}/revoke")
    assert response.status == 404
    response = await post_form(client, "/members", "/invites/issue", {"member_id": str(other.id)})
    assert response.status == 404

    await invite.refresh_from_db()
    assert invite.status == "pending"
    assert await Invite.filter(member=other).count() == 1
    assert not await AuditEntry.filter(actor_admin_id__isnull=False).exists()


async def test_cannot_edit_a_member_of_another_branch(as_user, two_branches, org):
    other = two_branches["other"]
    client = await as_user("branch1")
    response = await post_form(
        client,
        "/members",
        f"/members/{other.id}/edit",
        {
            "name": "改名",
            "branch": str(org.nanyuan_1.id),
            "member_type": "retired",
        },
    )
    assert response.status == 404
    await other.refresh_from_db()
    assert other.name == "外支部党员"


async def test_invites_list_is_scoped(as_user, two_branches):
    await factories.invite(two_branches["own"])
    await factories.invite(two_branches["other"])
    client = await as_user("branch1")
    html = await (await client.get("/invites")).text()
    assert "本支部党员" in html
    assert "外支部党员" not in html


async def test_staff_cannot_change_anything(as_user, two_branches, org):
    member = two_branches["own"]
    invite = await factories.invite(member)
    client = await as_user("staff")
    attempts = [
        (f"/members/{member.id}/invites", {}),
        (f"/invites/{invite.id}/revoke", {}),
        ("/invites/issue", {"member_id": str(member.id)}),
        (
            "/members/new",
            {"name": "新人", "branch": str(org.nanyuan_1.id), "member_type": "retired"},
        ),
        (
            f"/members/{member.id}/edit",
            {"name": "改名", "branch": str(org.nanyuan_1.id), "member_type": "retired"},
        ),
        ("/org/units", {"parent": str(org.nanyuan_1.id), "name": "新小组", "kind": "group"}),
        ("/import", {}),
    ]
    for action, data in attempts:
        response = await post_form(client, "/members", action, data)
        assert response.status == 403, action
        assert "您的角色只有查看权限" in await response.text()
    for path in (
        "/members/new",
        f"/members/{member.id}/edit",
        "/import",
        f"/members/{member.id}/invite.png",
    ):
        assert (await client.get(path)).status == 403, path

    await invite.refresh_from_db()
    assert invite.status == "pending"
    assert await Member.all().count() == 3
    assert not await OrgUnit.filter(name="新小组").exists()
    assert not await AuditEntry.filter(actor_admin_id__isnull=False).exists()


async def test_staff_reads_without_phone_numbers_or_invite_links(as_user, two_branches):
    member = two_branches["own"]
    await factories.invite(member)
    client = await as_user("staff")

    html = await (await client.get("/members")).text()
    assert "本支部党员" in html
    assert "13800000001" not in html
    assert "13800000001" not in await (await client.get(f"/members/{member.id}")).text()
    # Searching by phone would reveal numbers digit by digit.
    assert (
        listed_names(await (await client.get("/members", params={"q": "1380000000"})).text()) == []
    )

    rows = read_xlsx(await (await client.get("/members/export.xlsx")).read())
    assert "联系电话" not in rows[0]
    assert all("13800000001" not in map(str, row) for row in rows)

    invites_html = await (await client.get("/invites")).text()
    assert "本支部党员" in invites_html
    assert "t.me/" not in invites_html
    assert "t.me/" not in await (await client.get(f"/members/{member.id}")).text()


async def test_secretary_sees_phone_numbers(as_user, two_branches):
    client = await as_user("branch1")
    assert "13800000001" in await (await client.get("/members")).text()
    rows = read_xlsx(await (await client.get("/members/export.xlsx")).read())
    assert rows[0][:2] == ["姓名", "联系电话"]
    assert rows[1][:2] == ["本支部党员", "13800000001"]
