"""How long openpyxl alone takes to write an export's rows: the floor under any export.

    python -m bench.openpyxl_floor FILE.xlsx

Reads every row of FILE's first sheet (not timed), then writes the same values to a new
``write_only`` workbook, as ``admin.xlsx_writer`` does, and prints the wall and CPU seconds
of that write and save. ``bench.admin`` runs it on the workbook its export produced, so the
export's time can be read against what the library itself needs for the same rows on the
same machine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook, load_workbook


def read_rows(path: str) -> list[tuple]:
    workbook = load_workbook(path, read_only=True)
    try:
        return list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def write_rows(rows: list[tuple], path: Path) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def main(path: str) -> None:
    rows = read_rows(path)
    with tempfile.TemporaryDirectory() as folder:
        began, cpu_began = time.perf_counter(), time.process_time()
        write_rows(rows, Path(folder) / "floor.xlsx")
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    columns = max((len(row) for row in rows), default=0)
    print(f"openpyxl alone writes the same {len(rows)} rows x {columns} columns in {wall:.2f} s "
          f"({cpu:.2f} s CPU)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
