"""Weekly and yearly reports: the figures of a fixed week, idle units, a double run."""

from __future__ import annotations

import pytest

from datetime import UTC, date, datetime

from models.org import WorkUnit
from models.wishes import Wish
from models.reports import Report, ReportKind, build_weekly_reports, build_yearly_report, previous_week
from tests import factories
from tests.report_data import EXPECTED_TOTAL, NOW, WEEK_END, WEEK_START, build_week, shanghai  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("shanghai")


def _row(rows, name):
    return next(row for row in rows if row["name"] == name)


async def test_previous_week_runs_monday_to_monday_in_local_time():
    assert previous_week(NOW) == (WEEK_START, WEEK_END)
    # Sunday 23:30 in Shanghai is still the week of 9 March: its previous week starts on 2 March.
    from tests.report_data import LAST_MINUTE
    assert previous_week(LAST_MINUTE) == (date(2026, 3, 2), date(2026, 3, 9))


async def test_weekly_report_counts_the_week_per_unit(org):
    await build_week(org)
    reports = await build_weekly_reports(now=NOW)
    by_unit = {report.org_id: report for report in reports}
    assert set(by_unit) == {org.district.id, org.street.id, org.nanyuan.id, org.xinfeng.id}
    street = by_unit[org.street.id]
    assert (street.kind, street.period_start, street.period_end) == (ReportKind.WEEKLY, WEEK_START, WEEK_END)
    assert street.data["total"] == EXPECTED_TOTAL
    assert by_unit[org.district.id].data["total"] == EXPECTED_TOTAL
    assert _row(street.data["streets"], "东风街道")["counts"] == EXPECTED_TOTAL
    assert _row(street.data["communities"], "南园社区")["counts"] == EXPECTED_TOTAL
    assert not any(_row(street.data["communities"], "新风社区")["counts"].values())

    hospital = _row(street.data["work_units"], "市第一医院")["counts"]
    assert hospital == {**EXPECTED_TOTAL, "activities_held": 0, "wishes_collected": 0,
                        "wishes_published": 0, "wishes_overdue": 0}
    assert not any(_row(street.data["work_units"], "区税务局")["counts"].values())

    nanyuan = by_unit[org.nanyuan.id].data
    assert nanyuan["total"] == EXPECTED_TOTAL
    assert [row["name"] for row in nanyuan["communities"]] == ["南园社区"]
    xinfeng = by_unit[org.xinfeng.id].data
    assert not any(xinfeng["total"].values())


async def test_idle_communities_and_work_units_are_listed(org):
    await build_week(org)
    await WorkUnit.create(name="无人单位")  # no members in the organisation: not listed
    reports = {report.org_id: report for report in await build_weekly_reports(now=NOW)}
    street = reports[org.street.id].data
    assert street["idle_communities"] == [{"id": org.xinfeng.id, "name": "新风社区"}]
    assert [unit["name"] for unit in street["idle_work_units"]] == ["区税务局"]
    assert reports[org.nanyuan.id].data["idle_communities"] == []
    assert [unit["name"] for unit in reports[org.xinfeng.id].data["idle_work_units"]] == ["区税务局"]


async def test_a_quiet_week_lists_everything_as_idle(org):
    await build_week(org)
    reports = {r.org_id: r for r in await build_weekly_reports(date(2026, 2, 16))}
    street = reports[org.street.id].data
    assert not any(street["total"].values())
    assert {c["name"] for c in street["idle_communities"]} == {"南园社区", "新风社区"}
    assert {w["name"] for w in street["idle_work_units"]} == {"市第一医院", "区税务局"}


async def test_a_second_run_stores_nothing_twice(org):
    await build_week(org)
    first = await build_weekly_reports(now=NOW)
    second = await build_weekly_reports(now=NOW)
    assert [r.id for r in first] == [r.id for r in second]
    assert await Report.filter(kind=ReportKind.WEEKLY).count() == 4


async def test_build_for_a_chosen_week_under_a_unit(org):
    await build_week(org)
    reports = await build_weekly_reports(date(2026, 3, 12), under=org.nanyuan)  # any day of the week
    assert [(r.org_id, r.period_start) for r in reports] == [(org.nanyuan.id, WEEK_START)]


async def test_yearly_report_sums_the_months(org):
    await build_week(org)
    report = await build_yearly_report(org.street, 2026)
    assert report.kind == ReportKind.YEARLY
    assert (report.period_start, report.period_end) == (date(2026, 1, 1), date(2027, 1, 1))
    data = report.data
    march = data["months"][2]["counts"]
    assert march["registrations_submitted"] == 2  # the one of the week and the one before it
    assert data["total"]["registrations_submitted"] == 2
    assert data["total"]["cards_issued"] == 3
    assert data["total"]["wishes_overdue"] == 1
    assert sum(m["counts"]["cards_issued"] for m in data["months"]) == 3
    again = await build_yearly_report(org.street, 2026)
    assert again.id == report.id
    assert await Report.filter(kind=ReportKind.YEARLY).count() == 1


async def test_a_deadline_still_ahead_is_not_overdue_in_this_years_report(org):
    """The year is not over: a wish due later this month has not been missed (yet)."""
    wish = await factories.published_wish(org.nanyuan, "修门锁")
    await Wish.filter(id=wish.id).update(deadline=date(2026, 3, 20))
    wednesday = datetime(2026, 3, 18, 2, 0, tzinfo=UTC)
    report = await build_yearly_report(org.street, 2026, now=wednesday)
    assert report.data["total"]["wishes_overdue"] == 0
    after = await build_yearly_report(org.street, 2026, now=datetime(2026, 3, 21, 2, 0, tzinfo=UTC))
    assert after.data["total"]["wishes_overdue"] == 1
    assert after.data["months"][2]["counts"]["wishes_overdue"] == 1


async def test_reports_and_dashboard_figures_on_postgres(pg_db):
    """The grouped queries (DISTINCT, GROUP BY over joins) are valid PostgreSQL too."""
    from admin.views.dashboard import dashboard_data
    from models.scope import Scope
    from models.admins import AdminUser
    from tests import factories

    org = await factories.org_tree()
    await build_week(org)
    reports = {r.org_id: r for r in await build_weekly_reports(now=NOW)}
    assert reports[org.street.id].data["total"] == EXPECTED_TOTAL
    assert [w["name"] for w in reports[org.street.id].data["idle_work_units"]] == ["区税务局"]
    yearly = await build_yearly_report(org.nanyuan, 2026)
    assert yearly.data["total"]["cards_issued"] == 3
    scope = await Scope.of(await AdminUser.get(username="nanyuan_secretary"))
    data = await dashboard_data(scope, lambda message: message)
    assert [(label, value) for label, value, _href in data["counts"]][0] == ("Members", 2)


async def test_an_activity_still_ahead_is_not_held_in_this_years_report(org):
    """Activities planned for later this year have not been held (yet)."""
    scope = await factories.scope_of(org.nanyuan, "nanyuan_secretary")
    wednesday = datetime(2026, 3, 18, 2, 0, tzinfo=UTC)
    await factories.activity(scope, org.nanyuan, starts_at=datetime(2026, 3, 25, 1, 0, tzinfo=UTC),
                             now=wednesday)
    report = await build_yearly_report(org.street, 2026, now=wednesday)
    assert report.data["total"]["activities_held"] == 0
    after = await build_yearly_report(org.street, 2026, now=datetime(2026, 3, 25, 1, 30, tzinfo=UTC))
    assert after.data["total"]["activities_held"] == 1
    assert after.data["months"][2]["counts"]["activities_held"] == 1
