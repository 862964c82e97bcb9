"""The panel's home page: counts and charts for the user's scope, each linking to its list."""

from __future__ import annotations

import re
from html import unescape

from models.audit import Actor
from models.clock import current_year
from models.pledges import ItemKind, add_item, pledge_for, submit
from models.points import CardSource, award_card
from models.wishes import submit_wish
from tests import factories
from tests.admin.conftest import zh


def count(html: str, href: str) -> int:
    match = re.search(rf'<a href="{re.escape(href)}"><span class="dashboard-count">(\d+)</span>', html)
    assert match, href
    return int(match.group(1))


async def _data(org):
    scope = await factories.scope_of(org.nanyuan, "nanyuan_secretary")
    xinfeng_scope = await factories.scope_of(org.xinfeng, "xinfeng_secretary")
    doctor = await factories.in_service_member(org.nanyuan_1, "医生", occupation="医生", management_category="city")
    await factories.confirmed_registration(doctor, org.nanyuan, scope)
    odd = await factories.in_service_member(org.xinfeng_1, "怪人", occupation="<script>alert(1)</script>")
    await factories.confirmed_registration(odd, org.xinfeng, xinfeng_scope)
    await factories.member(org.xinfeng_1, "退休老党员")
    pledge = await pledge_for(doctor, current_year(), Actor(member=doctor))
    await add_item(pledge, ItemKind.DUTY, "做好本职工作", Actor(member=doctor))
    await submit(pledge, Actor(member=doctor))
    await factories.published_wish(org.nanyuan)
    await submit_wish(org.xinfeng, "修路灯", Actor.system("tests"), resident_name="李大爷")
    await award_card(doctor, CardSource.MANUAL, None, Actor(admin=scope.user), reason="义诊")
    return doctor


async def test_street_dashboard_counts_everything_with_links(org, as_user):
    await _data(org)
    client = await as_user("street")
    response = await client.get("/")
    assert response.status == 200
    html = await response.text()
    year = current_year()
    assert count(html, "/members") == 3
    assert count(html, "/community/registrations?status=confirmed") == 2
    assert count(html, f"/pledges?year={year}&amp;status=submitted") == 1
    assert count(html, "/wishes?status=collected") == 1
    # Bars: each a link to the filtered list behind it.
    assert (f'<a href="/community/registrations?status=confirmed&amp;community={org.nanyuan.id}">'
            '<g class="chart-item"><title>南园社区: 1</title>') in html
    assert f'<a href="/members?org={org.xinfeng.id}"><g class="chart-item"><title>新风社区: 2</title>' in html
    assert (f'<a href="/pledges?year={year}&amp;status=submitted"><g class="chart-item">'
            f'<title>{zh("Awaiting review")}: 1</title>') in html
    assert f'<a href="/members?category=city"><g class="chart-item"><title>{zh("City-managed")}: 1</title>' in html
    assert '<a href="/wishes?status=published"><g class="chart-item">' in html
    # A member's occupation is escaped like every label.
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: 1" in html


async def test_community_secretary_counts_only_their_community(org, as_user):
    await _data(org)
    client = await as_user("nanyuan")
    html = await (await client.get("/")).text()
    assert count(html, "/members") == 1
    assert count(html, "/community/registrations?status=confirmed") == 1
    assert count(html, "/wishes?status=collected") == 0
    assert "新风社区" not in html and "script" not in html
    assert '<title>南园社区: 1</title>' in html
    cards = html.split(zh("Cards issued per month this year"), 2)[2]
    assert '<text x="' in cards and 'class="chart-value">1</text>' in cards


async def test_branch_secretary_and_staff_see_their_scope(org, as_user):
    await _data(org)
    branch = await as_user("branch1")
    html = await (await branch.get("/")).text()
    assert count(html, "/members") == 1
    staff = await as_user("staff")
    html = unescape(await (await staff.get("/")).text())
    assert zh("Overview") in html
    assert count(html, "/members") == 3


async def test_home_needs_a_login(make_client, org):
    client = await make_client()
    response = await client.get("/", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/login"


_FIGURE_RE = re.compile(r'<a href="([^"]+)"><span class="dashboard-count">(\d+)</span>')
_BAR_RE = re.compile(r'<a href="([^"]+)"><g class="chart-item"><title>([^<]*): (\d+)</title>')
_SUMMARY_RE = re.compile(r'<p class="list-summary">([^<]*)</p>')


async def test_every_figure_opens_a_list_of_that_many_records(org, as_user):
    """Occupations that contain one another (教师, 退休教师) and a member reporting to
    another community than their branch's: each figure and bar still opens its own rows."""
    await _data(org)
    nanyuan = await factories.scope_of(org.nanyuan, "nanyuan_2nd")
    xinfeng = await factories.scope_of(org.xinfeng, "xinfeng_2nd")
    teacher = await factories.in_service_member(org.nanyuan_1, "教师甲", occupation="教师")
    await factories.member(org.nanyuan_2, "教师乙", occupation="退休教师", skills="教师培训")
    await factories.confirmed_registration(teacher, org.xinfeng, xinfeng)  # lives elsewhere
    engineer = await factories.in_service_member(org.nanyuan_2, "工程师丙", occupation="工程师")
    await factories.confirmed_registration(engineer, org.nanyuan, nanyuan)
    await factories.in_service_member(org.nanyuan_2, "工程师丁", occupation="工程师")

    for user in ("street", "nanyuan", "branch1", "staff"):
        client = await as_user(user)
        home = await (await client.get("/")).text()
        figures = [(unescape(href), int(n)) for href, n in _FIGURE_RE.findall(home)]
        figures += [(unescape(href), int(n)) for href, _, n in _BAR_RE.findall(home)]
        assert figures, user
        for href, expected in figures:
            listing = await (await client.get(href)).text()
            assert _SUMMARY_RE.search(listing).group(1) == zh("{count} records", count=expected), (
                user, href)
