"""The points pages: ledger, manual cards, revocations, award list and rules, leaderboards —
with scoping (another unit's cards are 404/403) and CSRF on every form."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from models.admins import Role
from models.audit import Actor, AuditEntry
from models.awards import AwardRule, default_rule, set_leaderboard_opt_out
from models.clock import current_year, local_today
from models.notices import HonourRollLink
from models.points import CardSource, PointCard, award_card, issue_manual_card
from tests import factories
from tests.admin.conftest import csrf_token, listed_names, login, post_form, read_xlsx, zh

YEAR = current_year()


async def give(unit, member, count: int, year: int = YEAR) -> list[PointCard]:
    from models.admins import AdminUser
    from models.scope import Scope

    existing = await AdminUser.get_or_none(username=f"giver{unit.id}")
    scope = await Scope.of(existing) if existing else await factories.scope_of(
        unit, f"giver{unit.id}", Role.COMMUNITY_SECRETARY if unit.kind == "community" else Role.BRANCH_SECRETARY)
    return [await issue_manual_card(scope, member.id, f"好事{n}", when=datetime(year, 6, 1, 4, tzinfo=UTC))
            for n in range(count)]


async def test_issue_a_manual_card_with_a_reason(as_user, org):
    member = await factories.member(org.nanyuan_1, "张三")
    client = await as_user("branch1")
    page = await (await client.get("/points/new", params={"q": "张"})).text()
    assert "张三" in page
    missing = await post_form(client, "/points/new?q=张", "/points/new", {"member": str(member.id), "reason": " "})
    assert missing.status == 422
    assert zh("Please write something.") in await missing.text()
    no_member = await post_form(client, "/points/new", "/points/new", {"member": "", "reason": "帮忙"})
    assert no_member.status == 422
    assert zh("Choose a member.") in await no_member.text()
    assert await PointCard.all().count() == 0

    done = await post_form(client, "/points/new?q=张", "/points/new",
                           {"member": str(member.id), "reason": "义务清扫楼道"})
    assert done.status == 303
    card = await PointCard.get(member=member)
    assert done.headers["Location"] == f"/points/{card.id}"
    assert (card.amount, card.source, card.reason) == (1, "manual", "义务清扫楼道")
    assert (await card.issued_by).username == "branch1"
    ledger = await (await client.get("/points")).text()
    assert "义务清扫楼道" in ledger and "张三" in ledger
    assert await AuditEntry.filter(action="card.award", object_id=str(card.id)).count() == 1


async def test_revoke_once_with_a_reason(as_user, org):
    member = await factories.member(org.nanyuan_1, "张三")
    [card] = await give(org.nanyuan_1, member, 1)
    client = await as_user("branch1")
    url = f"/points/{card.id}"
    blank = await post_form(client, url, f"{url}/revoke", {"reason": ""})
    assert blank.status == 422
    done = await post_form(client, url, f"{url}/revoke", {"reason": "重复发放"})
    assert done.status == 303
    page = await (await client.get(url)).text()
    assert zh("Revoked") in page and "重复发放" in page
    assert 'action="/points/%d/revoke"' % card.id not in page  # no second revoke form
    # A second revocation (a stale form, a double click) is refused.
    token = csrf_token(await (await client.get("/points")).text())
    again = await client.post(f"{url}/revoke", data={"csrf_token": token, "reason": "再撤"})
    assert again.status == 422
    assert zh("This card has already been revoked.") in await again.text()
    assert await PointCard.filter(member=member).count() == 2
    assert sum(await PointCard.filter(member=member).values_list("amount", flat=True)) == 0

    revocations = await (await client.get("/points", params={"kind": "revocation"})).text()
    assert "重复发放" in revocations and "好事0" not in revocations


async def test_scoping_of_cards(as_user, org):
    mine = await factories.member(org.nanyuan_1, "本支部")
    other = await factories.member(org.nanyuan_2, "二支部")
    far = await factories.member(org.xinfeng_1, "新风")
    [other_card] = await give(org.nanyuan_2, other, 1)
    [far_card] = await give(org.xinfeng_1, far, 1)
    await give(org.nanyuan_1, mine, 1)

    branch = await as_user("branch1")
    ledger = await (await branch.get("/points")).text()
    assert "本支部" in ledger and "二支部" not in ledger and "新风" not in ledger
    assert (await branch.get(f"/points/{other_card.id}")).status == 404
    token = csrf_token(await (await branch.get("/points")).text())
    refused = await branch.post(f"/points/{other_card.id}/revoke", data={"csrf_token": token, "reason": "x"})
    assert refused.status == 404
    forged = await branch.post("/points/new", data={"csrf_token": token, "member": str(other.id), "reason": "x"})
    assert forged.status == 404
    assert "二支部" not in await (await branch.get("/points/new", params={"q": "支部"})).text()
    rows = read_xlsx(await (await branch.get("/points/export.xlsx")).read())
    assert [row[1] for row in rows[1:]] == ["本支部"]

    community = await as_user("nanyuan")
    assert (await community.get(f"/points/{other_card.id}")).status == 200
    assert (await community.get(f"/points/{far_card.id}")).status == 404

    staff = await as_user("staff")
    assert (await staff.get(f"/points/{far_card.id}")).status == 200
    token = csrf_token(await (await staff.get("/points")).text())
    read_only = await staff.post(f"/points/{far_card.id}/revoke", data={"csrf_token": token, "reason": "x"})
    assert read_only.status == 403
    assert (await staff.get("/points/new")).status == 403
    assert await PointCard.filter(amount=-1).count() == 0


async def test_forms_need_the_csrf_token(as_user, org):
    member = await factories.member(org.nanyuan_1, "张三")
    [card] = await give(org.nanyuan_1, member, 1)
    rule = await default_rule()
    client = await as_user("street")
    for action, data in (
        ("/points/new", {"member": str(member.id), "reason": "x"}),
        (f"/points/{card.id}/revoke", {"reason": "x"}),
        (f"/points/awards/rules/{rule.id}", {"name": "x", "threshold": "2"}),
        ("/points/awards/rules", {"org": str(org.nanyuan.id), "name": "x", "threshold": "2"}),
    ):
        response = await client.post(action, data=data, allow_redirects=False)
        assert response.status == 403, action
    assert await PointCard.all().count() == 1
    assert (await AwardRule.get(id=rule.id)).threshold == 6
    assert await AwardRule.all().count() == 1


async def test_award_list_edge_and_export(as_user, org):
    six = await factories.member(org.nanyuan_1, "六张")
    seven = await factories.member(org.nanyuan_1, "七张")
    await factories.member(org.nanyuan_1, "无卡")
    elsewhere = await factories.member(org.xinfeng_1, "新风八张")
    await give(org.nanyuan_1, six, 6)
    cards = await give(org.nanyuan_1, seven, 8)
    await give(org.xinfeng_1, elsewhere, 8)
    await give(org.nanyuan_1, six, 3, year=YEAR - 1)
    scope = await factories.scope_of(org.nanyuan_1, "b1x", Role.BRANCH_SECRETARY)
    from models.points import revoke_card

    await revoke_card(scope, cards[0].id, "错发")  # 7 left

    client = await as_user("nanyuan")
    page = await (await client.get("/points/awards")).text()
    assert listed_names(page) == ["七张", "六张", "无卡"]  # by cards, most first; only in scope
    qualified = await (await client.get("/points/awards", params={"qualifies": "yes"})).text()
    assert listed_names(qualified) == ["七张"]
    not_yet = await (await client.get("/points/awards", params={"qualifies": "no"})).text()
    assert listed_names(not_yet) == ["六张", "无卡"]
    last_year = await (await client.get("/points/awards", params={"year": str(YEAR - 1)})).text()
    assert listed_names(last_year)[0] == "六张"

    response = await client.get("/points/awards.xlsx", params={"year": str(YEAR)})
    rows = read_xlsx(await response.read())
    assert rows[0][2:5] == [zh("Cards"), zh("Qualifies"), zh("Cards still needed")]
    assert [(r[0], r[2], r[3], r[4]) for r in rows[1:]] == [
        ("七张", 7, zh("Yes"), 0), ("六张", 6, zh("No"), 1), ("无卡", 0, zh("No"), 7)]
    # The export link keeps the year and the filter.
    link = re.search(r'href="(/points/awards\.xlsx[^"]*)"', unescape(qualified)).group(1)
    assert "qualifies=yes" in link and f"year={YEAR}" in link


async def test_rule_edit_by_street_only(as_user, make_client, org):
    member = await factories.member(org.nanyuan_1, "五张")
    await give(org.nanyuan_1, member, 5)
    rule = await default_rule()
    community = await as_user("nanyuan")
    page = await (await community.get("/points/awards")).text()
    assert f'action="/points/awards/rules/{rule.id}' not in page
    token = csrf_token(page)
    refused = await community.post(f"/points/awards/rules/{rule.id}", data={
        "csrf_token": token, "name": "奉献奖", "threshold": "3"})
    assert refused.status == 403

    street = await as_user("street")
    url = "/points/awards"
    assert "奖项名称" in await (await street.get(url)).text()  # the award's name, not a 姓名
    bad = await post_form(street, url, f"/points/awards/rules/{rule.id}?rule={rule.id}",
                          {"name": "奉献奖", "threshold": "很多"})
    assert bad.status == 422
    assert zh("Write a whole number.") in await bad.text()
    done = await post_form(street, url, f"/points/awards/rules/{rule.id}", {"name": "奉献奖", "threshold": "4"})
    assert done.status == 303
    assert (await AwardRule.get(id=rule.id)).threshold == 4
    qualified = await (await street.get(url, params={"qualifies": "yes"})).text()
    assert listed_names(qualified) == ["五张"]

    added = await post_form(street, url, "/points/awards/rules",
                            {"org": str(org.nanyuan.id), "name": "南园奖", "threshold": "9"})
    assert added.status == 303
    local = await AwardRule.get(org_id=org.nanyuan.id)
    assert listed_names(await (await street.get(url, params={"rule": str(local.id), "qualifies": "yes"})).text()) == []
    # The community secretary sees the rule of their community by default.
    assert "南园奖" in await (await community.get(url)).text()
    # The secretary of another community cannot open it.
    await factories.admin("xf", Role.COMMUNITY_SECRETARY, org.xinfeng)
    other = await make_client()
    assert (await login(other, "xf")).status == 303
    assert (await other.get(url, params={"rule": str(local.id)})).status == 404


async def test_leaderboard_per_community_with_opt_out(as_user, org):
    a = await factories.member(org.nanyuan_1, "甲")
    b = await factories.member(org.nanyuan_2, "乙")
    far = await factories.member(org.xinfeng_1, "新风")
    await give(org.nanyuan_1, a, 3)
    await give(org.nanyuan_2, b, 2)
    await give(org.xinfeng_1, far, 5)
    await set_leaderboard_opt_out(b, True)

    street = await as_user("street")
    page = await (await street.get("/points/leaderboard", params={"community": str(org.nanyuan.id)})).text()
    assert page.index("甲") < page.index("乙") and "新风</a>" not in page
    other = await (await street.get("/points/leaderboard", params={"community": str(org.xinfeng.id)})).text()
    assert "新风</a>" in other
    rows = read_xlsx(await (await street.get("/points/leaderboard.xlsx",
                                             params={"community": str(org.nanyuan.id)})).read())
    assert [(r[0], r[1], r[2], r[3]) for r in rows[1:]] == [(1, "甲", 3, zh("No")), (2, "乙", 2, zh("Yes"))]

    community = await as_user("nanyuan")
    assert (await community.get("/points/leaderboard", params={"community": str(org.xinfeng.id)})).status == 404
    branch = await as_user("branch1")
    mine = await (await branch.get("/points/leaderboard")).text()
    assert "甲" in mine and "乙</a>" not in mine  # only members in the branch's scope


async def test_a_months_bar_on_the_dashboard_opens_the_ledger_of_that_month(as_user, org):
    member = await factories.member(org.nanyuan_1, "王秀英")
    scope = await factories.scope_of(org.nanyuan_1, "giver", Role.BRANCH_SECRETARY)
    for reason, when in (("三月一", datetime(YEAR, 3, 3, 4, tzinfo=UTC)),
                         ("三月二", datetime(YEAR, 3, 30, 4, tzinfo=UTC)),
                         ("六月", datetime(YEAR, 6, 1, 4, tzinfo=UTC))):
        card = await issue_manual_card(scope, member.id, reason, when=when)
        await PointCard.filter(id=card.id).update(created_at=when)  # recorded then

    client = await as_user("street")
    march = f"/points?month={YEAR}-03&amp;kind=card"
    assert f'<a href="{march}"><g class="chart-item"><title>3: 2</title>' in await (await client.get("/")).text()

    async def reasons(**params: str) -> list[str]:
        rows = read_xlsx(await (await client.get("/points/export.xlsx", params=params)).read())
        column = rows[0].index(zh("Reason"))
        return sorted(row[column] for row in rows[1:])

    assert await reasons(month=f"{YEAR}-03", kind="card") == ["三月一", "三月二"]
    assert await reasons(month=f"{YEAR}-06") == ["六月"]
    assert await reasons(month=f"{YEAR}-05") == []
    # A month outside the offered ones (the chosen year's) is ignored, like any unknown value.
    assert await reasons(month="not-a-month") == ["三月一", "三月二", "六月"]
    assert await reasons(year=str(YEAR - 1), month=f"{YEAR}-03") == []
    page = await (await client.get("/points", params={"month": f"{YEAR}-03"})).text()
    assert f'<option value="{YEAR}-03" selected>' in page


async def test_the_ledger_of_one_member_lists_and_exports_only_theirs(as_user, org):
    mine = await factories.member(org.nanyuan_1, name="同名")
    namesake = await factories.member(org.nanyuan_2, name="同名")
    outsider = await factories.member(org.xinfeng_1, name="新风的")
    for member, reason in ((mine, "我的一张"), (namesake, "别人的一张"), (outsider, "外面的")):
        await award_card(member, CardSource.MANUAL, None, Actor.system("tests"), reason=reason)
    client = await as_user("nanyuan")
    page = await (await client.get(f"/points?member={mine.id}")).text()
    assert "我的一张" in page and "别人的一张" not in page
    assert zh("Entries of {name} only.", name="同名") in page
    assert f'name="member" value="{mine.id}"' in page  # kept by the list's controls
    rows = read_xlsx(await (await client.get(f"/points/export.xlsx?member={mine.id}")).read())
    assert [row[6] for row in rows[1:]] == ["我的一张"]
    assert (await client.get(f"/points?member={outsider.id}")).status == 404
    everyone = await (await client.get("/points?member=x")).text()  # not a number: the whole ledger
    assert "我的一张" in everyone and "别人的一张" in everyone


def honoured(page: str) -> list[str]:
    """The names on a roll of honour, in its order."""
    return [unescape(name) for name in re.findall(r'<span class="honour-name">([^<]*)</span>', page)]


async def test_the_roll_of_honour_names_who_earned_the_award_branch_by_branch(as_user, org):
    seven = await factories.member(org.nanyuan_1, "七张")
    six = await factories.member(org.nanyuan_1, "六张")
    nine = await factories.member(org.nanyuan_2, "九张<b>")
    shy = await factories.member(org.nanyuan_2, "不愿具名")
    far = await factories.member(org.xinfeng_1, "新风八张")
    for unit, member, count in ((org.nanyuan_1, seven, 7), (org.nanyuan_1, six, 6), (org.nanyuan_2, nine, 9),
                                (org.nanyuan_2, shy, 8), (org.xinfeng_1, far, 8)):
        await give(unit, member, count)
    await give(org.nanyuan_1, six, 3, year=YEAR - 1)
    await set_leaderboard_opt_out(shy, True)

    community = await as_user("nanyuan")
    leaderboard_page = await (await community.get("/points/leaderboard")).text()
    assert f'href="/points/honour-roll?org={org.nanyuan.id}&amp;year={YEAR}"' in leaderboard_page
    assert zh("Members who chose not to appear by name are shown to other members as “a member”, "
              "and only counted on the printed roll of honour.") in unescape(leaderboard_page)
    response = await community.get("/points/honour-roll")
    assert response.status == 200
    page = await response.text()
    assert zh("Roll of honour: {award}, {year}", award="奉献奖", year=YEAR) in unescape(page)
    assert 'class="site-nav' not in page and "<nav" not in page  # a page to print, no panel menu
    assert honoured(page) == ["七张", "九张<b>"]  # 第一支部 first; 6 cards is not more than 6
    assert "九张&lt;b&gt;" in page
    assert page.index("第一支部") < page.index("七张") < page.index("第二支部") < page.index("九张")
    assert zh("{count} more members earned the award and chose not to be named.", count=1) in page
    assert "不愿具名" not in page and "新风八张" not in page
    assert zh("As of {date}: the year is not over yet.", date=local_today().isoformat()) in page

    last_year = await (await community.get("/points/honour-roll", params={"year": str(YEAR - 1)})).text()
    assert "honour-name" not in last_year  # 3 cards that year
    assert zh("Nobody earned the award in {year}.", year=YEAR - 1) in last_year
    assert zh("As of {date}: the year is not over yet.", date=local_today().isoformat()) not in last_year

    # A unit's own rule counts for its branch, and is said there.
    await AwardRule.create(name="支部之星", threshold=5, org=org.nanyuan_1)
    page = await (await community.get("/points/honour-roll")).text()
    assert honoured(page) == ["七张", "六张", "九张<b>"]
    assert "支部之星: " + zh("More than {count} cards in the calendar year earns the award.", count=5) in page

    assert (await community.get("/points/honour-roll", params={"org": str(org.xinfeng.id)})).status == 404
    awards_page = await (await community.get("/points/awards", params={"org": str(org.nanyuan_2.id)})).text()
    assert f'href="/points/honour-roll?org={org.nanyuan_2.id}&amp;year={YEAR}"' in awards_page
    second = await (await community.get("/points/honour-roll", params={"org": str(org.nanyuan_2.id)})).text()
    assert honoured(second) == ["九张<b>"]

    # Above the communities, each branch is named with its community.
    street = await as_user("street")
    whole = unescape(await (await street.get("/points/honour-roll")).text())
    assert "新风八张" in whole
    assert whole.index("南园社区 第一支部") < whole.index("七张") < whole.index("新风社区 第一支部") < whole.index("新风八张")
    branch = await as_user("branch1")
    mine = await (await branch.get("/points/honour-roll")).text()
    assert honoured(mine) == ["七张", "六张"]
    assert "九张" not in mine and zh("{count} more members earned the award and chose not to be named.", count=1) not in mine


async def test_a_public_link_shares_the_roll_of_honour_until_it_is_revoked(as_user, make_client, org):
    await give(org.nanyuan_1, await factories.member(org.nanyuan_1, "七张", phone="13812345678"), 7)
    shy = await factories.member(org.nanyuan_2, "不愿具名")
    await give(org.nanyuan_2, shy, 8)
    await set_leaderboard_opt_out(shy, True)
    await give(org.xinfeng_1, await factories.member(org.xinfeng_1, "新风八张"), 8)

    community = await as_user("nanyuan")
    leaderboard_page = await (await community.get("/points/leaderboard")).text()
    share = f"/points/honour-roll/links?org={org.nanyuan.id}&year={YEAR}"
    assert f'href="{share.replace("&", "&amp;")}"' in leaderboard_page
    awards_page = await (await community.get("/points/awards", params={"org": str(org.nanyuan_2.id)})).text()
    assert f'href="/points/honour-roll/links?org={org.nanyuan_2.id}&amp;year={YEAR}"' in awards_page
    page = await (await community.get(share)).text()
    assert zh("No public link yet.") in page

    created = await post_form(community, share, "/points/honour-roll/links",
                              {"org": str(org.nanyuan.id), "year": str(YEAR)})
    assert created.status == 303 and created.headers["Location"] == share + "#links"
    link = await HonourRollLink.get(unit_id=org.nanyuan.id, year=YEAR)
    address = f"/public/honour-roll/{link.token}"
    assert f"{address}\"" in await (await community.get(share)).text()
    assert await AuditEntry.filter(action="honour_roll_link.create", object_id=str(link.id)).count() == 1

    public = await make_client()  # nobody logged in
    response = await public.get(address, allow_redirects=False)
    assert response.status == 200
    roll = await response.text()
    assert honoured(roll) == ["七张"]  # the unit's roll: not 新风社区's member
    assert zh("{count} more members earned the award and chose not to be named.", count=1) in roll
    assert "不愿具名" not in roll and "13812345678" not in roll
    assert 'class="site-nav' not in roll and "<nav" not in roll

    # Another community's secretary can neither see nor revoke the link, nor share a unit out of scope.
    xinfeng = await factories.admin("xinfeng", Role.COMMUNITY_SECRETARY, org.xinfeng)
    assert xinfeng.username == "xinfeng"
    other = await make_client()
    assert (await login(other, "xinfeng")).status == 303
    assert (await other.get(share)).status == 404
    forged = await post_form(other, "/points/honour-roll/links", f"/points/honour-roll/links/{link.id}/revoke")
    assert forged.status == 404
    outside = await post_form(other, "/points/honour-roll/links", "/points/honour-roll/links",
                              {"org": str(org.nanyuan.id), "year": str(YEAR)})
    assert outside.status == 404
    assert await HonourRollLink.all().count() == 1
    # Read-only staff see the links but cannot make one.
    staff = await as_user("staff")
    staff_page = await (await staff.get(share)).text()
    assert address in staff_page and "/points/honour-roll/links\"" not in staff_page
    refused = await post_form(staff, share, "/points/honour-roll/links", {"org": str(org.nanyuan.id), "year": str(YEAR)})
    assert refused.status == 403
    no_token = await community.post("/points/honour-roll/links", data={"org": str(org.nanyuan.id), "year": str(YEAR)},
                                    allow_redirects=False)
    assert no_token.status == 403  # CSRF
    assert await HonourRollLink.all().count() == 1

    revoked = await post_form(community, share, f"/points/honour-roll/links/{link.id}/revoke")
    assert revoked.status == 303
    assert await AuditEntry.filter(action="honour_roll_link.revoke", object_id=str(link.id)).count() == 1
    gone = await public.get(address, allow_redirects=False)
    assert gone.status == 404
    assert zh("This roll of honour does not exist or its link has been withdrawn.") in await gone.text()
    assert "七张" not in await gone.text()
    again = await post_form(community, share, f"/points/honour-roll/links/{link.id}/revoke")
    assert again.status == 400 and zh("This link has already been revoked.") in await again.text()
    assert (await public.get("/public/honour-roll/not-a-token", allow_redirects=False)).status == 404
