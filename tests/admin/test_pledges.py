"""Pledges in the panel: review (return with guidance, approve, bulk), publication and the public
notice, the half-year review and the assessment, proxy entry, branch pledges, and who may do what."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest

from models.admins import Role
from models.audit import Actor, AuditEntry
from models.clock import current_year
from models.members import TelegramUser
from models.notices import NoticeLink
from models.outbox import OutboxMessage
from models.pledges import (
    ItemKind,
    Pledge,
    PledgeStatus,
    add_item,
    approve,
    branch_pledge_for,
    log_progress,
    pledge_for,
    publish,
    submit,
    write_half_year_summary,
)
from models.scope import Scope
from tests import factories
from tests.admin.conftest import csrf_token, login, post_form, read_xlsx, zh

YEAR = current_year()
_OWNER_RE = re.compile(r'<td data-column="owner"[^>]*>\s*<a href="/pledges/\d+">([^<]*)</a>')


def listed_owners(html: str) -> list[str]:
    return [unescape(name) for name in _OWNER_RE.findall(html)]


def text_of(html: str) -> str:
    """The page's text, tags dropped: for asserting on what a reader sees."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


async def written_pledge(member, *texts: str, submitted: bool = True) -> Pledge:
    """A member's pledge written in the bot (through the models, as the member)."""
    me = Actor(member=member)
    pledge = await pledge_for(member, YEAR, me)
    for text in texts or ("按时交纳党费",):
        await add_item(pledge, ItemKind.DUTY, text, me)
    if submitted:
        await submit(pledge, me)
    return pledge


async def reviewer(org_unit, role=Role.BRANCH_SECRETARY, name="reviewer") -> Scope:
    return await Scope.of(await factories.admin(name, role, org_unit))


async def published(pledge: Pledge, scope: Scope) -> Pledge:
    await approve(pledge, scope)
    return await publish(pledge, scope)


@pytest.fixture
async def member(org):
    member = await factories.member(org.nanyuan_1, "王秀英", phone="13812345678")
    await TelegramUser.create(id=5001, first_name="秀英", member=member)
    return member


async def test_return_with_guidance_then_approve_and_publish(as_user, member):
    pledge = await written_pledge(member, "每周看望一户困难家庭")
    client = await as_user("branch1")
    assert listed_owners(await (await client.get("/pledges/review")).text()) == ["王秀英"]
    detail = f"/pledges/{pledge.id}"

    # Guidance is required: the message stands next to the field and nothing changes.
    response = await post_form(client, detail, f"{detail}/return", {"guidance": "  "})
    assert response.status == 422
    html = await response.text()
    assert re.search(
        r'<p class="field-error" id="error-guidance">\s*' + zh("Please write something."), html
    )
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.SUBMITTED
    assert not await OutboxMessage.exists()

    response = await post_form(
        client, detail, f"{detail}/return", {"guidance": "请把实事承诺写具体"}
    )
    assert response.status == 303 and response.headers["Location"] == detail
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.RETURNED and pledge.return_guidance == "请把实事承诺写具体"
    returned = await OutboxMessage.get(kind="pledge.returned")
    assert returned.chat_id == 5001 and "请把实事承诺写具体" in returned.text

    # The member revises it in the bot and submits again.
    me = Actor(member=member)
    await add_item(pledge, ItemKind.PRACTICAL, "每周三帮李奶奶买菜", me)
    await submit(pledge, me)

    response = await post_form(client, detail, f"{detail}/approve")
    assert response.status == 303
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.APPROVED
    assert await OutboxMessage.filter(kind="pledge.approved", chat_id=5001).count() == 1

    response = await post_form(client, detail, f"{detail}/publish")
    assert response.status == 303
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PUBLISHED
    assert await OutboxMessage.filter(kind="pledge.published", chat_id=5001).count() == 1

    page = text_of(await (await client.get(detail)).text())
    for action in ("Returned for revision", "Approved", "Published", "Submitted for review"):
        assert zh(action) in page
    assert "请把实事承诺写具体" in page  # the guidance stays in the history


