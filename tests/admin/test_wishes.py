"""Micro-wishes in the panel: paper entry, review, the list and its export, the wish page and
its actions, scoping, and the public wish wall."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from admin.views.public_wall import wall_token
from models.admins import Role
from models.audit import Actor, AuditEntry
from models.clock import local_today
from models.members import TelegramUser
from models.outbox import OutboxMessage
from models.points import PointCard
from models.wishes import (
    Wish,
    WishCategory,
    WishStatus,
    claim_wish,
    mark_done,
    mark_overdue_alerted,
    submit_wish,
)
from tests import factories
from tests.admin.conftest import post_form, read_xlsx, zh

SECRET = b"test-secret-key"  # the ``settings`` fixture's SECRET_KEY
_TEXT_CELL_RE = re.compile(r'<td data-column="text"[^>]*><a href="/wishes/\d+">([^<]*)</a></td>')


def listed_texts(html: str) -> list[str]:
    return [unescape(text) for text in _TEXT_CELL_RE.findall(html)]


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="error-{field}">([^<]*)</p>', html)
    return unescape(match.group(1)) if match else ""


def in_days(days: int) -> str:
    return (local_today() + timedelta(days=days)).isoformat()


async def collected_wish(community, text="想学用智能手机", resident=None, **values) -> Wish:
    values = {"resident_name": "王阿姨", "contact_phone": "13700000000", **values}
    return await submit_wish(community, text, Actor.system("tests"), resident=resident, **values)


async def make_overdue(wish: Wish) -> None:
    """Deadlines cannot be set in the past; time passing is simulated by moving the deadline."""
    await Wish.filter(id=wish.id).update(deadline=local_today() - timedelta(days=1))
    await wish.refresh_from_db()


@pytest.fixture
async def claimant(org):
    member = await factories.member(
        org.nanyuan_1, "李医生", residence_community=org.nanyuan.id, occupation="社区医生"
    )
    await TelegramUser.create(id=5001, first_name="李", member=member)
    return member


@pytest.fixture
async def resident(db):
    return await TelegramUser.create(id=7001, first_name="王阿姨", language_code="zh-hans")


# --------------------------------------------------------------------------- paper entry


async def test_paper_wish_is_entered_as_proxy_and_audited(as_user, admin, org):
    client = await as_user("nanyuan")
    response = await post_form(client, "/wishes/new", "/wishes/new", {
        "community": str(org.nanyuan.id),
        "text": "楼道灯坏了，想请人帮忙修",
        "resident_name": "赵大爷",
        "contact_phone": "13912345678",
        "suggested_category": "convenience",
    })
    assert response.status == 303
    wish = await Wish.get()
    assert response.headers["Location"] == f"/wishes/{wish.id}"
    assert (wish.status, wish.community_id, wish.text) == (
        WishStatus.COLLECTED, org.nanyuan.id, "楼道灯坏了，想请人帮忙修"
    )
    assert (wish.resident_name, wish.contact_phone) == ("赵大爷", "13912345678")
    assert wish.suggested_category == WishCategory.CONVENIENCE and wish.category is None
    assert wish.proxy_entered and wish.resident_id is None
    nanyuan = await admin("nanyuan")
    assert wish.entered_by_id == nanyuan.id
    entry = await AuditEntry.get(action="wish.submit")
    assert entry.proxy and entry.actor_admin_id == nanyuan.id and entry.org_id == org.nanyuan.id

    html = await (await client.get(f"/wishes/{wish.id}")).text()
    assert zh("entered from paper by {user}", user="nanyuan") in html
    assert f'action="/wishes/{wish.id}/publish"' in html  # the review forms are on the wish page
    queue = await (await client.get("/wishes/review")).text()
    assert listed_texts(queue) == ["楼道灯坏了，想请人帮忙修"]


async def test_paper_entry_shows_errors_next_to_fields_and_saves_nothing(as_user, org):
    client = await as_user("nanyuan")
    response = await post_form(client, "/wishes/new", "/wishes/new", {
        "community": str(org.xinfeng.id),  # another community: not an option
        "text": "   ",
        "resident_name": "",
        "contact_phone": "call me",
        "suggested_category": "magic",
    })
    assert response.status == 422
    html = await response.text()
    assert field_error(html, "community") == zh("Choose a community.")
    assert field_error(html, "text") == zh("Please write something.")
    assert field_error(html, "resident_name") == zh("Please write something.")
    assert field_error(html, "contact_phone") == zh("This does not look like a phone number.")
    assert field_error(html, "suggested_category") == zh("Choose the kind of help.")
    assert 'value="call me"' in html  # what was typed is kept
    assert await Wish.all().count() == 0
    assert not await AuditEntry.filter(action="wish.submit").exists()


# --------------------------------------------------------------------------- review


async def test_publish_errors_are_shown_next_to_fields_and_nothing_is_saved(as_user, org, resident):
    wish = await collected_wish(org.nanyuan, resident=resident)
    client = await as_user("nanyuan")
    page = f"/wishes/{wish.id}"

    response = await post_form(client, page, f"{page}/publish", {
        "category": "", "service_standard": "", "deadline": "31/12",
    })
    assert response.status == 422
    html = await response.text()
    assert field_error(html, "category") == zh("Choose the kind of help.")
    assert field_error(html, "service_standard") == zh("Please write something.")
    assert field_error(html, "deadline") == zh(
        "Please write the date as YYYY-MM-DD, for example {example}.", example=in_days(14)
    )
    assert 'value="31/12"' in html

    response = await post_form(client, page, f"{page}/publish", {
        "category": "health", "service_standard": "上门教学一次", "deadline": in_days(-1),
    })
    assert response.status == 422
    html = await response.text()
    assert field_error(html, "deadline") == zh("The deadline cannot be in the past.")
    assert field_error(html, "category") == ""
    assert "上门教学一次" in html and 'value="health" selected' in html

    await wish.refresh_from_db()
    assert wish.status == WishStatus.COLLECTED and wish.category is None and wish.deadline is None
    assert not await AuditEntry.filter(action="wish.publish").exists()
    assert await OutboxMessage.all().count() == 0


async def test_publish_puts_the_wish_on_the_wall_and_tells_the_resident(as_user, org, resident):
    wish = await collected_wish(org.nanyuan, resident=resident)
    client = await as_user("nanyuan")
    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/publish", {
        "category": "culture", "service_standard": "每周教一次", "deadline": in_days(10),
    })
    assert response.status == 303 and response.headers["Location"] == f"/wishes/{wish.id}"
    await wish.refresh_from_db()
    assert wish.status == WishStatus.PUBLISHED and wish.category == WishCategory.CULTURE
    assert (wish.service_standard, wish.deadline.isoformat()) == ("每周教一次", in_days(10))
    message = await OutboxMessage.get()
    assert (message.kind, message.chat_id) == ("wish.published", resident.id)
    assert "想学用智能手机" in message.text

    html = await (await client.get(f"/wishes/{wish.id}")).text()
    assert zh("Published on the wish wall") in html  # the timeline
    assert listed_texts(await (await client.get("/wishes/review")).text()) == []


async def test_reject_needs_a_reason_and_the_resident_is_told(as_user, org, resident):
    wish = await collected_wish(org.nanyuan, resident=resident)
    client = await as_user("nanyuan")

    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/reject",
                               {"reason": ""})
    assert response.status == 422
    assert field_error(await response.text(), "reason") == zh("Please write something.")
    assert (await Wish.get(id=wish.id)).status == WishStatus.COLLECTED
    assert await OutboxMessage.all().count() == 0

    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/reject",
                               {"reason": "不属于社区服务范围"})
    assert response.status == 303
    await wish.refresh_from_db()
    assert wish.status == WishStatus.REJECTED and wish.reject_reason == "不属于社区服务范围"
    message = await OutboxMessage.get()
    assert (message.kind, message.chat_id, message.telegram_user_id) == (
        "wish.rejected", resident.id, resident.id
    )
    assert "不属于社区服务范围" in message.text

    # Reviewed once: a second decision is refused and changes nothing.
    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/reject",
                               {"reason": "再次"})
    assert response.status == 400
    assert zh("This wish is no longer awaiting review.") in await response.text()
    assert (await Wish.get(id=wish.id)).reject_reason == "不属于社区服务范围"


async def test_rejecting_a_paper_wish_queues_nothing(as_user, org):
    wish = await collected_wish(org.nanyuan)
    client = await as_user("nanyuan")
    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/reject",
                               {"reason": "重复提交"})
    assert response.status == 303
    assert await OutboxMessage.all().count() == 0


# --------------------------------------------------------------------------- the list


@pytest.fixture
async def several_wishes(org, claimant):
    wishes = {
        "pipe": await factories.published_wish(org.nanyuan, "帮忙修水管"),
        "doctor": await factories.published_wish(org.nanyuan, "想请医生量血压",
                                                  category=WishCategory.HEALTH),
        "phone": await collected_wish(org.nanyuan, "想学用智能手机", resident_name="钱奶奶",
                                      contact_phone="13611112222"),
        "garden": await factories.published_wish(org.xinfeng, "整理小区花坛",
                                                 category=WishCategory.ENVIRONMENT),
    }
    await claim_wish(wishes["doctor"], claimant)
    await make_overdue(wishes["doctor"])
    return wishes


async def test_list_filters_and_search(as_user, org, several_wishes):
    client = await as_user("street")

    async def texts(**params: str) -> list[str]:
        return sorted(listed_texts(await (await client.get("/wishes", params=params)).text()))

    assert await texts() == sorted(["帮忙修水管", "想请医生量血压", "想学用智能手机", "整理小区花坛"])
    assert await texts(status="published") == sorted(["帮忙修水管", "整理小区花坛"])
    assert await texts(status="claimed") == ["想请医生量血压"]
    assert await texts(category="health") == ["想请医生量血压"]
    assert await texts(org=str(org.xinfeng.id)) == ["整理小区花坛"]
    assert await texts(org=str(org.nanyuan.id), status="published") == ["帮忙修水管"]
    assert await texts(overdue="yes") == ["想请医生量血压"]
    assert await texts(overdue="no") == sorted(["帮忙修水管", "想学用智能手机", "整理小区花坛"])
    assert await texts(q="水管") == ["帮忙修水管"]
    assert await texts(q="钱奶奶") == ["想学用智能手机"]  # the resident's name
    assert await texts(q="1361111") == ["想学用智能手机"]  # and phone
    assert await texts(status="no-such-status") == await texts()

    html = await (await client.get("/wishes", params={"sort": "deadline"})).text()
    # A wish without a deadline (or a kind, before review) comes last either way, on every
    # database (SQLite would put it first ascending, PostgreSQL first descending).
    assert listed_texts(html) == ["想请医生量血压", "帮忙修水管", "整理小区花坛", "想学用智能手机"]
    html_descending = await (await client.get("/wishes", params={"sort": "-deadline"})).text()
    assert listed_texts(html_descending) == ["整理小区花坛", "帮忙修水管", "想请医生量血压", "想学用智能手机"]
    for sort in ("category", "-category"):
        assert listed_texts(await (await client.get("/wishes", params={"sort": sort})).text())[-1] == "想学用智能手机"
    rows = read_xlsx(await (await client.get("/wishes/export.xlsx", params={"sort": "-deadline"})).read())
    assert [row[0] for row in rows[1:]] == listed_texts(html_descending)
    assert "钱奶奶" in html and "13611112222" in html
    assert "李医生" in html  # the claimant


async def test_export_equals_the_filtered_list(as_user, org, several_wishes):
    client = await as_user("street")
    params = {"org": str(org.nanyuan.id), "sort": "-created"}
    page = await (await client.get("/wishes", params=params)).text()
    shown = listed_texts(page)
    assert len(shown) == 3

    response = await client.get("/wishes/export.xlsx", params=params)
    assert response.status == 200
    rows = read_xlsx(await response.read())
    header, body = rows[0], rows[1:]
    assert header[:10] == [
        zh("Wish"), zh("Community"), zh("Kind of help"), zh("Status"), zh("Deadline"),
        zh("Overdue"), zh("Claimant"), zh("Resident's name"), zh("Contact phone"), zh("Received on"),
    ]
    assert [row[0] for row in body] == shown
    doctor = next(row for row in body if row[0] == "想请医生量血压")
    assert doctor[2:7] == [zh("Health care"), zh("Claimed"), doctor[4], zh("Yes"), "李医生"]
    assert doctor[7:9] == ["王阿姨", "13700000000"]

    filtered = read_xlsx(await (await client.get("/wishes/export.xlsx", params={"overdue": "yes"})).read())
    assert [row[0] for row in filtered[1:]] == ["想请医生量血压"]


async def test_list_offers_the_public_wall_of_each_community_in_scope(as_user, org):
    html = await (await as_user("street")).get("/wishes")
    text = await html.text()
    assert f"/public/wall/{wall_token(SECRET, org.nanyuan.id)}" in text
    assert f"/public/wall/{wall_token(SECRET, org.xinfeng.id)}" in text

    text = await (await (await as_user("nanyuan")).get("/wishes")).text()
    assert f"/public/wall/{wall_token(SECRET, org.nanyuan.id)}" in text
    assert f"/public/wall/{wall_token(SECRET, org.xinfeng.id)}" not in text


# --------------------------------------------------------------------------- the wish page


async def test_wish_page_suggests_claimants_with_reasons(as_user, org):
    await factories.member(org.nanyuan_1, "孙护士", occupation="护士", skills="量血压、义诊")
    await factories.member(org.nanyuan_2, "周老师", occupation="教师", skills="书法")
    await factories.member(org.xinfeng_1, "吴医生", occupation="医生")  # another community
    wish = await factories.published_wish(org.nanyuan, "想请人量血压", category=WishCategory.HEALTH)
    client = await as_user("nanyuan")

    html = await (await client.get(f"/wishes/{wish.id}")).text()
    suggestions = html.split('id="suggestions"')[1].split("</section>")[0]
    assert "孙护士" in suggestions
    assert zh("Occupation: {occupation}", occupation="护士") in suggestions
    assert unescape(zh("Skills mention “{skill}”", skill="义诊")) in unescape(suggestions)
    assert "周老师" not in suggestions and "吴医生" not in suggestions


async def done_wish(org, claimant) -> Wish:
    """A wish on 南园社区's wall, claimed by ``claimant`` and marked done."""
    wish = await factories.published_wish(org.nanyuan)
    await claim_wish(wish, claimant)
    return await mark_done(wish, claimant)


