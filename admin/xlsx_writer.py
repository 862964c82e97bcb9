"""The process that writes an export's workbook: ``python -m admin.xlsx_writer PATH``.

It reads pickled messages from stdin:

- ``("local", zone, yes, no)`` (optional, before the rows it applies to): write a datetime
  with a time zone as the wall-clock time in ``zone`` (an IANA name), and True / False as the
  words ``yes`` / ``no``; without it such a datetime is refused and a boolean is Excel's;
- ``("sheet", title, header)`` starts a worksheet (title None: ``Sheet1``, ``Sheet2``...);
- ``("rows", rows)`` appends rows (sequences of plain values) to the current worksheet;
- ``("save",)`` completes the workbook at PATH and ends.

Input that ends before ``save`` (the panel died or gave up) leaves no file. Any failure is a
traceback on stderr and a non-zero exit. ``admin.excel`` is the side that starts it and
feeds it; this module imports nothing of the panel, so the process starts at once.

Why not openpyxl, the library the rest of Xianfeng reads workbooks with: an export only
ever writes rows of plain values, and openpyxl's ``write_only`` mode took 8.1 s for the
pledge list's 100,000 rows x 17 columns (``python -m bench.admin``), the whole export's
budget three times over; this writer takes about a sixth of that. It writes the part of
Office Open XML (ECMA-376) that such a workbook needs and nothing else: each worksheet's
XML is streamed into the zip as rows arrive (text as inline strings, so nothing is kept
for a shared-string table), which keeps memory flat whatever the row count. Columns are
as wide as the header and the first chunk of rows need (Excel's default width cuts off a
name or a date); the header row is bold and stays in view.
"""

from __future__ import annotations

import math
import os
import pickle
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import IO, Any, BinaryIO
from unicodedata import east_asian_width
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from openpyxl.utils import get_column_letter

SHEET_TITLE_MAX = 31  # Excel's limits
CELL_TEXT_MAX = 32_767
_FORBIDDEN_IN_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})
# Characters XML 1.0 does not allow; Excel refuses a file that holds them.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NEEDS_CARE = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # most text has none
_QUOTE = {'"': "&quot;"}  # escaped too inside an attribute's double quotes
_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system, as Excel counts
_EPOCH_DAY = _EPOCH.date()
_COMPRESSION = 1  # deflate: 100k pledges make 7.5 MB (level 6: 5.7 MB, the writer 0.4 s slower)