async def test_wrong_status_is_refused_with_the_translated_message(as_user, member):
    pledge = await written_pledge(member)
    client = await as_user("branch1")
    detail = f"/pledges/{pledge.id}"
    await post_form(client, detail, f"{detail}/approve")

    response = await post_form(client, detail, f"{detail}/approve")  # already approved
    assert response.status == 409
    message = zh("This pledge is {status} now: the action was not applied.", status=zh("Approved"))
    assert message in unescape(await response.text())

    response = await post_form(client, detail, f"{detail}/return", {"guidance": "再改改"})
    assert response.status == 409
    assert message in unescape(await response.text())
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.APPROVED and pledge.return_guidance == ""
    assert not await OutboxMessage.filter(kind="pledge.returned").exists()


async def test_bulk_approve_reports_each_pledge(as_user, org, member):
    first = await written_pledge(member)
    second = await written_pledge(await factories.member(org.nanyuan_1, "李建国"))
    draft = await written_pledge(await factories.member(org.nanyuan_1, "赵敏"), submitted=False)
    foreign = await written_pledge(await factories.member(org.nanyuan_2, "外支部党员"))
    client = await as_user("branch1")

    ids = [str(p.id) for p in (first, second, draft, foreign)]
    page = await client.get("/pledges")
    response = await client.post(
        "/pledges/bulk",
        data=[
            ("csrf_token", csrf_token(await page.text())),
            ("action", "approve"),
            *(("pledge_id", i) for i in ids),
        ],
    )
    assert response.status == 200
    html = unescape(await response.text())
    assert zh("Pledges approved: {count}", count=2) in html
    assert zh("Not changed: {count}", count=2) in html
    assert (
        zh("This pledge is {status} now: the action was not applied.", status=zh("Draft")) in html
    )
    assert zh("No such pledge in your organisation.") in html
    assert "外支部党员" not in html
    statuses = {p.id: (await Pledge.get(id=p.id)).status for p in (first, second, draft, foreign)}
    assert statuses == {
        first.id: PledgeStatus.APPROVED,
        second.id: PledgeStatus.APPROVED,
        draft.id: PledgeStatus.DRAFT,
        foreign.id: PledgeStatus.SUBMITTED,
    }
    assert await OutboxMessage.filter(kind="pledge.approved").count() == 1  # only 王秀英 is bound

    response = await client.post(
        "/pledges/bulk",
        data=[
            ("csrf_token", csrf_token(await page.text())),
            ("action", "publish"),
            ("pledge_id", str(first.id)),
            ("pledge_id", str(second.id)),
        ],
    )
    assert zh("Pledges published: {count}", count=2) in unescape(await response.text())
    assert await Pledge.filter(status=PledgeStatus.PUBLISHED).count() == 2