async def test_secretary_confirms_a_done_wish_and_the_claimant_gets_one_card(
    as_user, org, claimant
):
    wish = await done_wish(org, claimant)
    client = await as_user("nanyuan")

    html = await (await client.get(f"/wishes/{wish.id}")).text()
    assert f'action="/wishes/{wish.id}/fulfil"' in html
    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/fulfil",
                               {"satisfaction": "satisfied"})
    assert response.status == 303
    await wish.refresh_from_db()
    assert wish.status == WishStatus.FULFILLED
    assert (wish.confirmed_by, wish.satisfaction) == ("secretary", "satisfied")
    cards = await PointCard.filter(member=claimant)
    assert [(card.amount, card.source, card.source_id) for card in cards] == [(1, "wish", wish.id)]
    message = await OutboxMessage.get()
    assert (message.kind, message.chat_id) == ("wish.fulfilled", 5001)

    # A second confirmation is refused: still one card, one message.
    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/fulfil", {})
    assert response.status == 400
    assert await PointCard.filter(member=claimant).count() == 1
    assert await OutboxMessage.all().count() == 1


async def test_secretary_sends_a_done_wish_back_to_its_claimant(as_user, org, claimant):
    wish = await done_wish(org, claimant)
    client = await as_user("nanyuan")
    html = await (await client.get(f"/wishes/{wish.id}")).text()
    assert f'action="/wishes/{wish.id}/reopen"' in html

    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/reopen", {})
    assert response.status == 303
    wish = await Wish.get(id=wish.id)
    assert (wish.status, wish.claimant_id, wish.done_at) == (WishStatus.CLAIMED, claimant.id, None)
    assert not await PointCard.filter(member=claimant).exists()
    message = await OutboxMessage.get()
    assert (message.kind, message.chat_id) == ("wish.not_done", 5001)
    assert zh("↩️ The community says the wish “{wish}” is not done yet. Please get in touch "
              "with the resident; it is back among your claimed wishes.", wish=wish.text) in message.text
    html = await (await client.get(f"/wishes/{wish.id}")).text()
    assert zh("Not done yet: back to the claimant") in html  # the wish's timeline
    assert f'action="/wishes/{wish.id}/reopen"' not in html

    # Again (a stale page): refused, nothing more sent.
    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/reopen", {})
    assert response.status == 400
    assert await OutboxMessage.all().count() == 1


