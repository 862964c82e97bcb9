"""A section's tabs mark the page being shown (aria-current), and only it."""

from __future__ import annotations

import re

import pytest

_CURRENT_RE = re.compile(r'<a href="([^"]+)" aria-current="page">')


@pytest.mark.parametrize("path", [
    "/points", "/points/awards", "/points/leaderboard",
    "/community", "/community/registrations", "/community/registrations/stats",
    "/community/posts", "/community/teams", "/community/activities", "/community/series",
    "/pledges", "/pledges/review", "/reports", "/reports/yearly",
])
async def test_the_current_tab_is_marked(as_user, org, path):
    client = await as_user("nanyuan")
    response = await client.get(path)
    assert response.status == 200
    nav = re.search(r'<nav class="sub-nav".*?</nav>', await response.text(), re.S).group(0)
    assert _CURRENT_RE.findall(nav) == [path]