async def test_notice_shows_names_and_items_never_phones_and_public_link_is_revocable(
    as_user,
    make_client,
    org,
    member,
):
    scope = await reviewer(org.street, Role.STREET_ADMIN)
    await published(await written_pledge(member, "照看 3 号楼", "帮扶一户困难家庭"), scope)
    other = await factories.member(org.nanyuan_1, "李建国", phone="13900001111")
    await published(await written_pledge(other, "每月义务理发"), scope)
    await written_pledge(await factories.member(org.nanyuan_1, "未公示"))  # submitted only
    secretary = await reviewer(org.nanyuan_1, name="sec")

    branch_pledge = await branch_pledge_for(org.nanyuan_1, YEAR, Actor(admin=secretary.user))
    await add_item(
        branch_pledge,
        ItemKind.PRACTICAL,
        "建好楼道议事会",
        Actor(admin=secretary.user),
        scope=secretary,
    )
    await submit(branch_pledge, Actor(admin=secretary.user), scope=secretary)
    await published(branch_pledge, scope)

    client = await as_user("branch1")
    query = {"branch": str(org.nanyuan_1.id), "year": str(YEAR)}
    notice = await client.get("/pledges/notice/print", params=query)
    assert notice.status == 200
    html = await notice.text()
    text = text_of(html)
    assert zh("Public notice of Party members' pledges, {year}", year=YEAR) in text
    assert "东风区委 东风街道 南园社区 第一支部" in text
    for shown in (
        "王秀英",
        "照看 3 号楼",
        "帮扶一户困难家庭",
        "李建国",
        "每月义务理发",
        "建好楼道议事会",
    ):
        assert shown in text
    assert "未公示" not in text
    assert "13812345678" not in html and "13900001111" not in html
    assert (
        text.index("建好楼道议事会") < text.index("李建国") < text.index("王秀英")
    )  # branch first, then names
    assert 'class="main-nav"' not in html

    response = await post_form(client, "/pledges/notice", "/pledges/notice/links", query)
    assert response.status == 303
    link = await NoticeLink.get(branch_id=org.nanyuan_1.id, year=YEAR)
    page = await (await client.get("/pledges/notice", params=query)).text()
    assert f"/public/notice/{link.token}" in page

    public = await make_client()  # nobody logged in
    response = await public.get(f"/public/notice/{link.token}", allow_redirects=False)
    assert response.status == 200
    html = await response.text()
    assert "王秀英" in html and "照看 3 号楼" in html and "13812345678" not in html

    response = await post_form(client, "/pledges/notice", f"/pledges/notice/links/{link.id}/revoke")
    assert response.status == 303
    response = await public.get(f"/public/notice/{link.token}", allow_redirects=False)
    assert response.status == 404
    assert "王秀英" not in await response.text()
    assert (await public.get("/public/notice/not-a-token", allow_redirects=False)).status == 404


async def test_half_year_review_and_annual_assessment(as_user, org, member):
    pledge = await written_pledge(member)
    await published(pledge, await reviewer(org.nanyuan_1))
    items = await pledge.items.all()
    await log_progress(
        items[0], Actor(member=member), "上半年交纳了 6 个月党费", photo_file_id="AgAD-photo"
    )
    await write_half_year_summary(
        pledge, Actor(member=member), "上半年按时交纳党费，参加了 4 次组织生活。"
    )
    client = await as_user("branch1")
    detail = f"/pledges/{pledge.id}"

    page = text_of(await (await client.get(detail)).text())
    assert "上半年按时交纳党费，参加了 4 次组织生活。" in page
    assert "上半年交纳了 6 个月党费" in page and zh("Photo") in page

    response = await post_form(
        client,
        detail,
        f"{detail}/half-year",
        {
            "leader_comment": "表现很好",
            "satisfied": "二十",
            "basic": "3",
            "unsatisfied": "0",
        },
    )
    assert response.status == 422
    assert re.search(
        r'id="error-satisfied">\s*' + re.escape(zh("Enter a whole number of people (0 or more).")),
        await response.text(),
    )
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PUBLISHED
    assert not await OutboxMessage.filter(kind="pledge.half_year_reviewed").exists()

    response = await post_form(
        client,
        detail,
        f"{detail}/half-year",
        {
            "leader_comment": "表现很好 & <坚持>",
            "satisfied": "20",
            "basic": "3",
            "unsatisfied": "1",
        },
    )
    assert response.status == 303
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.HALF_YEAR_REVIEWED
    assert (
        pledge.leader_comment,
        pledge.residents_satisfied,
        pledge.residents_basic,
        pledge.residents_unsatisfied,
    ) == ("表现很好 & <坚持>", 20, 3, 1)
    # The member is told, in the same transaction; what the leader wrote is escaped.
    reviewed = await OutboxMessage.get(kind="pledge.half_year_reviewed")
    assert reviewed.chat_id == 5001 and "表现很好 &amp; &lt;坚持&gt;" in reviewed.text
    assert "满意 20 人，基本满意 3 人，不满意 1 人" in reviewed.text

    for score in ("120", "-5", "九十"):
        response = await post_form(
            client,
            detail,
            f"{detail}/assessment",
            {"grade": "excellent", "satisfaction_score": score},
        )
        assert response.status == 422, score
        assert re.search(
            r'id="error-satisfaction_score">\s*'
            + re.escape(zh("Enter a percentage from 0 to 100.")),
            await response.text(),
        )
    response = await post_form(
        client, detail, f"{detail}/assessment", {"grade": "best", "satisfaction_score": "96"}
    )
    assert response.status == 422 and zh("Choose a grade.") in await response.text()
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.HALF_YEAR_REVIEWED and pledge.grade is None
    assert not await OutboxMessage.filter(kind="pledge.assessed").exists()

    response = await post_form(
        client,
        detail,
        f"{detail}/assessment",
        {"grade": "excellent", "satisfaction_score": "96", "comment": "群众评价高"},
    )
    assert response.status == 303
    await pledge.refresh_from_db()
    assert (pledge.status, pledge.grade, pledge.satisfaction_score) == (
        PledgeStatus.ASSESSED,
        "excellent",
        96,
    )
    page = text_of(await (await client.get(detail)).text())
    assert zh("Excellent") in page and "96%" in page and "群众评价高" in page
    assessed = await OutboxMessage.get(kind="pledge.assessed")
    assert assessed.chat_id == 5001 and zh("Excellent") in assessed.text
    assert "96%" in assessed.text and "群众评价高" in assessed.text