async def test_only_a_done_wish_can_be_confirmed(as_user, org, claimant):
    wish = await factories.published_wish(org.nanyuan)
    await claim_wish(wish, claimant)
    client = await as_user("nanyuan")
    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/fulfil", {})
    assert response.status == 400
    assert (await Wish.get(id=wish.id)).status == WishStatus.CLAIMED
    assert await PointCard.all().count() == 0


async def test_an_overdue_wish_is_released_back_to_the_wall(as_user, org, claimant, resident):
    wish = await factories.published_wish(org.nanyuan, resident=resident)
    await claim_wish(wish, claimant)
    await make_overdue(wish)
    assert await mark_overdue_alerted(wish, datetime.now(UTC))  # as the scheduler's check does
    client = await as_user("nanyuan")

    html = await (await client.get(f"/wishes/{wish.id}")).text()
    assert f'<span class="wish-badge overdue">{zh("Overdue")}</span>' in html
    # The scheduler's entry in the history says who in words, not "scheduler".
    assert "· 系统定时任务" in html.split('id="history"')[1] and "scheduler" not in html
    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/release",
                               {"reason": ""})
    assert response.status == 422
    assert field_error(await response.text(), "reason") == zh("Please write something.")
    assert (await Wish.get(id=wish.id)).claimant_id == claimant.id

    response = await post_form(client, f"/wishes/{wish.id}", f"/wishes/{wish.id}/release",
                               {"reason": "认领党员生病住院"})
    assert response.status == 303
    await wish.refresh_from_db()
    assert wish.status == WishStatus.PUBLISHED and wish.claimant_id is None
    message = await OutboxMessage.get()
    assert (message.kind, message.chat_id) == ("wish.released", resident.id)
    history = (await (await client.get(f"/wishes/{wish.id}")).text()).split('id="history"')[1]
    assert zh("Released back to the wall") in history and "认领党员生病住院" in history


