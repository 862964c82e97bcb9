"""A stored report as an Excel workbook: one sheet per table, written like every export
(``admin.excel``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from aiohttp import web

from admin.excel import Sheet, xlsx_sheets_response
from locales import N_
from models.reports import METRICS, Report


def report_tables(report: Report, gettext: Callable[[str], str]) -> list[tuple[str, list[Sequence]]]:
    """The sheets of ``report``: (title, rows with a header row first)."""
    _ = gettext
    data = report.data
    metrics = [m for m in data.get("metrics", METRICS) if m in METRICS]
    metric_names = [_(METRICS[m]) for m in metrics]

    def unit_rows(rows: list[dict], *extra: tuple[str, str]) -> list[Sequence]:
        header = [_(N_("Name of the unit")), *(_(label) for _key, label in extra), *metric_names]
        return [header] + [
            [row["name"], *(row.get(key, "") for key, _label in extra), *(row["counts"].get(m, 0) for m in metrics)]
            for row in rows
        ]

    period = f"{report.period_start.isoformat()} – {(report.period_end - timedelta(days=1)).isoformat()}"
    summary = [
        [_(N_("Report")), _(N_("Organisation")), _(N_("Period"))],
        [_(report_kind_label(report)), data["unit"]["name"], period],
        [],
        [_(N_("Figure")), _(N_("Count"))],
        *([_(METRICS[m]), data["total"].get(m, 0)] for m in metrics),
    ]
    sheets = [(_(N_("Summary")), summary)]
    if data.get("months"):
        months = [[_(N_("Month")), *metric_names]] + [
            [row["month"], *(row["counts"].get(m, 0) for m in metrics)] for row in data["months"]
        ]
        sheets.append((_(N_("By month")), months))
    if data.get("streets"):
        sheets.append((_(N_("Sub-districts")), unit_rows(data["streets"])))
    sheets.append((_(N_("Communities")), unit_rows(data["communities"], ("street", N_("Sub-district")))))
    sheets.append((_(N_("Work units")), unit_rows(data["work_units"])))
    idle = [[_(N_("Kind")), _(N_("Name of the unit"))]]
    idle += [[_(N_("Community")), row["name"]] for row in data["idle_communities"]]
    idle += [[_(N_("Work unit")), row["name"]] for row in data["idle_work_units"]]
    sheets.append((_(N_("No activity")), idle))
    return sheets


def report_kind_label(report: Report) -> str:
    from models.reports import REPORT_KIND_LABELS

    return REPORT_KIND_LABELS[report.kind]


async def report_xlsx_response(
    request: web.Request, report: Report, gettext: Callable[[str], str]
) -> web.StreamResponse:
    name = f"report-{report.kind}-{report.org_id}-{report.period_start.isoformat()}.xlsx"
    sheets = [Sheet(header=rows[0], rows=rows[1:], title=title)
              for title, rows in report_tables(report, gettext)]
    return await xlsx_sheets_response(request, name, sheets)
