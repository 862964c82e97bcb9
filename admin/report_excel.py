"""A stored report as an Excel workbook: one sheet per table, built off the event loop."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence
from datetime import timedelta

from aiohttp import web
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from locales import N_
from models.reports import METRICS, Report

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value: object) -> object:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def report_tables(report: Report, gettext: Callable[[str], str]) -> list[tuple[str, list[Sequence]]]:
    """The sheets of ``report``: (title, rows with a header row first)."""
    _ = gettext
    data = report.data
    metrics = [m for m in data.get("metrics", METRICS) if m in METRICS]
    metric_names = [_(METRICS[m]) for m in metrics]

    def unit_rows(rows: list[dict], *extra: tuple[str, str]) -> list[Sequence]:
        header = [_(N_("Name")), *(_(label) for _key, label in extra), *metric_names]
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
    idle = [[_(N_("Kind")), _(N_("Name"))]]
    idle += [[_(N_("Community")), row["name"]] for row in data["idle_communities"]]
    idle += [[_(N_("Work unit")), row["name"]] for row in data["idle_work_units"]]
    sheets.append((_(N_("No activity")), idle))
    return sheets


def report_kind_label(report: Report) -> str:
    from models.reports import REPORT_KIND_LABELS

    return REPORT_KIND_LABELS[report.kind]


def workbook_bytes(sheets: list[tuple[str, list[Sequence]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        # Sheet titles: at most 31 characters, none of []:*?/\ .
        safe = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet"
        sheet = workbook.create_sheet(safe)
        for row_number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                cell = sheet.cell(row=row_number, column=column, value=_text(value))
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # a unit named "=HYPERLINK(...)" stays text, not a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def report_xlsx_response(report: Report, gettext: Callable[[str], str]) -> web.Response:
    body = await asyncio.to_thread(workbook_bytes, report_tables(report, gettext))
    name = f"report-{report.kind}-{report.org_id}-{report.period_start.isoformat()}.xlsx"
    return web.Response(body=body, headers={
        "Content-Type": XLSX_TYPE, "Content-Disposition": f'attachment; filename="{name}"',
    })