# --------------------------------------------------------------------------- scoping and rights


@pytest.fixture
async def other_secretary(org):
    return await factories.admin("xinfeng", Role.COMMUNITY_SECRETARY, org.xinfeng)


async def test_another_communitys_secretary_sees_and_changes_nothing(
    as_user, org, claimant, other_secretary
):
    collected = await collected_wish(org.nanyuan)
    claimed = await factories.published_wish(org.nanyuan, "帮忙修水管")
    await claim_wish(claimed, claimant)
    own = await factories.published_wish(org.xinfeng, "整理小区花坛")
    client = await as_user("xinfeng")

    assert listed_texts(await (await client.get("/wishes")).text()) == ["整理小区花坛"]
    assert listed_texts(await (await client.get("/wishes/review")).text()) == []
    rows = read_xlsx(await (await client.get("/wishes/export.xlsx")).read())
    assert [row[0] for row in rows[1:]] == ["整理小区花坛"]
    assert len(read_xlsx(await (await client.get("/wishes/review/export.xlsx")).read())) == 1

    for wish in (collected, claimed):
        response = await client.get(f"/wishes/{wish.id}")
        assert response.status == 404
        assert zh("No such wish in your organisation.") in await response.text()
    attempts = [
        (collected, "publish", {"category": "health", "service_standard": "x", "deadline": in_days(3)}),
        (collected, "reject", {"reason": "x"}),
        (claimed, "release", {"reason": "x"}),
        (claimed, "fulfil", {}),
    ]
    for wish, action, data in attempts:
        response = await post_form(client, f"/wishes/{own.id}", f"/wishes/{wish.id}/{action}", data)
        assert response.status == 404, action
    assert (await Wish.get(id=collected.id)).status == WishStatus.COLLECTED
    assert (await Wish.get(id=claimed.id)).status == WishStatus.CLAIMED
    assert not await AuditEntry.filter(actor_admin_id=other_secretary.id).exists()

    # Entering a paper wish for a community outside the scope is refused too.
    response = await post_form(client, "/wishes/new", "/wishes/new", {
        "community": str(org.nanyuan.id), "text": "x", "resident_name": "x",
    })
    assert response.status == 422
    assert await Wish.filter(text="x").count() == 0


