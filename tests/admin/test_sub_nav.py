"""A section's tabs mark the page being shown (aria-current), and only it."""

from __future__ import annotations

import re

import pytest

from models.clock import local_today
from tests.admin.conftest import post_form

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
    assert marked_tabs(await response.text()) == [path]


async def test_a_form_shown_again_with_its_error_keeps_its_tab(as_user, org):
    client = await as_user("nanyuan")
    response = await post_form(client, "/reports", "/reports/build", {"week": str(local_today())})
    assert response.status == 400  # this week has not ended: the list again, with the error
    assert marked_tabs(await response.text()) == ["/reports"]


def marked_tabs(page: str) -> list[str]:
    return _CURRENT_RE.findall(re.search(r'<nav class="sub-nav".*?</nav>', page, re.S).group(0))