async def test_proxy_entry_for_a_member_who_cannot_write(as_user, admin, org):
    elder = await factories.member(org.nanyuan_1, "刘大爷", can_write=False)
    await factories.member(org.nanyuan_1, "能写字的党员")
    client = await as_user("branch1")
    waiting = zh(
        "{count} members who cannot write have no pledge for {year} yet.", count=1, year=YEAR
    )
    assert waiting in await (await client.get("/pledges")).text()

    page = await (await client.get("/pledges/new")).text()
    offered = page[
        page.index('id="cannot-write"') : page.index("</section>", page.index('id="cannot-write"'))
    ]
    assert "刘大爷" in offered and "能写字的党员" not in offered

    response = await post_form(
        client, "/pledges/new", "/pledges/new", {"member": str(elder.id), "year": str(YEAR)}
    )
    assert response.status == 303
    pledge = await Pledge.get(member_id=elder.id)
    items = f"/pledges/{pledge.id}/items"
    assert response.headers["Location"] == items

    response = await post_form(
        client, items, items, {"kind": "other", "text": "照看楼道", "target_date": ""}
    )
    assert response.status == 422 and zh("Choose the kind of item.") in await response.text()
    response = await post_form(
        client,
        items,
        items,
        {"kind": "duty", "text": "照看楼道", "target_date": f"{YEAR - 1}-05-01"},
    )
    assert response.status == 422
    assert zh("The target date must be in {year}.", year=YEAR) in await response.text()
    response = await post_form(
        client,
        items,
        items,
        {"kind": "duty", "text": "口述：照看 5 号楼楼道", "target_date": f"{YEAR}-12-31"},
    )
    assert response.status == 303
    response = await post_form(client, items, f"/pledges/{pledge.id}/submit")
    assert response.status == 303

    await pledge.refresh_from_db()
    secretary = await admin("branch1")
    assert pledge.status == PledgeStatus.SUBMITTED and pledge.proxy_entered
    assert pledge.entered_by_id == secretary.id
    entry = await AuditEntry.get(action="pledge.submit", object_id=str(pledge.id))
    assert entry.proxy and entry.actor_admin_id == secretary.id

    listing = await (await client.get("/pledges", params={"proxy": "yes"})).text()
    assert listed_owners(listing) == ["刘大爷"] and zh("Proxy-entered") in listing
    assert zh("Proxy-entered") in await (await client.get(f"/pledges/{pledge.id}")).text()
    new_page = await (await client.get("/pledges/new")).text()
    assert "刘大爷" not in new_page  # has a pledge for the year now
    assert waiting not in listing


