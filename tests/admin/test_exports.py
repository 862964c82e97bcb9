"""Excel exports: the download holds exactly the current filtered, searched and sorted view,
fetched and written in chunks (small chunks here, so that several are exercised)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

import admin.excel
import admin.listing
from models.admins import Role
from models.audit import Actor
from models.pledges import ItemKind, Pledge, add_item, pledge_for, submit
from tests import factories
from tests.admin.conftest import listed_names, read_xlsx

_OWNER_RE = re.compile(r'<td data-column="owner"[^>]*>\s*<a href="/pledges/\d+">([^<]*)</a>')


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(admin.listing, "CHUNK_ROWS", 7)
    monkeypatch.setattr(admin.excel, "CHUNK_ROWS", 5)


async def all_pages(client, url: str, params: dict, pattern) -> list[str]:
    names: list[str] = []
    page = 1
    while True:
        html = await (await client.get(url, params={**params, "page": str(page)})).text()
        found = pattern(html)
        names += found
        if 'rel="next"' not in html:
            return names
        page += 1


async def test_member_export_matches_the_filtered_sorted_list(as_user, org):
    for n in range(70):
        branch = (org.nanyuan_1, org.nanyuan_2, org.xinfeng_1)[n % 3]
        await factories.member(branch, f"党员{n:03d}", occupation="医生" if n % 2 else "教师",
                               member_type="retired" if n % 5 else "in_service")
    client = await as_user("street")
    views = [
        {},
        {"sort": "-name"},
        {"org": str(org.nanyuan.id), "sort": "branch"},
        {"q": "医生", "type": "retired", "sort": "-created"},
        {"org": str(org.xinfeng_1.id), "q": "党员0"},
    ]
    for params in views:
        shown = await all_pages(client, "/members", params, listed_names)
        response = await client.get("/members/export.xlsx", params=params)
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/vnd.openxml")
        rows = read_xlsx(await response.read())
        assert rows[0][0] == "姓名"
        assert [row[0] for row in rows[1:]] == shown, params
        assert shown  # every view above lists someone
    # A branch secretary's export holds their branch only, whatever the query asks for.
    branch = await as_user("branch1")
    rows = read_xlsx(await (await branch.get("/members/export.xlsx",
                                             params={"org": str(org.xinfeng_1.id)})).read())
    names = {row[0] for row in rows[1:]}
    assert names == {f"党员{n:03d}" for n in range(70) if n % 3 == 0}


async def test_pledge_export_matches_the_filtered_sorted_list(as_user, org):
    for n in range(30):
        member = await factories.member((org.nanyuan_1, org.xinfeng_1)[n % 2], f"成员{n:02d}")
        me = Actor(member=member)
        pledge = await pledge_for(member, 2026, me)
        await add_item(pledge, ItemKind.DUTY, "看望困难户" if n % 3 else "清理楼道", me)
        await add_item(pledge, ItemKind.PRACTICAL, f"实事{n}", me)
        if n % 4:
            await submit(pledge, me)
    client = await as_user("street")

    def owners(html: str) -> list[str]:
        return [unescape(name).strip() for name in _OWNER_RE.findall(html)]

    for params in ({}, {"sort": "-owner"}, {"q": "楼道"}, {"status": "submitted", "sort": "branch"},
                   {"org": str(org.xinfeng.id), "q": "实事"}):
        shown = await all_pages(client, "/pledges", params, owners)
        rows = read_xlsx(await (await client.get("/pledges/export.xlsx", params=params)).read())
        assert [row[0] for row in rows[1:]] == shown, params
        assert shown
        # Searching the items' text joins them, yet each pledge is one row.
        assert len(set(shown)) == len(shown)
    # Booleans as the reader's words, times on Shanghai's wall clock (Excel has no zones).
    rows = read_xlsx(await (await client.get("/pledges/export.xlsx", params={"status": "submitted"})).read())
    proxy, submitted = rows[0].index("代录"), rows[0].index("提交时间")
    assert {row[proxy] for row in rows[1:]} == {"否"}
    pledge = await Pledge.filter(member__name=rows[1][0]).get()
    local = pledge.submitted_at.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert abs(rows[1][submitted] - local) < timedelta(seconds=1)


async def test_export_of_a_big_list_is_chunked(as_user, org, monkeypatch):
    """Rows reach the writer process chunk by chunk, never the whole list at once."""
    for n in range(23):
        await factories.member(org.nanyuan_1, f"党员{n:02d}")
    sent: list[tuple] = []
    original = admin.excel._send

    async def spy(writer, message):
        sent.append(message)
        await original(writer, message)

    monkeypatch.setattr(admin.excel, "_send", spy)
    client = await as_user("street")
    rows = read_xlsx(await (await client.get("/members/export.xlsx")).read())
    assert len(rows) == 24
    # The reader's time zone and words for yes/no, then the header starts the sheet.
    assert sent[0] == ("local", "Asia/Shanghai", "是", "否")
    assert sent[1][0] == "sheet" and sent[1][2][0] == "姓名"
    assert [len(message[1]) for message in sent[2:-1]] == [5, 5, 5, 5, 3]  # chunks of CHUNK_ROWS
    assert sent[-1] == ("save",)
    assert [row[0] for row in rows[1:]] == [row[0] for message in sent[2:-1] for row in message[1]]


@pytest_asyncio.fixture
async def pg_street(pg_db, settings):
    """The street administrator's browser on a panel backed by PostgreSQL."""
    from aiohttp.test_utils import TestClient, TestServer

    from admin.app import create_admin_app
    from tests.admin.conftest import BOT_USERNAME, login

    tree = await factories.org_tree()
    await factories.admin("street", Role.STREET_ADMIN, tree.street)
    server = TestServer(create_admin_app(settings, bot_username=BOT_USERNAME))
    client = TestClient(server)
    await client.start_server()
    assert (await login(client, "street")).status == 303
    yield client, tree
    await client.close()


