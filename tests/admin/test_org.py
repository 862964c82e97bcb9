"""The organisation tree with member counts, and adding a unit."""

from __future__ import annotations

import re

from models.audit import AuditEntry
from models.org import OrgUnit
from tests import factories
from tests.admin.conftest import post_form, zh


async def test_tree_shows_the_subtree_with_member_counts(as_user, org):
    await factories.member(org.nanyuan_1, "甲")
    await factories.member(org.nanyuan_1, "乙")
    await factories.member(org.nanyuan_2, "丙")
    await factories.member(org.xinfeng_1, "丁")

    html = await (await (await as_user("street")).get("/org")).text()
    counts = dict(re.findall(r'href="/members\?org=(\d+)">(\d+) 名党员</a>', html))
    assert counts == {
        str(org.street.id): "4",
        str(org.nanyuan.id): "3",
        str(org.nanyuan_1.id): "2",
        str(org.nanyuan_2.id): "1",
        str(org.xinfeng.id): "1",
        str(org.xinfeng_1.id): "1",
    }
    assert "东风区委" not in html  # above the user's node

    html = await (await (await as_user("branch1")).get("/org")).text()
    assert dict(re.findall(r'href="/members\?org=(\d+)">(\d+) 名党员</a>', html)) == {
        str(org.nanyuan_1.id): "2"
    }


async def test_add_a_unit(as_user, org, admin):
    client = await as_user("nanyuan")
    response = await post_form(
        client,
        "/org",
        "/org/units",
        {
            "parent": str(org.nanyuan_1.id),
            "name": "第一党小组",
            "kind": "group",
        },
    )
    assert response.status == 303
    unit = await OrgUnit.get(name="第一党小组")
    assert (unit.parent_id, unit.kind, unit.path) == (
        org.nanyuan_1.id,
        "group",
        f"{org.nanyuan_1.path}{unit.id}/",
    )
    entry = await AuditEntry.get(action="org_unit.create", actor_admin=await admin("nanyuan"))
    assert entry.object_id == str(unit.id)
    assert "第一党小组" in await (await client.get("/org")).text()


async def test_invalid_unit_is_explained_next_to_the_field(as_user, org):
    client = await as_user("nanyuan")
    response = await post_form(
        client,
        "/org",
        "/org/units",
        {
            "parent": str(org.nanyuan_1.id),
            "name": "新社区",
            "kind": "community",
        },
    )
    assert response.status == 422
    html = await response.text()
    error = zh("This kind of unit cannot be placed there.")
    assert f'<p class="field-error" id="error-kind">{error}</p>' in html
    assert 'value="新社区"' in html

    response = await post_form(
        client,
        "/org",
        "/org/units",
        {
            "parent": str(org.nanyuan.id),
            "name": "第一支部",
            "kind": "branch",
        },
    )
    assert zh("A unit with this name already exists there.") in await response.text()
    response = await post_form(
        client,
        "/org",
        "/org/units",
        {
            "parent": str(org.nanyuan.id),
            "name": "第三支部",
            "kind": "castle",
        },
    )
    assert zh("Choose the kind of unit.") in await response.text()
    assert not await OrgUnit.filter(name__in=["新社区", "第三支部"]).exists()


async def test_cannot_add_under_a_unit_outside_the_scope(as_user, org):
    client = await as_user("branch1")
    response = await post_form(
        client,
        "/org",
        "/org/units",
        {
            "parent": str(org.xinfeng_1.id),
            "name": "外来小组",
            "kind": "group",
        },
    )
    assert response.status == 404
    assert not await OrgUnit.filter(name="外来小组").exists()