async def test_a_branch_secretary_has_no_wishes(as_user, org):
    """Wishes belong to communities, so a branch's scope holds none (and no wall to share)."""
    wish = await collected_wish(org.nanyuan)
    client = await as_user("branch1")
    html = await (await client.get("/wishes")).text()
    assert listed_texts(html) == [] and "/wishes/new" not in html and "/public/wall/" not in html
    assert (await client.get(f"/wishes/{wish.id}")).status == 404


async def test_staff_reads_without_personal_data_and_changes_nothing(as_user, org, claimant):
    collected = await collected_wish(org.nanyuan, resident_name="钱奶奶", contact_phone="13611112222")
    done = await done_wish(org, claimant)
    client = await as_user("staff")

    html = await (await client.get("/wishes")).text()
    assert sorted(listed_texts(html)) == sorted(["想学用智能手机", "帮忙修水管"])
    for page in ("/wishes", "/wishes/review", f"/wishes/{collected.id}", f"/wishes/{done.id}"):
        html = await (await client.get(page)).text()
        for private in ("钱奶奶", "13611112222", "王阿姨", "13700000000"):
            assert private not in html, (page, private)
        assert "/publish" not in html and "/fulfil" not in html and "/release" not in html
        assert "/reopen" not in html
    assert listed_texts(await (await client.get("/wishes", params={"q": "1361111"})).text()) == []
    for export in ("/wishes/export.xlsx", "/wishes/review/export.xlsx"):
        rows = read_xlsx(await (await client.get(export)).read())
        assert zh("Resident's name") not in rows[0] and zh("Contact phone") not in rows[0]
        cells = {str(cell) for row in rows for cell in row}
        assert not cells & {"钱奶奶", "13611112222", "王阿姨", "13700000000"}

    assert (await client.get("/wishes/new")).status == 403
    attempts = [
        ("/wishes/new", {"community": str(org.nanyuan.id), "text": "x", "resident_name": "x"}),
        (f"/wishes/{collected.id}/publish",
         {"category": "health", "service_standard": "x", "deadline": in_days(3)}),
        (f"/wishes/{collected.id}/reject", {"reason": "x"}),
        (f"/wishes/{done.id}/release", {"reason": "x"}),
        (f"/wishes/{done.id}/fulfil", {}),
        (f"/wishes/{done.id}/reopen", {}),
    ]
    for action, data in attempts:
        response = await post_form(client, "/wishes", action, data)
        assert response.status == 403, action
        assert zh("Your role is read-only.") in await response.text()
    assert (await Wish.get(id=collected.id)).status == WishStatus.COLLECTED
    assert (await Wish.get(id=done.id)).status == WishStatus.DONE
    assert await PointCard.all().count() == 0


