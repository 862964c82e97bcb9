"""The workbook writer process (``admin.xlsx_writer``) as ``admin.excel`` drives it: what it
writes, how its failures come back, and that an abandoned export leaves no process behind."""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

import pytest
from openpyxl import load_workbook

import admin.excel
from admin.excel import Local, Sheet, WorkbookError, write_xlsx


@pytest.fixture
def writers(monkeypatch) -> list[asyncio.subprocess.Process]:
    """Every writer process started during the test."""
    started: list[asyncio.subprocess.Process] = []
    original = asyncio.create_subprocess_exec

    async def spy(*args, **kwargs):
        process = await original(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(admin.excel.asyncio, "create_subprocess_exec", spy)
    return started


async def test_sheets_hold_the_rows_as_given(tmp_path, writers):
    async def lazy_rows():
        for n in range(7):
            yield [f"行{n}", n]

    path = tmp_path / "out.xlsx"
    await write_xlsx([
        Sheet(["名称", "数", "小数", "是否", "日期", "时间", "空"],
              [["=HYPERLINK(\"http://x\")", 3, 2.5, True, date(2026, 5, 4),
                datetime(2026, 5, 4, 9, 30), None],
               ["控制\x07字符", -1, 0.0, False, None, None, None]],
              title="统计: 2026/05 [周]"),
        Sheet(["行", "序号"], lazy_rows()),
    ], path)

    workbook = load_workbook(path)
    first, second = workbook.worksheets
    assert first.title == "统计  2026 05  周"  # characters Excel forbids in a title are spaces
    rows = [list(row) for row in first.iter_rows(values_only=True)]
    assert rows[1] == ["=HYPERLINK(\"http://x\")", 3, 2.5, True, datetime(2026, 5, 4),
                       datetime(2026, 5, 4, 9, 30), None]
    assert first["A2"].data_type == "s"  # text, not a formula Excel would run
    assert rows[2][:4] == ["控制字符", -1, 0, False]  # control characters Excel refuses are dropped
    assert [list(row) for row in second.iter_rows(values_only=True)] == [
        ["行", "序号"], *([f"行{n}", n] for n in range(7))]
    assert [process.returncode for process in writers] == [0]


async def test_a_value_the_writer_refuses_is_an_error_with_its_reason(tmp_path, writers):
    path = tmp_path / "out.xlsx"
    with pytest.raises(WorkbookError, match="Cannot convert"):
        await write_xlsx([Sheet(["a"], [[{"not": "a cell value"}]])], path)
    assert not path.exists()
    assert writers[0].returncode not in (None, 0)


async def test_a_failing_row_source_stops_the_writer(tmp_path, writers, monkeypatch):
    monkeypatch.setattr(admin.excel, "CHUNK_ROWS", 2)

    async def rows():
        yield ["one"]
        yield ["two"]
        raise LookupError("the database went away")

    with pytest.raises(LookupError):
        await write_xlsx([Sheet(["a"], rows())], tmp_path / "out.xlsx")
    assert writers[0].returncode is not None  # killed, not left waiting for rows
    assert list(tmp_path.iterdir()) == []  # nor what it had written


async def test_an_abandoned_export_leaves_no_writer_behind(tmp_path, writers, monkeypatch):
    """The browser going away cancels the request: the writer is killed, not orphaned."""
    monkeypatch.setattr(admin.excel, "CHUNK_ROWS", 1)
    sent = asyncio.Event()

    async def rows():
        yield ["first"]
        sent.set()
        await asyncio.Event().wait()  # a query that never returns
        yield ["never"]

    export = asyncio.create_task(write_xlsx([Sheet(["a"], rows())], tmp_path / "out.xlsx"))
    await asyncio.wait_for(sent.wait(), 10)
    for _ in range(500):  # until the writer has begun the file
        if (tmp_path / "out.xlsx").exists():
            break
        await asyncio.sleep(0.01)
    export.cancel()
    with pytest.raises(asyncio.CancelledError):
        await export
    assert writers[0].returncode is not None
    assert list(tmp_path.iterdir()) == []


async def test_other_requests_run_while_rows_are_built(tmp_path, monkeypatch):
    """Building a chunk of rows never suspends by itself; the export hands over the event
    loop every YIELD_EVERY rows so that other secretaries' pages are not held up."""
    monkeypatch.setattr(admin.excel, "YIELD_EVERY", 10)
    turns = 0
    turns_seen: list[int] = []

    async def other_requests():
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    async def rows():  # never awaits: like rows built from a fetched chunk
        for n in range(100):
            turns_seen.append(turns)
            yield [n]

    ticker = asyncio.create_task(other_requests())
    try:
        await write_xlsx([Sheet(["n"], rows())], tmp_path / "out.xlsx")
    finally:
        ticker.cancel()
    within_first_chunk = turns_seen[:admin.excel.CHUNK_ROWS]
    assert within_first_chunk[-1] > within_first_chunk[0] + 5


async def test_exports_beyond_the_writer_slots_wait_their_turn(tmp_path, writers, monkeypatch):
    monkeypatch.setattr(admin.excel, "WRITERS", 1)
    release = asyncio.Event()

    async def slow_rows():
        yield ["first"]
        await release.wait()

    first = asyncio.create_task(write_xlsx([Sheet(["a"], slow_rows())], tmp_path / "1.xlsx"))
    second = asyncio.create_task(write_xlsx([Sheet(["a"], [["second"]])], tmp_path / "2.xlsx"))
    for _ in range(200):
        if writers:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    assert len(writers) == 1  # the second export waits for the first writer to finish
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 20)
    assert len(writers) == 2
    assert load_workbook(tmp_path / "2.xlsx").active["A2"].value == "second"