async def test_branch_pledge_written_by_the_branch_and_approved_by_the_street(as_user, org):
    branch1 = await as_user("branch1")
    response = await post_form(
        branch1,
        "/pledges/new",
        "/pledges/new/branch",
        {"branch": str(org.nanyuan_1.id), "year": str(YEAR)},
    )
    assert response.status == 303
    pledge = await Pledge.get(owner_key=f"b:{org.nanyuan_1.id}:{YEAR}")
    items = f"/pledges/{pledge.id}/items"
    await post_form(branch1, items, items, {"kind": "practical", "text": "建好楼道议事会"})
    await post_form(branch1, items, f"/pledges/{pledge.id}/submit")
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.SUBMITTED and not pledge.proxy_entered

    assert listed_owners(await (await branch1.get("/pledges/review")).text()) == []
    response = await post_form(branch1, f"/pledges/{pledge.id}", f"/pledges/{pledge.id}/approve")
    assert response.status == 403
    assert zh("Branch pledges are reviewed by the sub-district committee.") in await response.text()
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.SUBMITTED

    street = await as_user("street")
    assert listed_owners(await (await street.get("/pledges/review")).text()) == [
        "南园社区 / 第一支部"
    ]
    response = await post_form(street, f"/pledges/{pledge.id}", f"/pledges/{pledge.id}/approve")
    assert response.status == 303
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.APPROVED


async def test_another_branch_cannot_see_or_review(make_client, org, member):
    pledge = await written_pledge(member)
    await factories.admin("branch2", Role.BRANCH_SECRETARY, org.nanyuan_2)
    client = await make_client()
    assert (await login(client, "branch2")).status == 303

    for path in ("/pledges", "/pledges/review"):
        assert "王秀英" not in await (await client.get(path)).text()
    assert (await client.get(f"/pledges/{pledge.id}")).status == 404
    assert (await client.get(f"/pledges/{pledge.id}/items")).status == 404
    for action, data in (("approve", {}), ("return", {"guidance": "改"}), ("publish", {})):
        response = await post_form(client, "/pledges", f"/pledges/{pledge.id}/{action}", data)
        assert response.status == 404, action
    rows = read_xlsx(await (await client.get("/pledges/export.xlsx")).read())
    assert len(rows) == 1  # the header only
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.SUBMITTED
    assert not await AuditEntry.filter(actor_admin_id__isnull=False).exists()


async def test_staff_only_read(as_user, member):
    pledge = await written_pledge(member)
    client = await as_user("staff")
    assert listed_owners(await (await client.get("/pledges")).text()) == ["王秀英"]
    page = await (await client.get(f"/pledges/{pledge.id}")).text()
    assert f"/pledges/{pledge.id}/approve" not in page
    assert (await client.get("/pledges/new")).status == 403
    for action in ("approve", "publish"):
        response = await post_form(client, "/pledges", f"/pledges/{pledge.id}/{action}")
        assert response.status == 403
        assert zh("Your role is read-only.") in await response.text()
    response = await post_form(
        client, "/pledges", "/pledges/bulk", {"action": "approve", "pledge_id": str(pledge.id)}
    )
    assert response.status == 403
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.SUBMITTED


async def test_a_form_without_the_csrf_token_is_refused(as_user, member):
    pledge = await written_pledge(member)
    client = await as_user("branch1")
    for action in ("approve", "return"):
        response = await client.post(f"/pledges/{pledge.id}/{action}", data={"guidance": "改"})
        assert response.status == 403, action
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.SUBMITTED


