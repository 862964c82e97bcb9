"""Excel downloads: a write-only workbook, built off the event loop, streamed to the browser."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterable, Iterable, Sequence
from typing import IO, Any

from aiohttp import web
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CHUNK = 64 * 1024
_IN_MEMORY_MAX = 8 * 1024 * 1024

Row = Sequence[object]


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


def _write_workbook(rows: list[Row], target: IO[bytes]) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    workbook.save(target)


async def xlsx_response(
    request: web.Request, filename: str, header: Row, rows: AsyncIterable[Row] | Iterable[Row]
) -> web.StreamResponse:
    """Send ``header`` and ``rows`` as a one-sheet workbook; ``rows`` may be fetched lazily."""
    table = [list(header)]
    if isinstance(rows, AsyncIterable):
        table += [list(row) async for row in rows]
    else:
        table += [list(row) for row in rows]

    with tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_MAX) as buffer:
        await asyncio.to_thread(_write_workbook, table, buffer)
        buffer.seek(0)
        response = web.StreamResponse(
            headers={
                "Content-Type": XLSX_TYPE,
                "Content-Disposition": f'attachment; filename="{filename}"',
            }
        )
        await response.prepare(request)
        while chunk := buffer.read(_CHUNK):
            await response.write(chunk)
        await response.write_eof()
    return response
