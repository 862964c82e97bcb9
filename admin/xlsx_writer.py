"""The process that writes an export's workbook: ``python -m admin.xlsx_writer PATH``.

It reads pickled messages from stdin:

- ``("sheet", title, header)`` starts a worksheet (title None: Excel's default name);
- ``("rows", rows)`` appends rows (sequences of plain values) to the current worksheet;
- ``("save",)`` saves the workbook to PATH and ends.

Input that ends before ``save`` (the panel died or gave up) leaves no file.

openpyxl's ``write_only`` mode writes each worksheet's XML to a temporary file as rows
arrive, so memory stays flat whatever the row count. Any failure is a traceback on stderr
and a non-zero exit. ``admin.excel`` is the side that starts it and feeds it; this module
imports nothing of the panel, so the process starts in about a tenth of a second.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Sequence
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

_SHEET_TITLE_MAX = 31  # Excel's limit
_FORBIDDEN_IN_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(title: str) -> str:
    return title.translate(_FORBIDDEN_IN_TITLE).strip()[:_SHEET_TITLE_MAX] or "Sheet"


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


def append_rows(sheet: Any, rows: Sequence[Sequence[object]]) -> None:
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])


def write(messages: BinaryIO, path: str) -> None:
    workbook = Workbook(write_only=True)
    sheet = None
    while True:
        try:
            message = pickle.load(messages)
        except EOFError:
            raise SystemExit("the input ended before the workbook was complete") from None
        match message:
            case ("sheet", title, header):
                sheet = workbook.create_sheet(sheet_title(title) if title else None)
                append_rows(sheet, [header])
            case ("rows", rows) if sheet is not None:
                append_rows(sheet, rows)
            case ("save",):
                workbook.save(path)
                return
            case _:
                raise ValueError(f"unexpected message: {message!r:.100}")


if __name__ == "__main__":
    write(sys.stdin.buffer, sys.argv[1])
