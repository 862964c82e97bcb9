"""Reports in the panel: history, one report's tables and Excel file, building a past week
now, the yearly report; each scoped (a community secretary sees only their community's)."""

from __future__ import annotations

import pytest

import io
import re
from html import unescape

from openpyxl import load_workbook

from models.reports import Report, ReportKind, build_weekly_reports
from tests.admin.conftest import post_form, zh
from tests.report_data import NOW, WEEK_START, build_week, shanghai  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("shanghai")


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="error-{field}">([^<]*)</p>', html)
    return unescape(match.group(1)) if match else ""


def total(html: str, metric: str) -> int:
    section = html.split('id="report-total"', 1)[1].split("</table>", 1)[0]
    return int(re.search(rf'data-metric="{metric}">(\d+)<', section).group(1))


def workbook(data: bytes) -> dict[str, list[list]]:
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


async def _week(org):
    await build_week(org)
    reports = await build_weekly_reports(now=NOW)
    return {report.org_id: report for report in reports}


async def test_history_is_scoped(org, as_user):
    reports = await _week(org)
    street = await as_user("street")
    html = await (await street.get("/reports")).text()
    for unit in (org.street, org.nanyuan, org.xinfeng):
        assert f'href="/reports/{reports[unit.id].id}"' in html
    assert f'href="/reports/{reports[org.district.id].id}"' not in html  # above the user

    nanyuan = await as_user("nanyuan")
    html = await (await nanyuan.get("/reports")).text()
    assert f'href="/reports/{reports[org.nanyuan.id].id}"' in html
    assert f'href="/reports/{reports[org.street.id].id}"' not in html
    assert f'href="/reports/{reports[org.xinfeng.id].id}"' not in html
    for other in (org.street, org.xinfeng, org.district):
        assert (await nanyuan.get(f"/reports/{reports[other.id].id}")).status == 404
        assert (await nanyuan.get(f"/reports/{reports[other.id].id}.xlsx")).status == 404
    assert (await nanyuan.get("/reports/999999")).status == 404

    export = await nanyuan.get("/reports/export.xlsx")
    rows = workbook(await export.read())
    assert len(next(iter(rows.values()))) == 2  # the header and the one report


async def test_report_page_shows_the_tables(org, as_user):
    reports = await _week(org)
    client = await as_user("street")
    response = await client.get(f"/reports/{reports[org.street.id].id}")
    assert response.status == 200
    html = await response.text()
    assert total(html, "cards_issued") == 2
    assert total(html, "wishes_overdue") == 1
    assert "2026-03-09 – 2026-03-15" in html
    # Rows are units: their column says 组织名称, not a person's 姓名.
    assert '<th scope="col">组织名称</th>' in html and "姓名" not in html
    idle = html.split('id="idle"', 1)[1].split("</section>", 1)[0]
    assert '<span class="badge idle-community">新风社区</span>' in idle
    assert '<span class="badge idle-work-unit">区税务局</span>' in idle
    assert "南园社区" not in idle and "市第一医院" not in idle


def work_units_header(sheets: dict) -> list:
    return sheets[zh("Work units")][0]


async def test_report_excel_has_the_same_figures(org, as_user):
    reports = await _week(org)
    client = await as_user("street")
    response = await client.get(f"/reports/{reports[org.street.id].id}.xlsx")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheets = workbook(await response.read())
    summary = sheets[zh("Summary")]
    assert summary[1][1] == "东风街道"
    figures = {row[0]: row[1] for row in summary[4:]}
    assert figures[zh("Cards issued")] == 2
    assert figures[zh("Pledges returned")] == 1
    communities = sheets[zh("Communities")]
    header = communities[0]
    assert header[0] == "组织名称" and work_units_header(sheets)[0] == "组织名称"
    nanyuan = next(row for row in communities if row[0] == "南园社区")
    assert nanyuan[header.index(zh("Attendances"))] == 1
    assert nanyuan[header.index(zh("Sub-district"))] == "东风街道"
    work_units = sheets[zh("Work units")]
    hospital = next(row for row in work_units if row[0] == "市第一医院")
    assert hospital[work_units[0].index(zh("Posts claimed"))] == 1
    idle = sheets[zh("No activity")]
    assert [zh("Community"), "新风社区"] in idle and [zh("Work unit"), "区税务局"] in idle


