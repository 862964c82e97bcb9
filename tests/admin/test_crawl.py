"""Every page a panel user can reach by following links renders: the demo district (a year of
pledges, wishes, registrations and cards), crawled from the home page as each role."""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest

from models.admins import Role
from models.demo import load_demo
from models.org import OrgUnit
from tests import factories
from tests.admin.conftest import login

PAGES_MAX = 250  # per role: enough to reach every kind of page of the demo
VARIANTS_MAX = 4  # query strings followed per path (filters, sorts, pages)
NOT_PAGES = (".xlsx", ".png", "/static/", "/logout", "/print")
_HREF_RE = re.compile(r'href="([^"#]+)"')


async def crawl(client) -> tuple[Counter, list[tuple[int, str]]]:
    """Follow the panel's own links breadth-first from "/"; the kinds of page seen (by path
    without ids) and every failed request."""
    base = str(client.make_url("/"))
    queue, seen, kinds, failed = ["/"], set(), Counter(), []
    variants: Counter = Counter()
    while queue and len(seen) < PAGES_MAX:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = await client.get(path, allow_redirects=False)
        body = await response.text()
        if response.status >= 500 or response.status == 404:
            failed.append((response.status, path))
        if response.status != 200 or not response.content_type.startswith("text/html"):
            continue
        kinds[re.sub(r"\d+", "N", path.split("?")[0])] += 1
        for href in _HREF_RE.findall(body):
            url = urlsplit(urljoin(base + path.lstrip("/"), unescape(href)))
            target = url.path + (f"?{url.query}" if url.query else "")
            if (url.netloc != urlsplit(base).netloc or any(part in url.path for part in NOT_PAGES)
                    or target in seen):
                continue
            if url.query:
                if variants[url.path] >= VARIANTS_MAX:
                    continue
                variants[url.path] += 1
            queue.append(target)
    return kinds, failed


@pytest.mark.parametrize("role, unit", [
    (Role.DISTRICT_ADMIN, "东风区委"),
    (Role.STREET_ADMIN, "东风街道"),
    (Role.COMMUNITY_SECRETARY, "南园社区"),
    (Role.BRANCH_SECRETARY, "南园社区/第一支部"),
    (Role.STAFF, "东风街道"),
])
async def test_every_page_a_role_reaches_renders(db, make_client, role, unit):
    await load_demo()  # its year happens in 南园社区
    *parents, name = unit.split("/")
    org = await OrgUnit.get(name=name, **({"parent__name": parents[0]} if parents else {}))
    await factories.admin("crawler", role, org)
    client = await make_client()
    assert (await login(client, "crawler")).status == 303

    kinds, failed = await crawl(client)
    assert failed == []
    # The crawl went through the sections of the panel and into records, not just the menu.
    for kind in ("/members/N", "/pledges/N", "/points", "/audit/N", "/reports"):
        assert kinds[kind], (kind, sorted(kinds))
