"""Excel exports: the download holds exactly the current filtered, searched and sorted view,
fetched and written in chunks (small chunks here, so that several are exercised)."""

from __future__ import annotations

import re
from html import unescape

import pytest
import pytest_asyncio

import admin.excel
import admin.listing
from models.admins import Role
from models.audit import Actor
from models.pledges import ItemKind, add_item, pledge_for, submit
from tests import factories
from tests.admin.conftest import listed_names, read_xlsx

_OWNER_RE = re.compile(r'<td data-column="owner">\s*<a href="/pledges/\d+">([^<]*)</a>')


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
        if f'rel="next"' not in html:
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


async def test_export_of_a_big_list_is_chunked(as_user, org, monkeypatch):
    """Rows reach the workbook chunk by chunk, never the whole list at once."""
    for n in range(23):
        await factories.member(org.nanyuan_1, f"党员{n:02d}")
    sizes: list[int] = []
    original = admin.excel._append

    def spy(sheet, rows):
        sizes.append(len(rows))
        original(sheet, rows)

    monkeypatch.setattr(admin.excel, "_append", spy)
    client = await as_user("street")
    rows = read_xlsx(await (await client.get("/members/export.xlsx")).read())
    assert len(rows) == 24
    assert sizes == [1, 5, 5, 5, 5, 3]  # the header, then chunks of CHUNK_ROWS


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
