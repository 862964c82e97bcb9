"""Exports opened by a real spreadsheet application: LibreOffice Calc (``TEST_SOFFICE``).

The workbook writer (``admin.xlsx_writer``) is our own code, and the other export tests read
its files back with openpyxl, which forgives much. Here LibreOffice, headless, opens each
workbook and saves every sheet as CSV *as shown* (the cell formats applied), so a date
written as a bare serial number, a string read as a formula or a sheet it cannot parse
shows up as a difference. Debian's ``libreoffice-calc-nogui`` provides ``soffice``; the tests
skip with the reason when ``TEST_SOFFICE`` is unset, and ``.ci/run`` sets it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from admin.excel import Local, Sheet, write_xlsx
from models.audit import Actor
from models.importer import template_rows
from models.members import Member
from models.pledges import ItemKind, add_item, pledge_for, submit
from models.reports import build_weekly_reports
from tests import factories
from tests.admin.conftest import read_xlsx, upload
from tests.report_data import NOW, build_week, shanghai  # noqa: F401 (fixture)

# LibreOffice's CSV filter: comma, double quote, UTF-8 (76), from line 1, cells as shown
# (the 9th token), every sheet to its own file (-1: "<name>-<sheet>.csv").
_CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


@pytest.fixture
def soffice() -> str:
    path = os.environ.get("TEST_SOFFICE")
    if not path:
        pytest.skip("TEST_SOFFICE is not set: these tests open exports in LibreOffice "
                    "(Debian: libreoffice-calc-nogui, /usr/bin/soffice; CI sets it)")
    if not os.path.exists(path):
        pytest.skip(f"TEST_SOFFICE={path} does not exist")
    return path


async def libreoffice(soffice: str, source: Path, convert_to: str, *options: str) -> list[Path]:
    """Open ``source`` in LibreOffice Calc and save it ``convert_to``; the files it wrote."""
    out = source.parent / f"{source.stem}-converted"
    process = await asyncio.create_subprocess_exec(
        soffice, "--headless", "--norestore",
        f"-env:UserInstallation={(source.parent / 'lo-profile').as_uri()}",
        *options, "--convert-to", convert_to, "--outdir", str(out), str(source),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    said, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    written = sorted(out.glob("*"))
    assert process.returncode == 0 and written, said.decode(errors="replace")
    return written


async def shown_by_libreoffice(soffice: str, workbook: Path) -> dict[str, list[list[str]]]:
    """Each sheet of ``workbook`` as LibreOffice Calc shows it, by sheet name."""
    prefix = f"{workbook.stem}-"
    return {path.stem.removeprefix(prefix): list(csv.reader(path.open(encoding="utf-8", newline="")))
            for path in await libreoffice(soffice, workbook, _CSV_FILTER)}


async def test_libreoffice_shows_each_kind_of_value_as_written(tmp_path, soffice):
    path = tmp_path / "values.xlsx"
    await write_xlsx([
        Sheet(["名称", "整数", "小数", "是否", "日期", "时间", "带时区", "空"], [
            ['=HYPERLINK("http://x")', 3, 2.5, True, date(2026, 5, 4), datetime(2026, 5, 4, 9, 30),
             datetime(2026, 5, 4, 23, 30, tzinfo=UTC), None],
            ['控制\x07字符 a & b <c> "q"', -1, Decimal("12.50"), False, date(1900, 3, 1),
             datetime(2026, 12, 31, 23, 59, 59), None, None],
            ["  两端有空格 ", 10**12, 1e-7, None, None, datetime(2026, 5, 4, 9, 30, 59, 999_999),
             datetime(2026, 5, 4, 1, 2, 3, 700_000, tzinfo=UTC), "两行\n文本"],
        ], title="统计: 2026/05 [周]"),
        Sheet(["行", "序号"], [[f"行{n}", n] for n in range(3)] + [["长" * 40_000, 4]]),
    ], path, Local("Asia/Shanghai", "是", "否"))

    sheets = await shown_by_libreoffice(soffice, path)

    assert list(sheets) == ["Sheet2", "统计  2026 05  周"]  # sorted by file name here
    assert sheets["统计  2026 05  周"] == [
        ["名称", "整数", "小数", "是否", "日期", "时间", "带时区", "空"],
        # text that looks like a formula stays text; times are the Shanghai wall clock
        ['=HYPERLINK("http://x")', "3", "2.5", "是", "2026-05-04", "2026-05-04 09:30:00",
         "2026-05-05 07:30:00", ""],
        # a control character Excel refuses is dropped; 1 March 1900 is past Excel's phantom
        # 29 February, which the serial numbers must account for
        ['控制字符 a & b <c> "q"', "-1", "12.5", "否", "1900-03-01", "2026-12-31 23:59:59", "", ""],
        # fractions of a second are not written: the same second in Excel (which would round)
        # and LibreOffice (which would cut)
        ["  两端有空格 ", "1000000000000", "0.0000001", "", "", "2026-05-04 09:30:59",
         "2026-05-04 09:02:03", "两行\n文本"],
    ]
    assert sheets["Sheet2"] == [["行", "序号"], ["行0", "0"], ["行1", "1"], ["行2", "2"],
                                ["长" * 32_767, "4"]]  # a cell holds at most 32,767 characters


def as_openpyxl_reads_it(data: bytes) -> dict[str, list[list[str]]]:
    """Each sheet of a workbook as openpyxl reads it, in the writer's display formats (a
    date, or a date and a time to the second), by sheet name."""

    def shown(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return f"{value:%Y-%m-%d %H:%M:%S}" if value.time() else f"{value:%Y-%m-%d}"
        return str(value)

    workbook = load_workbook(io.BytesIO(data))
    return {sheet.title: [[shown(cell.value) for cell in row] for row in sheet.iter_rows()]
            for sheet in workbook.worksheets}


async def assert_shown_as_read(soffice: str, data: bytes, folder: Path) -> dict[str, list[list[str]]]:
    path = folder / "export.xlsx"
    path.write_bytes(data)
    shown = await shown_by_libreoffice(soffice, path)
    expected = as_openpyxl_reads_it(data)
    assert sorted(shown) == sorted(expected)
    for title, rows in expected.items():
        width = max(map(len, rows), default=0)
        # LibreOffice's CSV ends a row at its last cell with a value
        assert [row + [""] * (width - len(row)) for row in shown[title]] == rows, title
    return expected


async def test_libreoffice_shows_a_panel_export_as_openpyxl_reads_it(tmp_path, soffice, as_user, org):
    for n in range(12):
        member = await factories.member((org.nanyuan_1, org.xinfeng_1)[n % 2], f"成员{n:02d}")
        me = Actor(member=member)
        pledge = await pledge_for(member, 2026, me)
        await add_item(pledge, ItemKind.PRACTICAL, f"实事 <{n}> & 更多", me)
        if n % 3:
            await submit(pledge, me)
    client = await as_user("street")

    data = await (await client.get("/pledges/export.xlsx")).read()

    (rows,) = (await assert_shown_as_read(soffice, data, tmp_path)).values()
    assert len(rows) == 13 and "提交时间" in rows[0]


@pytest.mark.usefixtures("shanghai")
async def test_libreoffice_shows_a_weekly_reports_sheets_as_openpyxl_reads_them(tmp_path, soffice, as_user, org):
    await build_week(org)
    report = next(r for r in await build_weekly_reports(now=NOW) if r.org_id == org.street.id)
    client = await as_user("street")

    data = await (await client.get(f"/reports/{report.id}.xlsx")).read()

    sheets = await assert_shown_as_read(soffice, data, tmp_path)
    assert len(sheets) >= 4 and any("南园社区" in row for rows in sheets.values() for row in rows)


async def test_a_member_list_typed_in_libreoffice_imports(tmp_path, soffice, as_user, org):
    """What a secretary makes of the template: the rows typed into LibreOffice Calc (phone
    numbers become numbers there), saved as .xlsx, uploaded."""
    header = template_rows()[0]
    typed = tmp_path / "members.csv"
    typed.write_text("\n".join(",".join(row) for row in [
        header,
        ["张三", "13800000001", "东风街道/南园社区/第一支部", "南园社区", "3幢2单元", "区人民医院",
         "在职", "区管", "医生", "义诊、健康讲座", "是"],
        ["李四", "13900000002", "东风街道/新风社区/第一支部", "", "", "", "退休", "", "", "", "否"],
    ]), encoding="utf-8")
    (saved,) = await libreoffice(soffice, typed, "xlsx", "--infilter=CSV:44,34,76,1")
    data = saved.read_bytes()
    assert read_xlsx(data)[1][1] == 13800000001  # a number in the workbook, as typed

    client = await as_user("street")
    response = await upload(client, "members.xlsx", data)

    assert response.status == 200, await response.text()
    members = await Member.all().order_by("phone")
    assert [(m.name, m.phone, m.branch_id, m.can_write) for m in members] == [
        ("张三", "13800000001", org.nanyuan_1.id, True),
        ("李四", "13900000002", org.xinfeng_1.id, False),
    ]
