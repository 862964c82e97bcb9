"""The audit log page: scoped entries, filters (who, action, object, dates, proxy), export, detail."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from admin.labels import AUDIT_ACTION_LABELS, AUDIT_OBJECT_LABELS
from models import clock
from models.admins import Role
from models.audit import Actor, AuditEntry
from models.audit import record as audit_record
from models.clock import local_today
from models.members import TelegramUser
from models.membership import clean_member, update_member
from models.pledges import (
    PLEDGE_STATUS_LABELS,
    ItemKind,
    PledgeStatus,
    add_item,
    pledge_for,
    submit,
)
from models.points import issue_manual_card
from models.registration import (
    REGISTRATION_STATUS_LABELS,
    RegistrationStatus,
    decline_registration,
    register,
)
from models.wishes import (
    WISH_STATUS_LABELS,
    WishStatus,
    claim_wish,
    release_wish,
    submit_wish,
    withdraw_wish,
)
from tests import factories
from tests.admin.conftest import read_xlsx, zh

_ACTION_RE = re.compile(r'<td data-column="action"[^>]*>([^<]*)</td>')


def actions(html: str) -> list[str]:
    return _ACTION_RE.findall(html)


def said(action: str) -> str:
    """How the list names an action: in words, not its code."""
    return zh(AUDIT_ACTION_LABELS[action])


async def setting(org):
    branch = await factories.scope_of(org.nanyuan_1, "b1", Role.BRANCH_SECRETARY)
    xinfeng = await factories.scope_of(org.xinfeng_1, "x1", Role.BRANCH_SECRETARY)
    mine = await factories.member(org.nanyuan_1, "张三", phone="13800000001")
    other = await factories.member(org.nanyuan_2, "李四")
    far = await factories.member(org.xinfeng_1, "王五")
    await issue_manual_card(branch, mine.id, "扫雪")
    await issue_manual_card(xinfeng, far.id, "义诊")
    # A pledge item entered by the secretary for a member who cannot write: a proxy action.
    pledge = await pledge_for(mine, 2026, Actor(admin=branch.user))
    await add_item(pledge, ItemKind.DUTY, "代录的承诺", Actor(admin=branch.user), scope=branch)
    await update_member(other, await clean_member({"name": "李四四", "branch": org.nanyuan_2.id,
                                                   "member_type": "retired"}), Actor(admin=branch.user))
    return mine, other, far


async def test_entries_are_scoped(as_user, org):
    mine, other, far = await setting(org)
    branch = await as_user("branch1")
    page = await (await branch.get("/audit")).text()
    listed = actions(page)
    assert said("card.award") in listed and said("pledge.item_add") in listed
    assert "义诊" not in page and "李四四" not in page  # another community; another branch
    far_entry = await AuditEntry.filter(object_type="Member", object_id=str(far.id)).first()
    assert (await branch.get(f"/audit/{far_entry.id}")).status == 404
    rows = read_xlsx(await (await branch.get("/audit/export.xlsx")).read())
    assert {row[3] for row in rows[1:]} == set(listed)
    assert all(str(far.id) != row[5] or row[4] != zh("Member") for row in rows[1:])

    community = await as_user("nanyuan")
    page = await (await community.get("/audit")).text()
    assert "李四四" in page and "义诊" not in page
    street = await as_user("street")
    assert "义诊" in await (await street.get("/audit")).text()


async def test_filters_dates_and_export(as_user, org):
    mine, *_ = await setting(org)
    client = await as_user("street")
    proxy = await (await client.get("/audit", params={"proxy": "yes"})).text()
    assert actions(proxy) and set(actions(proxy)) <= {said("pledge.item_add"), said("pledge.create")}
    assert said("pledge.item_add") in actions(proxy)
    by_action = await (await client.get("/audit", params={"action": "member.update"})).text()
    assert actions(by_action) == [said("member.update")]
    by_who = await (await client.get("/audit", params={"actor": "b1"})).text()
    assert said("member.create") not in actions(by_who) and said("card.award") in actions(by_who)
    by_object = await (await client.get("/audit", params={"object": "PointCard"})).text()
    assert actions(by_object) == [said("card.award"), said("card.award")]
    today = local_today()
    assert actions(await (await client.get("/audit", params={"from": str(today), "to": str(today)})).text())
    tomorrow = str(today + timedelta(days=1))
    assert actions(await (await client.get("/audit", params={"from": tomorrow})).text()) == []
    # Junk dates are ignored, not an error.
    assert (await client.get("/audit", params={"from": "2026-13-45"})).status == 200

    params = {"object": "PointCard", "sort": "actor"}
    page = await (await client.get("/audit", params=params)).text()
    rows = read_xlsx(await (await client.get("/audit/export.xlsx", params=params)).read())
    assert [row[1] for row in rows[1:]] == re.findall(r'<td data-column="actor"[^>]*>([^<]*)</td>', page)
    assert rows[0][3] == zh("Action")


async def test_detail_shows_before_and_after_and_hides_contacts_from_staff(as_user, org):
    mine, other, _ = await setting(org)
    update = await AuditEntry.get(action="member.update")
    client = await as_user("street")
    page = await (await client.get(f"/audit/{update.id}")).text()
    assert "李四" in page and "李四四" in page
    assert f'href="/members/{other.id}"' in page
    created = await AuditEntry.get(action="member.create", object_id=str(mine.id))
    assert "13800000001" in await (await client.get(f"/audit/{created.id}")).text()
    staff = await as_user("staff")
    assert "13800000001" not in await (await staff.get(f"/audit/{created.id}")).text()
    assert "13800000001" not in await (await staff.get("/audit")).text()
    staff_rows = read_xlsx(await (await staff.get("/audit/export.xlsx")).read())
    assert "13800000001" not in str(staff_rows)


async def test_the_list_summarises_what_changed_and_the_export_keeps_everything(as_user, org):
    mine, other, _ = await setting(org)
    client = await as_user("street")
    page = await (await client.get("/audit", params={"action": "member.update"})).text()
    changes = re.findall(r'<td data-column="changes"[^>]*>([^<]*)</td>', page)
    assert changes == ["姓名: 李四 → 李四四"]  # only the field that changed, named in words
    assert 'data-column="before"' not in page and "{&#34;" not in page  # no raw snapshots

    created = await (await client.get("/audit", params={"action": "member.create"})).text()
    summaries = re.findall(r'<td data-column="changes"[^>]*>([^<]*)</td>', created)
    assert any(s.startswith("姓名: 张三; 支部（编号）: ") for s in summaries)  # a new record: name first
    assert all(": ;" not in summary and re.search(r"; \+\d+$", summary) for summary in summaries)

    # The export has every change in words, and the snapshots as they were stored.
    rows = read_xlsx(await (await client.get("/audit/export.xlsx",
                                             params={"action": "member.update"})).read())
    assert rows[0][-3:] == [zh("Changes"), zh("Before"), zh("After")]
    assert rows[1][-3] == "姓名: 李四 → 李四四"
    assert '"name": "李四"' in rows[1][-2] and '"name": "李四四"' in rows[1][-1]
    new_rows = read_xlsx(await (await client.get("/audit/export.xlsx",
                                                 params={"action": "member.create"})).read())
    assert all(row[-3].startswith("姓名: ") and "\n" in row[-3] for row in new_rows[1:])

    staff = await as_user("staff")
    masked = await (await staff.get("/audit", params={"action": "member.create"})).text()
    assert "13800000001" not in masked


async def test_entries_are_named_in_words_with_the_code_kept_on_the_entry(as_user, org):
    await setting(org)
    client = await as_user("street")
    page = await (await client.get("/audit", params={"object": "PointCard"})).text()
    assert actions(page) == ["发放积分卡", "发放积分卡"]
    objects = re.findall(r'<td data-column="object_type"[^>]*>([^<]*)</td>', page)
    assert objects == [zh(AUDIT_OBJECT_LABELS["PointCard"])] * 2 == ["积分卡", "积分卡"]
    assert said("card.award") == "发放积分卡"
    # The filters keep the codes as values and show the words.
    assert '<option value="card.award">发放积分卡</option>' in page
    assert '<option value="PointCard" selected>积分卡</option>' in page
    card = await AuditEntry.filter(action="card.award").first()
    detail = await (await client.get(f"/audit/{card.id}")).text()
    assert "<h1>发放积分卡</h1>" in detail and "<code>card.award</code>" in detail
    assert "积分卡 <a href=" in detail
    rows = read_xlsx(await (await client.get("/audit/export.xlsx", params={"object": "PointCard"})).read())
    assert {row[3] for row in rows[1:]} == {"发放积分卡"} and {row[4] for row in rows[1:]} == {"积分卡"}
    # The search finds actions by their words, in any of the panel's languages.
    for words in ("发放积分卡", "積分卡", "card issued"):
        found = await (await client.get("/audit", params={"q": words})).text()
        assert set(actions(found)) == {"发放积分卡"}, words
    assert actions(await (await client.get("/audit", params={"q": "card.award"})).text())  # codes too


async def test_fields_and_coded_values_read_in_words(as_user, org):
    mine, *_ = await setting(org)
    branch = await factories.scope_of(org.nanyuan_1, "b2", Role.BRANCH_SECRETARY)
    pledge = await pledge_for(mine, 2026, Actor(admin=branch.user))
    await submit(pledge, Actor(admin=branch.user), scope=branch)
    wish = await factories.published_wish(org.nanyuan)
    await claim_wish(wish, mine)
    newcomer = await factories.in_service_member(org.nanyuan_1)
    registration = await register(Actor(member=newcomer), org.nanyuan)
    await decline_registration(registration, await factories.scope_of(org.nanyuan, "n2"), "不住本社区")
    client = await as_user("street")

    page = await (await client.get("/audit", params={"action": "pledge.submit"})).text()
    status = f"{zh('Status')}: {zh(PLEDGE_STATUS_LABELS[PledgeStatus.DRAFT])} → " \
             f"{zh(PLEDGE_STATUS_LABELS[PledgeStatus.SUBMITTED])}"
    assert re.findall(r'<td data-column="changes"[^>]*>([^<]*)</td>', page)[0].startswith(status)
    assert status == "状态: 草稿 → 待审核"

    claim = await AuditEntry.get(action="wish.claim")
    detail = await (await client.get(f"/audit/{claim.id}")).text()
    cells = dict(re.findall(r'<tr><th scope="row">([^<]*)</th><td[^>]*>[^<]*</td><td[^>]*>([^<]*)</td></tr>', detail))
    assert cells[zh("Status")] == zh(WISH_STATUS_LABELS[WishStatus.CLAIMED])
    # A record named by its number links to its page (which checks the reader's scope).
    assert f'<td data-label="修改后"><a href="/members/{mine.id}">{mine.id}</a></td>' in detail
    claimed_at = datetime.fromisoformat(claim.after["claimed_at"])
    assert cells["认领时间"] == clock.local_now(claimed_at).strftime("%Y-%m-%d %H:%M")  # local, no seconds
    assert "None" not in detail and "claimed_at" not in detail and "&#34;" not in detail

    await release_wish(wish, Actor(admin=branch.user), "临时出差")
    release = await AuditEntry.get(action="wish.release")
    assert release.after["claimant_id"] is None  # not the text "None"
    detail = await (await client.get(f"/audit/{release.id}")).text()
    rows = {field: (before, after) for field, before, after in
            re.findall(r'<tr><th scope="row">([^<]*)</th><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td></tr>', detail)}
    assert rows["认领党员（编号）"] == ("", "") and "None" not in detail

    declined = await AuditEntry.get(action="registration.decline")
    assert "active_key" not in declined.after  # a uniqueness key means nothing to a reader
    detail = await (await client.get(f"/audit/{declined.id}")).text()
    assert ">不住本社区</td>" in detail and zh(REGISTRATION_STATUS_LABELS[RegistrationStatus.DECLINED]) in detail


async def test_residents_and_the_system_are_named_in_words(as_user, org):
    resident = await TelegramUser.create(id=777001)
    wish = await submit_wish(org.nanyuan, "想学用智能手机", Actor.system("tests"), resident=resident)
    await withdraw_wish(wish, resident)
    await audit_record(Actor.system("scheduler"), "wish.overdue", wish, org_id=org.nanyuan.id)
    client = await as_user("street")
    page = await (await client.get("/audit", params={"object": "Wish"})).text()
    who = re.findall(r'<td data-column="actor"[^>]*>([^<]*)</td>', page)
    kinds = re.findall(r'<td data-column="actor_kind"[^>]*>([^<]*)</td>', page)
    assert ("系统定时任务", "系统") in set(zip(who, kinds))
    assert ("居民（Telegram 777001）", "机器人中的居民") in set(zip(who, kinds))
    assert "tg:777001" not in page.replace('value="tg:777001"', "")  # only as the filter's value
    assert '<option value="tg:777001">居民（Telegram 777001）</option>' in page
    assert '<option value="scheduler">系统定时任务</option>' in page
    withdrawn = await AuditEntry.get(action="wish.withdraw")
    detail = await (await client.get(f"/audit/{withdrawn.id}")).text()
    assert "居民（Telegram 777001） · 机器人中的居民" in detail
    rows = read_xlsx(await (await client.get("/audit/export.xlsx", params={"object": "Wish"})).read())
    assert "系统定时任务" in {row[1] for row in rows[1:]}

