"""The member list (filters, search, sort, pages, export), the detail page and the forms."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

from models.audit import Actor, AuditEntry
from models.clock import current_year
from models.members import Member, TelegramUser
from models.pledges import ItemKind, add_item, pledge_for, submit
from models.points import CardSource, award_card
from models.wishes import claim_wish
from tests import factories
from tests.admin.conftest import listed_names, post_form, read_xlsx, zh


async def test_pages_of_fifty_with_total_and_page_links(as_user, org):
    for number in range(1, 61):
        await factories.member(org.nanyuan_1, f"党员{number:02d}")
    client = await as_user("street")

    first = await (await client.get("/members")).text()
    assert listed_names(first) == [f"党员{n:02d}" for n in range(1, 51)]
    assert "共 60 条记录" in first
    assert "第 1 页，共 2 页" in first
    assert 'href="/members?page=2"' in first

    second = await (await client.get("/members", params={"page": "2"})).text()
    assert listed_names(second) == [f"党员{n:02d}" for n in range(51, 61)]
    # Out-of-range and junk page numbers land on a real page.
    assert listed_names(await (await client.get("/members?page=99")).text()) == listed_names(second)
    assert listed_names(await (await client.get("/members?page=x")).text()) == listed_names(first)


async def test_sort_by_whitelisted_keys_only(as_user, org):
    await factories.member(org.nanyuan_2, "乙", member_type="in_service")
    await factories.member(org.nanyuan_1, "甲", member_type="retired")
    await factories.member(org.xinfeng_1, "丙", member_type="floating")
    client = await as_user("street")

    async def names(sort: str) -> list[str]:
        return listed_names(await (await client.get("/members", params={"sort": sort})).text())

    assert await names("name") == sorted(["甲", "乙", "丙"])
    assert await names("-name") == sorted(["甲", "乙", "丙"], reverse=True)
    assert await names("created") == ["乙", "甲", "丙"]
    assert await names("-created") == ["丙", "甲", "乙"]
    assert await names("member_type") == ["丙", "乙", "甲"]  # floating, in_service, retired
    # Same branch name in both communities: ties fall back to the branch, then the name.
    assert await names("branch") == ["甲", "丙", "乙"]  # 第一支部 (南园), 第一支部 (新风), 第二支部
    assert await names("phone; DROP TABLE member") == await names("name")


async def test_filters_and_search(as_user, org):
    a = await factories.member(
        org.nanyuan_1,
        "王医生",
        member_type="in_service",
        occupation="Doctor",
        management_category="district",
    )
    await factories.member(
        org.nanyuan_2,
        "李老师",
        member_type="retired",
        skills="书法、Python 教学",
        phone="13911112222",
    )
    await factories.member(
        org.xinfeng_1, "赵师傅", member_type="retired", management_category="city"
    )
    await TelegramUser.create(id=777, first_name="王", member=a)
    client = await as_user("street")

    async def names(**params: str) -> list[str]:
        return sorted(listed_names(await (await client.get("/members", params=params)).text()))

    assert await names(type="retired") == sorted(["李老师", "赵师傅"])
    assert await names(category="city") == ["赵师傅"]
    assert await names(telegram="yes") == ["王医生"]
    assert await names(telegram="no") == sorted(["李老师", "赵师傅"])
    assert await names(org=str(org.nanyuan.id)) == sorted(["王医生", "李老师"])
    assert await names(org=str(org.xinfeng.id), type="retired") == ["赵师傅"]
    assert await names(q="doctor") == ["王医生"]  # occupation, case-insensitive
    assert await names(q="python") == ["李老师"]  # skills
    assert await names(q="1111") == ["李老师"]  # phone
    assert await names(q="师") == sorted(["李老师", "赵师傅"])  # name
    assert await names(type="no-such-type") == sorted(["王医生", "李老师", "赵师傅"])


async def test_export_equals_the_filtered_list(as_user, org):
    for number in range(1, 56):
        await factories.member(org.nanyuan_1, f"退休{number:02d}", member_type="retired")
    for number in range(1, 6):
        await factories.member(org.nanyuan_1, f"在职{number:02d}", member_type="in_service")
    client = await as_user("nanyuan")
    params = {"type": "retired", "sort": "-name"}

    page = await (await client.get("/members", params=params)).text()
    assert 'href="/members/export.xlsx?sort=-name&amp;type=retired"' in page
    shown = listed_names(page) + listed_names(
        await (await client.get("/members", params={**params, "page": "2"})).text()
    )

    response = await client.get("/members/export.xlsx", params=params)
    assert response.status == 200
    assert (
        response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_xlsx(await response.read())
    header, body = rows[0], rows[1:]
    assert header[:4] == ["姓名", "联系电话", "支部", "党员类型"]
    assert [row[0] for row in body] == shown == [f"退休{n:02d}" for n in range(55, 0, -1)]
    assert {row[3] for row in body} == {"退休"}


async def test_export_keeps_formula_like_names_as_text(as_user, org):
    await factories.member(org.nanyuan_1, '=HYPERLINK("http://x")')
    client = await as_user("branch1")
    rows = read_xlsx(await (await client.get("/members/export.xlsx")).read())
    assert rows[1][0] == '=HYPERLINK("http://x")'


async def test_detail_shows_the_record_and_binding(as_user, org):
    member = await factories.member(
        org.nanyuan_1,
        "王芳",
        phone="13800001111",
        member_type="in_service",
        occupation="医生",
        skills="义诊",
        residence_community=org.nanyuan.id,
        work_unit="区人民医院",
        can_write="no",
    )
    client = await as_user("branch1")
    html = await (await client.get(f"/members/{member.id}")).text()
    for text in (
        "王芳",
        "13800001111",
        "东风区委 / 东风街道 / 南园社区 / 第一支部",
        "在职",
        "医生",
        "义诊",
        "南园社区",
        "区人民医院",
        "尚未绑定 Telegram",
    ):
        assert text in html, text

    await TelegramUser.create(id=1, first_name="王芳", member=member)
    assert "已于" in await (await client.get(f"/members/{member.id}")).text()


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="error-{field}">([^<]*)</p>', html)
    return match.group(1) if match else ""


async def test_detail_shows_the_members_year_at_a_glance(as_user, org):
    member = await factories.member(org.nanyuan_1, name="潘<明顺>")
    client = await as_user("branch1")
    section = this_year(await (await client.get(f"/members/{member.id}")).text())
    assert zh("This year ({year})", year=current_year()) in section
    assert zh("No pledge yet") in section and zh("{needed} more for the {award}", needed=7, award="奉献奖") in section

    me = Actor(member=member)
    pledge = await pledge_for(member, current_year(), me)
    await add_item(pledge, ItemKind.PRACTICAL, "走访独居老人", me)
    await submit(pledge, me)
    for number in range(7):
        await award_card(member, CardSource.MANUAL, None, Actor.system("tests"), reason=f"第 {number} 次")
    wish = await factories.published_wish(org.nanyuan, "帮忙买药")
    await claim_wish(wish, member)
    section = this_year(await (await client.get(f"/members/{member.id}")).text())
    assert f'<a href="/pledges/{pledge.id}">{zh("Awaiting review")}</a>' in section
    ledger = f"/points?{urlencode({'member': member.id, 'year': current_year()})}".replace("&", "&amp;")
    assert f'<a href="{ledger}">7</a>' in section and zh("Qualifies for the {award}", award="奉献奖") in section
    assert "<dd>1</dd>" in section  # the wish in hand
    namesake = await factories.member(org.nanyuan_1, name="潘<明顺>")
    await award_card(namesake, CardSource.MANUAL, None, Actor.system("tests"), reason="同名的人")
    listed = await (await client.get(unescape(ledger))).text()
    assert listed.count("第 ") == 7 and "同名的人" not in listed


def this_year(page: str) -> str:
    return page[page.index('id="this-year"'):page.index('id="invite"')]


async def test_add_member_shows_errors_next_to_fields_and_saves_nothing(as_user, org):
    client = await as_user("branch1")
    response = await post_form(
        client,
        "/members/new",
        "/members/new",
        {
            "name": "",
            "phone": "call me",
            "branch": "",
            "member_type": "retired",
            "occupation": "木匠",
        },
    )
    assert response.status == 422
    html = await response.text()
    assert _field_error(html, "name") == zh("The name is required.")
    assert _field_error(html, "phone") == zh("This does not look like a phone number.")
    assert _field_error(html, "branch") == zh("The branch is required.")
    assert _field_error(html, "member_type") == ""
    assert 'value="call me"' in html and 'value="木匠"' in html  # what was typed is kept
    assert await Member.all().count() == 0


async def test_an_over_long_field_says_how_long_it_is_and_keeps_the_text(as_user, org):
    client = await as_user("branch1")
    occupation = "木" * 70
    response = await post_form(client, "/members/new", "/members/new", {
        "name": "张三", "branch": str(org.nanyuan_1.id), "member_type": "retired", "occupation": occupation,
    })
    assert response.status == 422
    html = await response.text()
    assert _field_error(html, "occupation") == zh(
        "At most {count} characters; this has {length}.", count=64, length=70)
    assert f'value="{occupation}"' in html
    assert await Member.all().count() == 0


async def test_branch_outside_the_scope_is_refused(as_user, org):
    client = await as_user("branch1")
    response = await post_form(
        client,
        "/members/new",
        "/members/new",
        {
            "name": "张三",
            "branch": str(org.xinfeng_1.id),
            "member_type": "retired",
        },
    )
    assert response.status == 422
    assert _field_error(await response.text(), "branch") == zh(
        "This branch is outside your organisation."
    )
    assert await Member.all().count() == 0


async def test_branch_choices_are_the_branches_in_scope(as_user, org):
    html = await (await (await as_user("nanyuan")).get("/members/new")).text()
    select = html.split('name="branch"')[1].split("</select>")[0]
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select)
    assert options == [(str(org.nanyuan_1.id), "第一支部"), (str(org.nanyuan_2.id), "第二支部")]


async def test_add_and_edit_a_member(as_user, org, admin):
    client = await as_user("branch1")
    response = await post_form(
        client,
        "/members/new",
        "/members/new",
        {
            "name": "新党员",
            "phone": "13700000000",
            "branch": str(org.nanyuan_1.id),
            "member_type": "in_service",
            "management_category": "district",
            "can_write": "no",
            "residence_community": str(org.nanyuan.id),
            "work_unit": "区图书馆",
        },
    )
    assert response.status == 303
    member = await Member.get(name="新党员").prefetch_related("work_unit")
    assert response.headers["Location"] == f"/members/{member.id}"
    assert (member.phone, member.can_write, member.work_unit.name) == (
        "13700000000",
        False,
        "区图书馆",
    )
    assert await AuditEntry.filter(
        action="member.create", actor_admin=await admin("branch1")
    ).exists()

    form = await (await client.get(f"/members/{member.id}/edit")).text()
    assert 'value="新党员"' in form and 'value="区图书馆"' in form
    response = await post_form(
        client,
        f"/members/{member.id}/edit",
        f"/members/{member.id}/edit",
        {
            "name": "新党员",
            "branch": str(org.nanyuan_1.id),
            "member_type": "retired",
            "occupation": "馆员",
            "can_write": "yes",
        },
    )
    assert response.status == 303
    await member.refresh_from_db()
    assert (member.member_type, member.occupation, member.can_write) == ("retired", "馆员", True)
    assert await AuditEntry.filter(
        action="member.update", actor_admin=await admin("branch1")
    ).exists()