async def test_build_a_past_week_now_once(org, as_user):
    await build_week(org)
    client = await as_user("nanyuan")
    response = await post_form(client, "/reports", "/reports/build", {"week": "2026-03-12"})
    assert response.status == 303
    report = await Report.get(kind=ReportKind.WEEKLY, org_id=org.nanyuan.id)
    assert response.headers["Location"] == f"/reports/{report.id}"
    assert report.period_start == WEEK_START
    assert await Report.all().count() == 1  # only the user's own unit and below

    again = await post_form(client, "/reports", "/reports/build", {"week": "2026-03-09"})
    assert again.headers["Location"] == f"/reports/{report.id}"
    assert await Report.all().count() == 1


async def test_build_now_validates_the_week(org, as_user):
    client = await as_user("nanyuan")
    for value, message in (("", "Enter a date, e.g. 2026-03-09."), ("2026-13-01", "Enter a date, e.g. 2026-03-09."),
                           ("2999-01-04", "Only a week that is over can be reported.")):
        response = await post_form(client, "/reports", "/reports/build", {"week": value})
        assert response.status == 400
        assert field_error(await response.text(), "week") == zh(message)
    assert await Report.all().count() == 0


async def test_build_now_needs_a_report_unit_a_writer_and_csrf(org, as_user):
    branch = await as_user("branch1")
    html = await (await branch.get("/reports")).text()
    assert zh("Reports are kept for districts, sub-districts and communities.") in unescape(html)
    assert 'action="/reports/build"' not in html
    response = await post_form(branch, "/reports", "/reports/build", {"week": "2026-03-09"})
    assert response.status == 400

    staff = await as_user("staff")
    response = await post_form(staff, "/reports", "/reports/build", {"week": "2026-03-09"})
    assert response.status == 403

    street = await as_user("street")
    forged = await street.post("/reports/build", data={"week": "2026-03-09"}, allow_redirects=False)
    assert forged.status == 403
    assert await Report.all().count() == 0


async def test_yearly_report_for_the_users_unit(org, as_user):
    await build_week(org)
    client = await as_user("nanyuan")
    response = await client.get("/reports/yearly?year=2026")
    assert response.status == 200
    html = await response.text()
    assert total(html, "registrations_submitted") == 1  # 南园社区 only: 新风社区's is not counted
    report = await Report.get(kind=ReportKind.YEARLY)
    assert report.org_id == org.nanyuan.id
    assert f'href="/reports/{report.id}.xlsx"' in html

    sheets = workbook(await (await client.get(f"/reports/{report.id}.xlsx")).read())
    months = sheets[zh("By month")]
    assert len(months) == 13
    march = months[3]
    assert march[0] == 3 and march[months[0].index(zh("Cards issued"))] == 3  # with the manual one

    street = await as_user("street")
    await street.get("/reports/yearly?year=2026")
    street_report = await Report.get(kind=ReportKind.YEARLY, org_id=org.street.id)
    assert street_report.data["total"]["registrations_submitted"] == 2
    assert (await client.get(f"/reports/{street_report.id}")).status == 404


async def test_yearly_report_refuses_odd_years_and_branches(org, as_user):
    client = await as_user("street")
    for year in ("1999", "3000", "abc"):
        response = await client.get(f"/reports/yearly?year={year}")
        assert response.status == 400
    branch = await as_user("branch1")
    response = await branch.get("/reports/yearly")
    assert response.status == 200
    assert zh("Reports are kept for districts, sub-districts and communities.") in unescape(await response.text())
    assert await Report.all().count() == 0


async def test_account_links_the_users_own_member_record(org, as_user, admin):
    from models.admins import AdminUser
    from models.members import TelegramUser
    from tests import factories

    own = await factories.member(org.nanyuan_1, "南园书记")
    other = await factories.member(org.xinfeng_1, "别人")
    client = await as_user("nanyuan")
    response = await post_form(client, "/account", "/account", {"member_id": str(own.id)})
    assert response.status == 303
    assert (await AdminUser.get(username="nanyuan")).member_id == own.id
    html = unescape(await (await client.get("/account")).text())
    assert "南园书记" in html and zh("not bound to Telegram yet: issue yourself an invite on the member page") in html
    await TelegramUser.create(id=555, member=own)
    html = unescape(await (await client.get("/account")).text())
    assert zh("bound to Telegram: weekly reports reach you in the bot") in html

    for value in (str(other.id), "abc", "99999"):  # another community's member, junk, nobody
        response = await post_form(client, "/account", "/account", {"member_id": value})
        assert response.status == 400
        assert field_error(await response.text(), "member_id") == zh("No such member in your organisation.")
    assert (await AdminUser.get(username="nanyuan")).member_id == own.id

    await post_form(client, "/account", "/account", {"member_id": ""})
    assert (await AdminUser.get(username="nanyuan")).member_id is None
    forged = await client.post("/account", data={"member_id": str(own.id)}, allow_redirects=False)
    assert forged.status == 403