# Cell formats, indexes into styles.xml's cellXfs.
_DATETIME_STYLE, _DATE_STYLE, _HEADER_STYLE = 1, 2, 3

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{_MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""

# The header row stays in view while scrolling a long list.
_SHEET_START = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"""
_SHEET_END = b"</sheetData></worksheet>"
# Column widths in Excel's units (about one Latin character each; a Chinese one takes two).
_WIDTH_MIN, _WIDTH_MAX, _WIDTH_PADDING = 6, 50, 2
_SHOWN_WIDTHS = {datetime: 19, date: 10}  # as the number formats show them


def sheet_title(title: str) -> str:
    return title.translate(_FORBIDDEN_IN_TITLE).strip()[:SHEET_TITLE_MAX] or "Sheet"


def _text(reference: str, value: str, style: str = "") -> str:
    if len(value) > CELL_TEXT_MAX:
        value = value[:CELL_TEXT_MAX]
    if _NEEDS_CARE.search(value):
        value = escape(_ILLEGAL.sub("", value))
    # An inline string is text whatever it holds: "=HYPERLINK(...)" in a member's name is
    # never a formula.
    return f'<c r="{reference}"{style} t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'


def _number(reference: str, value: float | Decimal) -> str:
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        raise TypeError(f"Cannot convert {value!r} to an Excel number")
    return f'<c r="{reference}"><v>{value}</v></c>'


def _boolean(reference: str, value: bool) -> str:
    return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'


def _datetime(reference: str, value: datetime) -> str:
    if value.tzinfo is not None:
        raise TypeError(f"Cannot convert {value!r}: Excel has no time zones")
    # Whole seconds, as the format shows them: applications differ on a fraction (LibreOffice
    # shows 10.7 s as 10, yet 59.9999 s as the next minute).
    since = value - _EPOCH
    serial = (since.days * 86400 + since.seconds) / 86400
    return f'<c r="{reference}" s="{_DATETIME_STYLE}"><v>{serial!r}</v></c>'


def _date(reference: str, value: date) -> str:
    return f'<c r="{reference}" s="{_DATE_STYLE}"><v>{(value - _EPOCH_DAY).days}</v></c>'


_CELLS: dict[type, Callable[[str, Any], str]] = {
    str: _text, int: _number, float: _number, Decimal: _number, bool: _boolean,
    datetime: _datetime, date: _date,
}


def _display_width(value: object) -> int:
    """How wide ``value`` shows: its longest line, wide (CJK) characters counting two."""
    if (shown := _SHOWN_WIDTHS.get(type(value))) is not None:
        return shown
    text = str(value)
    if text.isascii():
        return max(map(len, text.splitlines() or [""]))
    return max((sum(2 if east_asian_width(c) in "WF" else 1 for c in line)
                for line in text.splitlines()), default=0)


def _column_widths(rows: Iterable[Sequence[object]]) -> list[int]:
    """Widths that fit ``rows`` (the header and a first chunk), within reason."""
    widest: list[int] = []
    for row in rows:
        for index, value in enumerate(row):
            if index == len(widest):
                widest.append(0)
            if value is not None:
                widest[index] = max(widest[index], _display_width(value))
    return [min(max(width + _WIDTH_PADDING, _WIDTH_MIN), _WIDTH_MAX) for width in widest]


def _local_cells(zone: tzinfo, yes: str, no: str) -> dict[type, Callable[[str, Any], str]]:
    """:data:`_CELLS` with datetimes written in ``zone``'s wall-clock time (Excel has no time
    zones) and booleans as words."""

    def local_datetime(reference: str, value: datetime) -> str:
        if value.tzinfo is not None:
            value = value.astimezone(zone).replace(tzinfo=None)
        return _datetime(reference, value)

    def word(reference: str, value: bool) -> str:
        return _text(reference, yes if value else no)

    return {**_CELLS, datetime: local_datetime, bool: word}


def _cell_writer(cells: dict[type, Callable[[str, Any], str]], value: object) -> Callable[[str, Any], str]:
    """The cell writer for the first of ``value``'s type's bases that has one (a ``StrEnum``
    member is text)."""
    for kind in type(value).__mro__:
        if (writer := cells.get(kind)) is not None:
            return writer
    raise TypeError(f"Cannot convert {value!r:.100} to an Excel cell value")


class Workbook:
    """A workbook written to ``path`` as it goes: worksheets one after another, each
    streamed into the zip as its rows arrive. Complete after :meth:`save`; :meth:`discard`
    removes what was written."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=_COMPRESSION)
        self._titles: list[str] = []
        self._sheet: IO[bytes] | None = None
        self._header: Sequence[object] | None = None  # of the current sheet, until its first rows
        self._rows = 0
        self._letters: list[str] = []
        self._cells = _CELLS

    def localise(self, zone: tzinfo, yes: str, no: str) -> None:
        """From now on, datetimes with a time zone in ``zone``'s time, booleans as words."""
        self._cells = _local_cells(zone, yes, no)

    def create_sheet(self, title: str | None, header: Sequence[object]) -> None:
        self._close_sheet()
        self._titles.append(self._unique(sheet_title(title) if title else
                                         f"Sheet{len(self._titles) + 1}"))
        self._sheet = self._zip.open(f"xl/worksheets/sheet{len(self._titles)}.xml", "w",
                                     force_zip64=True)
        self._header = header
        self._rows = 0

    def append(self, rows: Sequence[Sequence[object]]) -> None:
        if self._sheet is None:
            raise ValueError("rows before any sheet")
        if self._header is not None:
            self._begin_sheet(rows)
        self._write_rows(rows)

    def _begin_sheet(self, first_rows: Sequence[Sequence[object]]) -> None:
        """The sheet's head: columns as wide as the header and the first rows need, then
        the header row. Widths come before any row in a worksheet's XML."""
        assert self._sheet is not None and self._header is not None
        header, self._header = self._header, None
        columns = "".join(f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
                          for n, width in enumerate(_column_widths([header, *first_rows]), 1))
        self._sheet.write((_SHEET_START + (f"<cols>{columns}</cols>" if columns else "")
                           + "<sheetData>").encode())
        self._letters_for(len(header))
        labels = "".join(_text(f"{letter}1", str(label), f' s="{_HEADER_STYLE}"')
                         for letter, label in zip(self._letters, header, strict=False))
        self._sheet.write(f'<row r="1">{labels}</row>'.encode("utf-8", "replace"))
        self._rows = 1

    def _letters_for(self, columns: int) -> None:
        self._letters += [get_column_letter(n) for n in range(len(self._letters) + 1, columns + 1)]

    def _write_rows(self, rows: Iterable[Sequence[object]]) -> None:
        assert self._sheet is not None
        number, cells_by_type = self._rows, self._cells
        parts = []
        for row in rows:
            number += 1
            if len(row) > len(self._letters):
                self._letters_for(len(row))
            cells = [
                (cells_by_type.get(type(value)) or _cell_writer(cells_by_type, value))(
                    f"{letter}{number}", value)
                for letter, value in zip(self._letters, row, strict=False) if value is not None
            ]
            parts.append(f'<row r="{number}">{"".join(cells)}</row>')
        self._rows = number
        self._sheet.write("".join(parts).encode("utf-8", "replace"))

    def save(self) -> None:
        self._close_sheet()
        if not self._titles:
            self.create_sheet(None, [])
            self._close_sheet()
        for name, content in self._package_parts():
            self._zip.writestr(name, content)
        self._zip.close()

    def discard(self) -> None:
        try:
            if self._sheet is not None:
                self._sheet.close()  # the zip cannot be closed while a member is open
            self._zip.close()
        finally:
            os.unlink(self._path)

    def _close_sheet(self) -> None:
        if self._sheet is not None:
            if self._header is not None:  # a sheet with no rows
                self._begin_sheet([])
            self._sheet.write(_SHEET_END)
            self._sheet.close()
            self._sheet = None

    def _unique(self, title: str) -> str:
        taken = {t.casefold() for t in self._titles}  # Excel compares names without case
        candidate, n = title, 1
        while candidate.casefold() in taken:
            n += 1
            suffix = f" ({n})"
            candidate = title[:SHEET_TITLE_MAX - len(suffix)] + suffix
        return candidate

    def _package_parts(self) -> list[tuple[str, str]]:
        numbers = range(1, len(self._titles) + 1)
        sheets = "".join(f'<sheet name="{escape(title, _QUOTE)}" sheetId="{n}" r:id="rId{n}"/>'
                         for n, title in zip(numbers, self._titles, strict=True))
        sheet_links = "".join(
            f'<Relationship Id="rId{n}" Type="{_RELATIONSHIPS}/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>' for n in numbers)
        sheet_types = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_SHEET_TYPE}"/>'
            for n in numbers)
        styles_id = f"rId{len(self._titles) + 1}"
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        return [
            ("[Content_Types].xml", head
             + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
             '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
             f"{sheet_types}</Types>"),
            ("_rels/.rels", head + f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
             f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" '
             'Target="xl/workbook.xml"/></Relationships>'),
            ("xl/workbook.xml", head + f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
             f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>"),
            ("xl/_rels/workbook.xml.rels", head
             + f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">{sheet_links}'
             f'<Relationship Id="{styles_id}" Type="{_RELATIONSHIPS}/styles" '
             'Target="styles.xml"/></Relationships>'),
            ("xl/styles.xml", _STYLES),
        ]


def write(messages: BinaryIO, path: str) -> None:
    workbook = Workbook(path)
    try:
        while True:
            try:
                message = pickle.load(messages)
            except EOFError:
                raise SystemExit("the input ended before the workbook was complete") from None
            match message:
                case ("local", zone, yes, no):
                    workbook.localise(ZoneInfo(zone), yes, no)
                case ("sheet", title, header):
                    workbook.create_sheet(title, header)
                case ("rows", rows):
                    workbook.append(rows)
                case ("save",):
                    workbook.save()
                    return
                case _:
                    raise ValueError(f"unexpected message: {message!r:.100}")
    except BaseException:
        workbook.discard()
        raise


if __name__ == "__main__":
    write(sys.stdin.buffer, sys.argv[1])