async def test_a_form_without_csrf_token_is_refused(as_user, org):
    wish = await collected_wish(org.nanyuan)
    client = await as_user("nanyuan")
    data = {"category": "health", "service_standard": "上门", "deadline": in_days(3)}
    response = await client.post(f"/wishes/{wish.id}/publish", data=data, allow_redirects=False)
    assert response.status == 403
    response = await client.post(f"/wishes/{wish.id}/publish", allow_redirects=False,
                                 data={**data, "csrf_token": "forged"})
    assert response.status == 403
    response = await client.post("/wishes/new", allow_redirects=False, data={
        "community": str(org.nanyuan.id), "text": "x", "resident_name": "x",
    })
    assert response.status == 403
    assert (await Wish.get(id=wish.id)).status == WishStatus.COLLECTED
    assert await Wish.all().count() == 1
    # Every form of the page carries the token.
    html = await (await client.get(f"/wishes/{wish.id}")).text()
    assert html.count('method="post"') == html.count('name="csrf_token"') >= 4


# --------------------------------------------------------------------------- the public wall


async def test_public_wall_shows_the_wishes_without_personal_data(make_client, org, claimant):
    open_wish = await factories.published_wish(org.nanyuan, "帮忙修水管")
    taken = await factories.published_wish(org.nanyuan, "想请医生量血压",
                                           category=WishCategory.HEALTH)
    await claim_wish(taken, claimant)
    await collected_wish(org.nanyuan, "还没审核的心愿")
    await factories.published_wish(org.xinfeng, "整理小区花坛")
    client = await make_client()  # nobody logged in

    response = await client.get(f"/public/wall/{wall_token(SECRET, org.nanyuan.id)}")
    assert response.status == 200
    html = await response.text()
    assert zh("Wish wall of {community}", community="南园社区") in html
    assert "帮忙修水管" in html and "想请医生量血压" in html
    assert html.index("帮忙修水管") < html.index("想请医生量血压")  # open ones first
    assert zh("Convenience services") in html and zh("Health care") in html
    assert zh("Open") in html and zh("Taken") in html
    assert open_wish.deadline.isoformat() in html
    for absent in ("还没审核的心愿", "整理小区花坛", "王阿姨", "13700000000", "李医生",
                   'name="csrf_token"', zh("Log out")):
        assert absent not in html, absent
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


