"""Importing members: all or nothing, line-numbered problems, the template, invites for all."""

from __future__ import annotations

import asyncio
import io
import re
import time

from openpyxl import Workbook

import models.importer
import models.membership
from models.audit import AuditEntry
from models.importer import MAX_BYTES, template_rows
from models.invites import Invite
from models.members import Member
from tests import factories
from tests.admin.conftest import csrf_token, read_xlsx, upload, zh


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


HEADER = ["姓名", "电话", "支部", "党员类型", "职业"]


async def test_xlsx_import_creates_members(as_user, org, admin):
    client = await as_user("street")
    response = await upload(
        client,
        "党员.xlsx",
        xlsx(
            [
                HEADER,
                ["张三", 13800000001, "东风街道/南园社区/第一支部", "退休", "教师"],
                ["李四", None, "东风街道/新风社区/第一支部", "在职", "医生"],
            ]
        ),
    )
    assert response.status == 200
    html = await response.text()
    assert zh("{count} members were imported.", count=2) in html
    members = await Member.all().order_by("id").prefetch_related("branch")
    assert [(m.name, m.phone, m.branch_id) for m in members] == [
        ("张三", "13800000001", org.nanyuan_1.id),
        ("李四", None, org.xinfeng_1.id),
    ]
    assert (
        await AuditEntry.filter(action="member.create", actor_admin=await admin("street")).count()
        == 2
    )


async def test_gb18030_csv_import(as_user, org):
    text = "姓名,支部,党员类型,特长\n王五,东风街道/南园社区/第二支部,流动,修理家电\n"
    response = await upload(await as_user("nanyuan"), "名单.csv", text.encode("gb18030"))
    assert response.status == 200
    member = await Member.get(name="王五")
    assert (member.branch_id, member.member_type, member.skills) == (
        org.nanyuan_2.id,
        "floating",
        "修理家电",
    )


async def test_one_bad_line_imports_nothing_and_lists_the_line(as_user, org):
    response = await upload(
        await as_user("street"),
        "党员.xlsx",
        xlsx(
            [
                HEADER,
                ["张三", None, "东风街道/南园社区/第一支部", "退休", ""],
                ["李四", None, "东风街道/南园社区/第一支部", "外星人", ""],
                ["王五", None, "东风街道/南园社区/第一支部", "在职", ""],
            ]
        ),
    )
    assert response.status == 422
    html = await response.text()
    assert zh("Nothing was imported: the file has {count} problem(s).", count=1) in html
    rows = re.findall(r'<td class="line">(\d+)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>', html)
    assert rows == [("3", "党员类型", zh("Unknown member type “{value}”.", value="外星人"))]
    assert await Member.all().count() == 0


async def test_problems_are_listed_in_line_order(as_user, org):
    """Phones already taken are found in one query after every line is checked; the
    problems still come out in the order of the file."""
    await factories.member(org.nanyuan_1, "老党员", phone="13800000009")
    response = await upload(
        await as_user("street"),
        "党员.csv",
        (
            "姓名,电话,支部,党员类型\n"
            "张三,13800000009,东风街道/南园社区/第一支部,退休\n"
            "李四,13800000002,东风街道/南园社区/第一支部,外星人\n"
            "王五,13800000003,东风街道/南园社区/第一支部,在职\n"
            "赵六,13800000003,东风街道/南园社区/第二支部,在职\n"
        ).encode(),
    )
    assert response.status == 422
    rows = re.findall(r'<td class="line">(\d+)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>',
                      await response.text())
    assert rows == [
        ("2", "联系电话", zh("A member with this phone number already exists.")),
        ("3", "党员类型", zh("Unknown member type “{value}”.", value="外星人")),
        ("5", "联系电话", zh("The same phone number is on line {line}.", line=4)),
    ]
    assert await Member.all().count() == 1


async def test_a_unit_named_on_many_lines_is_looked_up_once(as_user, org, admin, monkeypatch):
    """A file of thousands of members names a few branches and work units again and again:
    each is asked of the database once, and every member still gets the right ones, with an
    audit entry of their own."""
    looked_up: list[object] = []
    find_unit = models.importer.find_unit
    get_or_create_work_unit = models.membership.get_or_create_work_unit

    async def counted_find_unit(value, kinds):
        looked_up.append(value)
        return await find_unit(value, kinds)

    async def counted_work_unit(name):
        looked_up.append(name)
        return await get_or_create_work_unit(name)

    monkeypatch.setattr(models.importer, "find_unit", counted_find_unit)
    monkeypatch.setattr(models.membership, "get_or_create_work_unit", counted_work_unit)
    lines = [(f"成员{i}", "东风街道/南园社区/第一支部" if i % 2 else "东风街道/新风社区/第一支部",
              "区人民医院" if i % 3 else "东风街道办事处") for i in range(12)]
    csv_text = "姓名,支部,党员类型,工作单位\n" + "".join(f"{n},{b},在职,{w}\n" for n, b, w in lines)
    response = await upload(await as_user("street"), "党员.csv", csv_text.encode())
    assert response.status == 200
    assert sorted(looked_up) == sorted(
        ["东风街道/南园社区/第一支部", "东风街道/新风社区/第一支部", "区人民医院", "东风街道办事处"])
    members = await Member.all().order_by("id").prefetch_related("work_unit")
    branch_ids = {"东风街道/南园社区/第一支部": org.nanyuan_1.id, "东风街道/新风社区/第一支部": org.xinfeng_1.id}
    assert [(m.name, m.branch_id, m.work_unit.name) for m in members] == [
        (name, branch_ids[branch], work_unit) for name, branch, work_unit in lines
    ]
    entries = await AuditEntry.filter(action="member.create").order_by("id")
    street_admin = await admin("street")
    assert [
        (e.object_id, e.org_id, e.actor_admin_id, e.after["name"], e.after["work_unit_id"])
        for e in entries
    ] == [(str(m.id), m.branch_id, street_admin.id, m.name, m.work_unit_id) for m in members]