async def test_exports_and_new_lists_on_postgres(pg_street):
    """DISTINCT lists sorted by a related field, annotated award totals and the audit log on PostgreSQL."""
    client, tree = pg_street
    for n in range(9):
        member = await factories.member((tree.nanyuan_1, tree.xinfeng_1)[n % 2], f"成员{n}")
        me = Actor(member=member)
        pledge = await pledge_for(member, 2026, me)
        await add_item(pledge, ItemKind.DUTY, "清理楼道", me)
        await add_item(pledge, ItemKind.PRACTICAL, "清理楼道和车棚", me)
    for params in ({"q": "楼道", "sort": "-owner"}, {"q": "楼道", "sort": "branch"}):
        page = await client.get("/pledges", params=params)
        assert page.status == 200
        shown = [unescape(n).strip() for n in _OWNER_RE.findall(await page.text())]
        rows = read_xlsx(await (await client.get("/pledges/export.xlsx", params=params)).read())
        assert [row[0] for row in rows[1:]] == shown and len(shown) == 9
    for url in ("/points/awards", "/points/awards.xlsx", "/points/leaderboard", "/audit",
                "/audit/export.xlsx", "/points", "/points/export.xlsx"):
        assert (await client.get(url, params={"sort": "-cards"} if "awards" in url else {})).status == 200, url


async def test_statistics_and_sign_ups_export(as_user, org):
    """The two lists that are not ListSpec lists: statistics (one sheet per table) and sign-ups."""
    import io
    from datetime import UTC, datetime

    from openpyxl import load_workbook

    from models.registration import confirm_registration, register
    from models.signups import sign_up

    community = await factories.scope_of(org.nanyuan, "nanyuan-scope", Role.COMMUNITY_SECRETARY)
    worker = await factories.member(org.nanyuan_1, "王工", member_type="in_service", occupation="教师")
    await confirm_registration(await register(Actor(member=worker), org.nanyuan), community)
    client = await as_user("street")
    data = await (await client.get("/community/registrations/stats.xlsx")).read()
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    sheets = {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook}
    assert sheets["按社区"][1:] == [["南园社区", 1]]
    assert sheets["按职业"][1:] == [["教师", 1]]

    now = datetime.now(UTC)
    activity = await factories.activity(community, org.nanyuan, starts_at=now + timedelta(days=2), now=now,
                                        open_to_community=True)
    await sign_up(activity, worker, now=now)
    rows = read_xlsx(await (await client.get(f"/community/activities/{activity.id}/signups.xlsx")).read())
    assert rows[1][:2] == ["王工", "已报名"]
    local_now = now.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert abs(rows[1][2] - local_now) < timedelta(seconds=1)  # signed up: Shanghai's wall clock
    other = await as_user("branch1")  # below the community: activities are not in its scope
    assert (await other.get(f"/community/activities/{activity.id}/signups.xlsx")).status == 404