async def test_public_wall_speaks_the_visitors_language(make_client, org):
    await factories.published_wish(org.nanyuan)
    client = await make_client()
    path = f"/public/wall/{wall_token(SECRET, org.nanyuan.id)}"

    english = await (await client.get(path, params={"lang": "en"})).text()
    assert "Wish wall of 南园社区" in english and 'lang="en"' in english
    traditional = await (await client.get(path, headers={"Accept-Language": "zh-TW,zh;q=0.8"})).text()
    assert "南園社區心願牆" not in traditional  # names are not translated …
    assert "南园社区心願牆" in traditional  # … the page is


async def test_forged_or_broken_wall_tokens_are_not_found(make_client, org):
    client = await make_client()
    good = wall_token(SECRET, org.nanyuan.id)
    forged_mac = f"{org.nanyuan.id}-{'0' * 32}"
    moved = f"{org.xinfeng.id}-{good.split('-')[1]}"  # nanyuan's signature on another id
    other_key = wall_token(b"another key", org.nanyuan.id)
    branch = wall_token(SECRET, org.nanyuan_1.id)  # signed, but not a community
    for token in (forged_mac, moved, other_key, branch, "abc", good[:-1], f"{good}0", "99-" + "a" * 32):
        response = await client.get(f"/public/wall/{token}")
        assert response.status == 404, token
        assert "南园社区" not in await response.text()