async def test_branch_outside_the_scope_fails_the_import(as_user, org):
    response = await upload(
        await as_user("branch1"),
        "党员.csv",
        (
            "姓名,支部,党员类型\n张三,东风街道/南园社区/第一支部,退休\n李四,东风街道/新风社区/第一支部,退休\n"
        ).encode(),
    )
    assert response.status == 422
    assert zh("This branch is outside your organisation.") in await response.text()
    assert await Member.all().count() == 0


async def test_unreadable_files_are_reported(as_user, org):
    client = await as_user("street")
    response = await upload(client, "names.txt", b"hello")
    assert response.status == 422
    assert zh("Use an .xlsx or .csv file.") in await response.text()

    page = await client.get("/import")
    response = await client.post("/import", data={"csrf_token": csrf_token(await page.text())})
    assert response.status == 422
    assert zh("Choose a file to upload.") in await response.text()


async def test_too_large_upload_gets_a_clear_error(as_user, org):
    response = await upload(await as_user("street"), "big.csv", b"x" * (MAX_BYTES + 512 * 1024))
    assert response.status == 413
    assert zh("The file is larger than {size} MB.", size=10) in await response.text()
    assert await Member.all().count() == 0


async def test_template_download(as_user):
    response = await (await as_user("branch1")).get("/import/template.xlsx")
    assert response.status == 200
    assert read_xlsx(await response.read()) == template_rows()


async def test_template_imports_as_is(as_user, org):
    """The example row of the template is valid: what we hand out can be uploaded back."""
    client = await as_user("street")
    template = await (await client.get("/import/template.xlsx")).read()
    response = await upload(client, "template.xlsx", template)
    assert response.status == 200
    assert await Member.filter(name=template_rows()[1][0]).exists()


async def test_invites_for_all_imported_members(as_user, org):
    client = await as_user("street")
    response = await upload(
        client,
        "党员.xlsx",
        xlsx(
            [
                HEADER,
                ["张三", None, "东风街道/南园社区/第一支部", "退休", ""],
                ["李四", None, "东风街道/南园社区/第二支部", "退休", ""],
            ]
        ),
    )
    html = await response.text()
    member_ids = re.findall(r'name="member_id" value="(\d+)"', html)
    assert len(member_ids) == 2

    response = await client.post(
        "/invites/issue",
        data=[
            ("csrf_token", csrf_token(html)),
            *(("member_id", member_id) for member_id in member_ids),
        ],
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == "/invites"
    invites = await Invite.all().prefetch_related("member")
    assert sorted(invite.member.name for invite in invites) == ["张三", "李四"]
    assert all(invite.status == "pending" for invite in invites)

    listing = await (await client.get("/invites")).text()
    assert all(
        f"https://t.me/xianfeng_test_bot?start={invite.code}" in listing for invite in invites
    )


async def test_the_file_is_read_off_the_event_loop(as_user, org, monkeypatch):
    """Reading a big workbook takes seconds of openpyxl: the bot and the panel, which share
    the event loop, go on meanwhile."""
    turns = 0

    async def other_work():
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    turns_while_reading: list[int] = []
    original = models.importer.read_table

    def read_table(filename, data):
        before = turns
        rows = original(filename, data)
        for _ in range(100):  # wait (at most 1 s) for the event loop to show it is free
            if turns > before:
                break
            time.sleep(0.01)
        turns_while_reading.append(turns - before)
        return rows

    monkeypatch.setattr(models.importer, "read_table", read_table)
    client = await as_user("street")
    ticker = asyncio.create_task(other_work())
    try:
        response = await upload(client, "党员.xlsx", xlsx(
            [HEADER, ["张三", None, "东风街道/南园社区/第一支部", "退休", "教师"]]))
    finally:
        ticker.cancel()
    assert response.status == 200
    assert turns_while_reading and turns_while_reading[0] > 0