async def test_row_records_export_the_same_as_model_instances(as_user, org, monkeypatch):
    """The fast export (values() rows) writes exactly what the model-instance export writes."""
    from models.invites import redeem_invite
    from models.members import TelegramUser
    from models.org import WorkUnit
    from models.pledges import approve

    work = await WorkUnit.create(name="区卫健委")
    plain = await factories.member(org.nanyuan_1, "甲", occupation="医生")
    rich = await factories.member(org.xinfeng_1, "乙", phone="13900000000", member_type="in_service",
                                  residence_community=org.nanyuan.id, work_unit=work.name,
                                  building_unit="3幢2单元", skills="修水管", can_write="no")
    tg = await TelegramUser.create(id=4242, first_name="乙")
    await redeem_invite((await factories.invite(rich)).code, tg)
    for member in (plain, rich):
        me = Actor(member=member)
        pledge = await pledge_for(member, 2026, me)
        await add_item(pledge, ItemKind.DUTY, "看望困难户", me)
        await add_item(pledge, ItemKind.PRACTICAL, "修水管", me)
        await submit(pledge, me)
    await approve(pledge, await factories.scope_of(org.xinfeng_1, "x1", Role.BRANCH_SECRETARY))
    client = await as_user("street")
    urls = ["/members/export.xlsx", "/pledges/export.xlsx", "/points/awards.xlsx", "/audit/export.xlsx"]
    fast = [read_xlsx(await (await client.get(url)).read()) for url in urls]
    monkeypatch.setattr(admin.listing.Listing, "records", admin.listing.Listing.items)
    slow = [read_xlsx(await (await client.get(url)).read()) for url in urls]
    for url, a, b in zip(urls, fast, slow):
        assert a == b, url
    members = fast[0]
    assert any(row[0] == "乙" and "13900000000" in row and "区卫健委" in row for row in members)
    pledges = fast[1]
    assert all("看望困难户" in str(row) for row in pledges[1:])


async def test_list_pages_from_records_show_the_same_as_model_instances(as_user, org, monkeypatch):
    """A page read as values() records (``page_fields``) renders exactly as from model instances."""
    from models.invites import redeem_invite
    from models.members import TelegramUser
    from models.pledges import approve, branch_pledge_for
    from models.points import issue_manual_card, revoke_card

    scope = await factories.scope_of(org.xinfeng_1, "x1", Role.BRANCH_SECRETARY)
    bound = await factories.member(org.xinfeng_1, "乙", phone="13900000000", occupation="医生")
    await redeem_invite((await factories.invite(bound)).code, await TelegramUser.create(id=4243, first_name="乙"))
    members = [bound, *[await factories.member(org.nanyuan_1, f"丙{n}", can_write="no") for n in range(3)]]
    for index, member in enumerate(members):
        me = Actor(member=member)
        pledge = await pledge_for(member, 2026, me)
        await add_item(pledge, ItemKind.DUTY, "看望困难户", me)
        if index % 2 == 0:
            await submit(pledge, me)
    await approve(await pledge_for(bound, 2026, Actor(member=bound)), scope)
    await branch_pledge_for(org.nanyuan_1, 2026, Actor(admin=scope.user))
    card = await issue_manual_card(scope, bound.id, "扶老人过马路")
    await issue_manual_card(scope, bound.id, "清理楼道")
    await revoke_card(scope, card.id, "重复发放")
    client = await as_user("street")
    urls = ["/members", "/members?sort=-created", "/pledges", "/pledges?sort=-owner&status=submitted",
            "/pledges?sort=branch", "/pledges/review", "/points", "/points?sort=member",
            "/points/awards?year=2026", "/points/awards?year=2026&sort=name"]
    records = [await (await client.get(url)).text() for url in urls]
    monkeypatch.setattr(admin.listing.Listing, "_read", admin.listing.Listing._instances)
    instances = [await (await client.get(url)).text() for url in urls]
    for url, a, b in zip(urls, records, instances):
        assert _without_tokens(a) == _without_tokens(b), url
    assert "13900000000" in records[0] and "扶老人过马路" in records[6]


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)