class Colour(StrEnum):
    RED = "红"


async def test_text_keeps_its_spaces_numbers_stay_numbers_and_overlong_text_is_cut(tmp_path):
    path = tmp_path / "out.xlsx"
    await write_xlsx([Sheet(["a", "b", "c", "d"], [
        ["  两端有空格 ", Decimal("12.50"), Colour.RED, "长" * 40_000],
        [None, None, "a & b <c>", None],
    ])], path)
    sheet = load_workbook(path).active
    assert [cell.value for cell in sheet[2]] == ["  两端有空格 ", 12.5, "红", "长" * 32_767]
    assert [cell.value for cell in sheet[3]] == [None, None, "a & b <c>", None]


async def test_headers_are_bold_and_stay_in_view(tmp_path):
    path = tmp_path / "out.xlsx"
    await write_xlsx([Sheet(["名称", "数"], [["x", 1]])], path)
    sheet = load_workbook(path).active
    assert [cell.font.b for cell in sheet[1]] == [True, True]
    assert sheet["A2"].font.b is False
    assert sheet.freeze_panes == "A2"


async def test_columns_are_as_wide_as_the_header_and_first_rows_need(tmp_path):
    path = tmp_path / "out.xlsx"
    await write_xlsx([
        Sheet(["名称", "n", "日期", "说明", "空"],
              [["张三丰", 1, date(2026, 5, 4), "a" * 100, None], ["李四", 22, None, "x", None]]),
        Sheet(["only a header"], []),
    ], path)
    first, second = load_workbook(path).worksheets
    widths = [first.column_dimensions[letter].width for letter in "ABCDE"]
    # 张三丰: three wide characters; a date shows 10; long text stops at 50; +2 of padding
    assert widths == [8, 6, 12, 50, 6]
    assert second.column_dimensions["A"].width == len("only a header") + 2
    assert [[cell.value for cell in row] for row in second.iter_rows()] == [["only a header"]]


async def test_sheet_names_are_unique_as_excel_requires(tmp_path):
    path = tmp_path / "out.xlsx"
    long = "很长的工作表名称" * 5
    await write_xlsx([Sheet(["a"], [], title=title)
                      for title in ("汇总", "Units", "UNITS", None, None, long, long)], path)
    assert load_workbook(path).sheetnames == [
        "汇总", "Units", "UNITS (2)", "Sheet4", "Sheet5", long[:31], long[:27] + " (2)"]


