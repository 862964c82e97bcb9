"""Excel downloads: write-only workbooks filled chunk by chunk off the event loop, then streamed.

The one API every export uses::

    return await xlsx_response(request, "members-20260504.xlsx", header, rows)

``rows`` is an iterable or an *async* iterable of row sequences (plain values: str, int,
float, bool, date/datetime without tzinfo, None). Rows are consumed lazily in chunks of
:data:`CHUNK_ROWS`; each chunk is appended to an openpyxl ``write_only`` workbook in a
worker thread (openpyxl writes the sheet XML to a temporary file as it goes, so memory
stays flat whatever the row count), the workbook is saved to a temporary file, and that
file is streamed to the browser in 64 KiB pieces and deleted. For a database list, feed
rows from a generator that fetches the rows chunk by chunk (see ``admin.listing``).

Several sheets (e.g. a report with one sheet per unit) go through :func:`xlsx_sheets_response`
with :class:`Sheet` objects; :func:`write_xlsx` writes the same to a file for jobs that
store or send a workbook instead of answering a request.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_ROWS = 2000  # rows appended per trip to the worker thread
_SEND_CHUNK = 64 * 1024
_SHEET_TITLE_MAX = 31  # Excel's limit
_FORBIDDEN_IN_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})

Row = Sequence[object]
Rows = AsyncIterable[Row] | Iterable[Row]


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title (None: Excel's default), a header row and the rows (lazy or not)."""

    header: Row
    rows: Rows
    title: str | None = None


def _cell(sheet: Any, value: object) -> object:
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if text.startswith("="):
        # openpyxl stores any text starting with "=" as a formula: a member named
        # "=HYPERLINK(...)" must stay text when a secretary opens the export.
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text


def _append(sheet: Any, rows: list[Row]) -> None:
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])


async def _chunks(rows: Rows, size: int):
    chunk: list[Row] = []
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    else:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _title(title: str) -> str:
    return title.translate(_FORBIDDEN_IN_TITLE).strip()[:_SHEET_TITLE_MAX] or "Sheet"


async def write_xlsx(sheets: Sequence[Sheet], path: str | os.PathLike) -> None:
    """Write ``sheets`` to an .xlsx file at ``path``, consuming rows chunk by chunk."""
    workbook = Workbook(write_only=True)
    for spec in sheets:
        sheet = workbook.create_sheet(_title(spec.title) if spec.title else None)
        await asyncio.to_thread(_append, sheet, [list(spec.header)])
        async for chunk in _chunks(spec.rows, CHUNK_ROWS):
            await asyncio.to_thread(_append, sheet, chunk)
    await asyncio.to_thread(workbook.save, os.fspath(path))


async def xlsx_sheets_response(
    request: web.Request, filename: str, sheets: Sequence[Sheet]
) -> web.StreamResponse:
    """Build the workbook in a temporary file, then stream it as an attachment."""
    handle, name = tempfile.mkstemp(prefix="xianfeng-", suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        await write_xlsx(sheets, path)
        response = web.StreamResponse(
            headers={
                "Content-Type": XLSX_TYPE,
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Content-Length": str(path.stat().st_size),
            }
        )
        await response.prepare(request)
        with path.open("rb") as source:
            while chunk := await asyncio.to_thread(source.read, _SEND_CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        path.unlink(missing_ok=True)


async def xlsx_response(
    request: web.Request, filename: str, header: Row, rows: Rows
) -> web.StreamResponse:
    """Send ``header`` and ``rows`` as a one-sheet workbook; ``rows`` may be fetched lazily."""
    return await xlsx_sheets_response(request, filename, [Sheet(header, rows)])