async def test_list_filters_search_and_export_match(as_user, org, member):
    await written_pledge(
        member, "每周看望困难家庭", "参加组织生活"
    )  # two matching items: listed once
    await written_pledge(await factories.member(org.nanyuan_1, "李建国"), "义务理发")
    await written_pledge(
        await factories.member(org.nanyuan_2, "赵敏"), "看望孤寡老人", submitted=False
    )
    await written_pledge(await factories.member(org.xinfeng_1, "陈刚"), "清理小区垃圾")
    client = await as_user("street")

    async def owners(**params: str) -> list[str]:
        return listed_owners(await (await client.get("/pledges", params=params)).text())

    assert await owners() == sorted(["王秀英", "李建国", "赵敏", "陈刚"])
    assert await owners(q="看望") == sorted(["王秀英", "赵敏"])
    assert await owners(q="生活") == ["王秀英"]
    assert await owners(status="draft") == ["赵敏"]
    assert await owners(org=str(org.xinfeng.id)) == ["陈刚"]
    assert await owners(status="submitted", org=str(org.nanyuan.id), sort="-owner") == sorted(
        ["王秀英", "李建国"], reverse=True
    )
    assert await owners(year=str(YEAR), proxy="no", q="看望") == sorted(["王秀英", "赵敏"])
    assert await owners(owner="member") == sorted(["王秀英", "李建国", "赵敏", "陈刚"])
    assert await owners(owner="branch") == []
    await branch_pledge_for(org.xinfeng_1, YEAR, Actor.system())
    assert await owners(owner="member", org=str(org.xinfeng.id)) == ["陈刚"]
    assert len(_OWNER_RE.findall(await (await client.get("/pledges", params={"owner": "branch"})).text())) == 1

    params = {"q": "看望", "sort": "-owner"}
    shown = await owners(**params)
    rows = read_xlsx(await (await client.get("/pledges/export.xlsx", params=params)).read())
    header, *body = rows
    assert [row[0] for row in body] == shown
    items = header.index(zh("Pledge items"))
    assert body[shown.index("王秀英")][items] == (
        f"{zh('Duty pledge')}：每周看望困难家庭\n{zh('Duty pledge')}：参加组织生活"
    )
    assert body[shown.index("赵敏")][header.index(zh("Status"))] == zh("Draft")


async def test_by_submission_date_drafts_come_last_either_way(as_user, org):
    """On every database: a draft (never submitted) has no date and is listed after the
    submitted pledges, ascending or descending, in the export too."""
    early = await written_pledge(await factories.member(org.nanyuan_1, "早交"))
    late = await written_pledge(await factories.member(org.nanyuan_1, "晚交"))
    await written_pledge(await factories.member(org.nanyuan_2, "草稿"), submitted=False)
    await Pledge.filter(id=early.id).update(submitted_at=datetime(YEAR, 1, 5, tzinfo=UTC))
    await Pledge.filter(id=late.id).update(submitted_at=datetime(YEAR, 2, 5, tzinfo=UTC))
    client = await as_user("street")
    for sort, expected in (("submitted", ["早交", "晚交", "草稿"]), ("-submitted", ["晚交", "早交", "草稿"])):
        assert listed_owners(await (await client.get("/pledges", params={"sort": sort})).text()) == expected
        rows = read_xlsx(await (await client.get("/pledges/export.xlsx", params={"sort": sort})).read())
        assert [row[0] for row in rows[1:]] == expected


