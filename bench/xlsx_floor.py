"""How long the writer alone takes to write an export's rows: the floor under any export.

    python -m bench.xlsx_floor FILE.xlsx

Reads every row of FILE's first sheet (not timed), then writes the same values with
``admin.xlsx_writer`` alone, and then with openpyxl's ``write_only`` workbook (what the
writer used before), printing the wall and CPU seconds of each. ``bench.admin`` runs it on
the workbook its export produced, so the export's time can be read against what writing
the same rows needs on the same machine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl import load_workbook

from admin.excel import CHUNK_ROWS
from admin.xlsx_writer import Workbook


def read_rows(path: str) -> list[tuple]:
    workbook = load_workbook(path, read_only=True)
    try:
        return list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def with_xianfeng(rows: list[tuple], path: Path) -> None:
    workbook = Workbook(str(path))
    workbook.create_sheet(None, rows[0])
    for start in range(1, len(rows), CHUNK_ROWS):  # as the writer process receives them
        workbook.append(rows[start:start + CHUNK_ROWS])
    workbook.save()


def with_openpyxl(rows: list[tuple], path: Path) -> None:
    workbook = OpenpyxlWorkbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def timed(write: Callable[[list[tuple], Path], None], rows: list[tuple]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        began, cpu_began = time.perf_counter(), time.process_time()
        write(rows, Path(folder) / "floor.xlsx")
        return time.perf_counter() - began, time.process_time() - cpu_began


def main(path: str) -> None:
    rows = read_rows(path)
    columns = max((len(row) for row in rows), default=0)
    for label, write in (("admin.xlsx_writer", with_xianfeng), ("openpyxl", with_openpyxl)):
        wall, cpu = timed(write, rows)
        print(f"{label} alone writes the same {len(rows)} rows x {columns} columns in "
              f"{wall:.2f} s ({cpu:.2f} s CPU)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
