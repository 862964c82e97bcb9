"""Editing service posts and teams in the panel: CSRF, validation by field, audit, leaders,
and scoping (another community's post or team is not found; read-only staff may not)."""

from __future__ import annotations

import pytest

from models.audit import AuditEntry
from models.errors import DomainError
from models.posts import ServicePost, claim_post, create_post
from models.teams import Team, TeamMembership, TeamRole, request_to_join
from tests import factories
from tests.admin.conftest import post_form
from tests.admin.test_community import field_error


async def test_edit_a_post(as_user, org):
    scope = await factories.scope_of(org.nanyuan, "setup")
    post = await create_post(scope, org.nanyuan, name="楼栋长", capacity=3)
    await create_post(scope, org.nanyuan, name="政策宣传员")
    holder = await factories.in_service_member(org.nanyuan_1, "王五")
    await factories.confirmed_registration(holder, org.nanyuan, scope)
    await claim_post(post, holder)
    await claim_post(await ServicePost.get(name="政策宣传员"), holder)
    client = await as_user("nanyuan")
    edit = f"/community/posts/{post.id}/edit"
    form = await (await client.get(edit)).text()
    assert 'value="楼栋长"' in form and 'value="3"' in form

    base = {"name": "楼栋联络员", "description": "联系楼里住户", "kind": "convenience", "capacity": "5",
            "is_open": "yes"}
    for field, bad in (("name", {"name": ""}), ("name", {"name": "政策宣传员"}),  # taken in this community
                       ("capacity", {"capacity": "abc"}), ("kind", {"kind": "magic"}),
                       ("is_open", {"is_open": "maybe"})):
        response = await post_form(client, edit, edit, {**base, **bad})
        assert response.status == 422, bad
        assert field_error(await response.text(), field), bad
    # Fewer places than members holding the post now.
    await claim_post(await ServicePost.get(id=post.id), await _second_holder(org, scope))
    response = await post_form(client, edit, edit, {**base, "capacity": "1"})
    assert response.status == 422 and field_error(await response.text(), "capacity")
    assert (await ServicePost.get(id=post.id)).name == "楼栋长"

    assert (await client.post(edit, data=base, allow_redirects=False)).status == 403  # no CSRF token
    response = await post_form(client, edit, edit, {**base, "is_open": "no"})
    assert response.status == 303 and response.headers["Location"] == f"/community/posts/{post.id}"
    post = await ServicePost.get(id=post.id)
    assert (post.name, post.description, post.kind, post.capacity, post.is_open) == (
        "楼栋联络员", "联系楼里住户", "convenience", 5, False)
    assert await AuditEntry.filter(action="post.update").exists()
    assert await AuditEntry.filter(action="post.close").exists()
    response = await post_form(client, edit, edit, {**base, "is_open": "yes", "capacity": ""})
    assert response.status == 303
    post = await ServicePost.get(id=post.id)
    assert (post.is_open, post.capacity) == (True, None)


async def _second_holder(org, scope):
    member = await factories.in_service_member(org.nanyuan_1, "赵六")
    await factories.confirmed_registration(member, org.nanyuan, scope)
    return member


async def test_another_communitys_post_and_team_cannot_be_edited(as_user, org):
    xinfeng = await factories.scope_of(org.xinfeng, "xf")
    post = await create_post(xinfeng, org.xinfeng, name="新风岗位")
    team = await factories.team(org.xinfeng, xinfeng, name="新风队")
    client = await as_user("nanyuan")
    for url in (f"/community/posts/{post.id}/edit", f"/community/teams/{team.id}/edit"):
        assert (await client.get(url)).status == 404
        response = await post_form(client, "/community/posts", url, {"name": "改名"})
        assert response.status == 404
    assert (await ServicePost.get(id=post.id)).name == "新风岗位"
    assert (await Team.get(id=team.id)).name == "新风队"
    staff = await as_user("staff")
    assert (await staff.get(f"/community/posts/{post.id}")).status == 200
    assert (await staff.get(f"/community/posts/{post.id}/edit")).status == 403
    response = await post_form(staff, f"/community/teams/{team.id}", f"/community/teams/{team.id}/edit",
                               {"name": "改名"})
    assert response.status == 403


async def test_edit_a_team_and_its_leaders(as_user, org):
    scope = await factories.scope_of(org.nanyuan, "setup")
    leader = await factories.in_service_member(org.nanyuan_1, "队长甲")
    team = await factories.team(org.nanyuan, scope, leader=leader)
    await factories.team(org.nanyuan, scope, name="助老服务队")
    client = await as_user("nanyuan")
    edit = f"/community/teams/{team.id}/edit"
    assert 'value="义诊服务队"' in await (await client.get(edit)).text()
    base = {"name": "义诊队", "reminder_offsets": "24h", "is_open": "yes"}
    for field, bad in (("name", {"name": "助老服务队"}), ("name", {"name": " "}),
                       ("reminder_offsets", {"reminder_offsets": "明天"}),
                       ("reminder_offsets", {"reminder_offsets": "1m"})):
        response = await post_form(client, edit, edit, {**base, **bad})
        assert response.status == 422, bad
        assert field_error(await response.text(), field), bad
    response = await post_form(client, edit, edit, {"name": "义诊队", "reminder_offsets": "24h",
                                                    "is_open": "perhaps"})
    assert response.status == 422 and field_error(await response.text(), "is_open")
    response = await post_form(client, edit, edit, {"name": "健康义诊队", "description": "每周四",
                                                    "reminder_offsets": "2h, 1d", "is_open": "no"})
    assert response.status == 303
    team = await Team.get(id=team.id)
    assert (team.name, team.description, team.reminder_offsets, team.is_open) == (
        "健康义诊队", "每周四", "24h,2h", False)
    # A closed team takes no requests to join.
    joiner = await factories.member(org.nanyuan_1, "想加入", residence_community=org.nanyuan.id)
    with pytest.raises(DomainError):
        await request_to_join(team, joiner)
    assert not await TeamMembership.filter(member_id=joiner.id).exists()
    assert await AuditEntry.filter(action="team.update").exists()

    page = f"/community/teams/{team.id}"
    membership = await TeamMembership.get(team_id=team.id, member_id=leader.id)
    assert f"/leaders/{membership.id}/demote" in await (await client.get(page)).text()
    assert (await post_form(client, page, f"{page}/leaders/{membership.id}/demote")).status == 303
    assert (await TeamMembership.get(id=membership.id)).role == TeamRole.MEMBER
    assert await AuditEntry.filter(action="team.demote_leader").count() == 1
    # No longer a leader: the old button finds nothing.
    assert (await post_form(client, page, f"{page}/leaders/{membership.id}/demote")).status == 404
    # Appointing again makes them a leader again.
    assert (await post_form(client, page, f"{page}/leader", {"member": str(leader.id)})).status == 303
    assert (await TeamMembership.get(id=membership.id)).role == TeamRole.LEADER
