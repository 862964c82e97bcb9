"""Reports in the panel: the history of weekly reports, one report's tables, its Excel file,
building a past week's report now, and the yearly report (服务群众情况年报).

Reports are reached through ``Scope.reports()``: a community secretary sees their
community's reports, a sub-district user the sub-district's and its communities'.
"""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web

from admin.auth import current_scope
from admin.forms import FormState, int_or_none, path_id, see_other
from admin.i18n import gettext_of
from admin.listing import Column, Filter, ListSpec, label_options, org_filter
from admin.report_excel import report_xlsx_response
from admin.templating import render
from locales import N_
from models import clock
from models.reports import (
    METRICS,
    REPORT_KIND_LABELS,
    Report,
    build_weekly_reports,
    build_yearly_report,
    week_of,
)

FIRST_YEAR = 2000


def report_path(report_id: int) -> str:
    return f"/reports/{report_id}"


def _period(report: Report) -> str:
    return f"{report.period_start.isoformat()} – {report.last_day.isoformat()}"


REPORT_LIST = ListSpec(
    name="reports",
    columns=(
        Column("period", N_("Period"), _period, sort=("period_start",), href=lambda r: report_path(r.id)),
        Column("kind", N_("Report"), lambda r: REPORT_KIND_LABELS[r.kind], translate=True, sort=("kind",)),
        Column("org", N_("Organisation"), lambda r: r.org.name, sort=("org__path",)),
        Column("created", N_("Built on"), lambda r: r.created_at, sort=("created_at",)),
    ),
    default_sort="-period",
    filters=(
        Filter("kind", N_("Report"), label_options(REPORT_KIND_LABELS),
               lambda qs, value: qs.filter(kind=value)),
        org_filter("org__path"),
    ),
    search_fields=("org__name",),
    select_related=("org",),
)


def _last_full_week_start() -> date:
    this_monday, _ = week_of(clock.local_today())
    return this_monday - timedelta(days=7)


async def _list_page(request: web.Request, form: FormState | None = None, status: int = 200) -> web.Response:
    scope = current_scope(request)
    listing = await REPORT_LIST.bind(request, scope.reports())
    form = form or FormState(values={"week": _last_full_week_start().isoformat()})
    return render(request, "reports/list.html", {
        "listing": listing, "page": await listing.page(), "form": form,
        "year": clock.current_year(),
    }, status=status)


async def report_list(request: web.Request) -> web.StreamResponse:
    return await _list_page(request)


async def report_export(request: web.Request) -> web.StreamResponse:
    listing = await REPORT_LIST.bind(request, current_scope(request).reports())
    return await listing.export()


async def build_now(request: web.Request) -> web.StreamResponse:
    """Build (once) the report of a past week for the user's unit and the units below it."""
    scope = current_scope(request)
    scope.require_write()
    form = await request.post()
    value = str(form.get("week", "")).strip()
    gettext = gettext_of(request)
    state = FormState(values={"week": value})
    try:
        day = date.fromisoformat(value)
    except ValueError:
        state.errors["week"] = gettext(N_("Enter a date, e.g. 2026-03-09."))
        return await _list_page(request, state, status=400)
    start, end = week_of(day)
    if end > week_of(clock.local_today())[0]:
        state.errors["week"] = gettext(N_("Only a week that is over can be reported."))
    elif start.year < FIRST_YEAR:
        state.errors["week"] = gettext(N_("Choose a week from {year} on.")).format(year=FIRST_YEAR)
    elif not scope.has_reports:
        state.errors["week"] = gettext(N_("Reports are kept for districts, sub-districts and communities."))
    if state.has_errors:
        return await _list_page(request, state, status=400)
    reports = await build_weekly_reports(start, under=scope.org)
    own = next((report for report in reports if report.org_id == scope.org.id), None)
    return see_other(report_path(own.id) if own else "/reports")


def _tables_context(report: Report) -> dict:
    data = report.data
    metrics = [m for m in data.get("metrics", METRICS) if m in METRICS]
    return {"report": report, "data": data, "metrics": metrics, "metric_labels": METRICS,
            "kind_label": REPORT_KIND_LABELS[report.kind]}


async def report_detail(request: web.Request) -> web.StreamResponse:
    report = await current_scope(request).report(path_id(request, "report_id"))
    await report.fetch_related("org")
    return render(request, "reports/detail.html", _tables_context(report))


async def report_download(request: web.Request) -> web.StreamResponse:
    report = await current_scope(request).report(path_id(request, "report_id"))
    return await report_xlsx_response(request, report, gettext_of(request))


async def yearly_report(request: web.Request) -> web.StreamResponse:
    """The year's report of the user's unit, counted afresh (the year may still be running)."""
    scope = current_scope(request)
    this_year = clock.current_year()
    raw = request.query.get("year", "")
    year = int_or_none(raw) if raw else this_year
    years = list(range(this_year, FIRST_YEAR - 1, -1))
    context = {"years": years, "year": year, "error": None, "report": None}
    if year is None or not FIRST_YEAR <= year <= this_year:
        context["error"] = N_("Choose a year between {first} and {last}.")
        context["year"] = this_year
        return render(request, "reports/yearly.html", {**context, "first": FIRST_YEAR, "last": this_year},
                      status=400)
    if not scope.has_reports:
        context["error"] = N_("Reports are kept for districts, sub-districts and communities.")
        return render(request, "reports/yearly.html", {**context, "first": FIRST_YEAR, "last": this_year})
    report = await build_yearly_report(scope.org, year)
    await report.fetch_related("org")
    return render(request, "reports/yearly.html", {
        **context, **_tables_context(report), "first": FIRST_YEAR, "last": this_year,
    })