async def test_local_writes_zoned_times_as_the_wall_clock_there_and_booleans_as_words(tmp_path):
    path = tmp_path / "out.xlsx"
    await write_xlsx([Sheet(["时间", "是否"], [
        [datetime(2026, 5, 4, 23, 30, tzinfo=UTC), True],  # the next day in Shanghai
        [datetime(2026, 5, 4, 9, 30), False],  # no zone: already local, written as it is
    ])], path, Local("Asia/Shanghai", "是", "否"))
    sheet = load_workbook(path).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        [datetime(2026, 5, 5, 7, 30), "是"], [datetime(2026, 5, 4, 9, 30), "否"]]
    assert sheet["B2"].data_type == "s"


def test_datetimes_from_the_database_reach_the_writer_zoned_by_the_standard_library():
    """Tortoise's own ZoneInfo subclass would make the writer import Tortoise to read them."""
    from zoneinfo import ZoneInfo

    from tortoise.timezone import ZoneInfo as TortoiseZoneInfo

    read = datetime(2026, 5, 4, 9, 30, tzinfo=TortoiseZoneInfo("UTC"))
    data = admin.excel._pickled(("rows", [[read, read.replace(tzinfo=TortoiseZoneInfo("Asia/Shanghai"))]]))
    assert b"tortoise" not in data
    (first, second), = pickle.loads(data)[1]
    assert type(first.tzinfo) is ZoneInfo and first == read
    assert second.tzinfo == ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("value", [datetime(2026, 5, 4, tzinfo=UTC), float("nan"), b"bytes"])
async def test_values_excel_cannot_hold_are_refused_and_leave_no_file(tmp_path, value):
    path = tmp_path / "out.xlsx"
    with pytest.raises(WorkbookError, match="Cannot convert"):
        await write_xlsx([Sheet(["a"], [["fine"], [value]])], path)
    assert list(tmp_path.iterdir()) == []  # neither the workbook nor its part-written file


def test_input_that_ends_early_leaves_no_workbook(tmp_path):
    """The panel dying mid-export closes the writer's input: no half workbook is saved."""
    path = tmp_path / "out.xlsx"
    messages = pickle.dumps(("sheet", None, ["a"])) + pickle.dumps(("rows", [["x"]]))
    finished = subprocess.run([sys.executable, "-m", "admin.xlsx_writer", str(path)],
                              input=messages, capture_output=True, timeout=60, check=False)
    assert finished.returncode != 0
    assert b"ended before the workbook was complete" in finished.stderr
    assert list(tmp_path.iterdir()) == []
    finished = subprocess.run([sys.executable, "-m", "admin.xlsx_writer", str(path)],
                              input=messages + pickle.dumps(("save",)), capture_output=True,
                              timeout=60, check=True)
    assert load_workbook(path).active["A2"].value == "x"


async def test_a_writer_that_says_much_on_stderr_does_not_stall(tmp_path, monkeypatch):
    """Its stderr is read as it comes: a full pipe would block the writer before it reads its
    input, and the export would wait on it for ever."""
    chatty = ("import sys; sys.stderr.write('warning ' * 100_000); sys.stderr.flush(); "
              "sys.stdin.buffer.read(); open(sys.argv[-1], 'wb').close()")
    original = asyncio.create_subprocess_exec

    async def chatty_writer(executable, *args, **kwargs):
        return await original(executable, "-c", chatty, args[-1], **kwargs)

    monkeypatch.setattr(admin.excel.asyncio, "create_subprocess_exec", chatty_writer)
    path = tmp_path / "out.xlsx"
    rows = [[f"{n:0100d}"] for n in range(5000)]  # more than a pipe's buffer the other way too
    await asyncio.wait_for(write_xlsx([Sheet(["a"], rows)], path), 60)
    assert path.exists()