async def test_pages_by_owner_walk_branch_pledges_then_members_like_the_export(
    as_user, org, member, monkeypatch
):
    """The list by owner is read in segments (branch pledges, then members' pledges by name):
    pages of two cut across the segments and add up to the export's order, both ways."""
    from functools import partial

    from admin.listing import ListSpec
    from admin.views import pledges as pledge_views

    monkeypatch.setattr(pledge_views, "ListSpec", partial(ListSpec, page_size=2))
    system = Actor.system("tests")
    await branch_pledge_for(org.xinfeng_1, YEAR, system)
    await branch_pledge_for(org.nanyuan_1, YEAR, system)
    await written_pledge(member)
    for branch, name in ((org.nanyuan_2, "赵敏"), (org.xinfeng_1, "李建国"), (org.nanyuan_1, "陈刚")):
        await written_pledge(await factories.member(branch, name))
    client = await as_user("street")
    members = sorted(["王秀英", "赵敏", "李建国", "陈刚"])
    for sort, expected_members in (("owner", members), ("-owner", members[::-1])):
        shown: list[str] = []
        for page in (1, 2, 3):
            html = await (await client.get("/pledges", params={"sort": sort, "page": str(page)})).text()
            shown += listed_owners(html)
        branches = [name for name in shown if name not in members]
        assert len(branches) == 2 and len(shown) == 6
        if sort == "owner":
            assert shown[2:] == expected_members  # branch pledges first, as SQLite sorts no name
        else:
            assert shown[:4] == expected_members
        rows = read_xlsx(await (await client.get("/pledges/export.xlsx", params={"sort": sort})).read())
        assert [row[0] for row in rows[1:]] == shown


async def test_list_by_branch_keeps_each_branch_together_in_id_order(as_user, org, member):
    """By branch: branch names (which repeat from one community to the next), each branch's
    pledges together in the order they were made; descending reverses all of it."""
    made = []
    for branch, name in ((org.xinfeng_1, "甲"), (org.nanyuan_2, "乙"), (org.nanyuan_1, "丙"),
                         (org.xinfeng_1, "丁"), (org.nanyuan_1, "戊")):
        made.append((branch, await written_pledge(await factories.member(branch, name))))
    await branch_pledge_for(org.nanyuan_2, YEAR, Actor.system("tests"))
    expected = [p.id for _, p in sorted(made, key=lambda bp: (bp[0].name, bp[0].id, bp[1].id))]
    second = [p.id for p in await Pledge.filter(branch_id=org.nanyuan_2.id).order_by("id")]
    expected = [i for i in expected if i not in second] + second  # 第二支部 after the 第一支部s
    client = await as_user("street")
    for sort, order in (("branch", expected), ("-branch", expected[::-1])):
        html = await (await client.get("/pledges", params={"sort": sort})).text()
        shown = [int(i) for i in re.findall(r'<td data-column="owner"[^>]*>\s*<a href="/pledges/(\d+)">', html)]
        assert shown == order, sort


@pytest.mark.parametrize("listed", [500, 1])
async def test_search_by_item_text_as_ids_or_as_a_subquery(as_user, org, monkeypatch, listed):
    """Item texts and member names are read once per search: a few matches are passed on
    as ids, many (more than MATCHES_LISTED) as a subquery; either way the same pledges
    are found, by item text or member name, and a search that finds nothing lists nothing."""
    from models import text_search

    monkeypatch.setattr(text_search, "MATCHES_LISTED", listed)
    await written_pledge(await factories.member(org.nanyuan_1, "甲"), "清理楼道", "打扫楼道")
    await written_pledge(await factories.member(org.xinfeng_1, "乙"), "楼道照明")
    await written_pledge(await factories.member(org.nanyuan_2, "楼大爷"), "看望老人")
    await written_pledge(await factories.member(org.nanyuan_2, "丁"), "看望老人")
    await written_pledge(await factories.member(org.xinfeng_1, "大丁"), "义诊")
    client = await as_user("street")

    async def owners(q: str) -> list[str]:
        return listed_owners(await (await client.get("/pledges", params={"q": q})).text())

    assert await owners("楼道") == ["乙", "甲"]
    assert await owners("楼") == sorted(["甲", "乙", "楼大爷"])  # item texts or the name
    assert await owners("丁") == sorted(["丁", "大丁"])  # two names
    assert await owners("没有这个") == []
