"""Member import from Excel (.xlsx) or CSV: every line validated first, then all or nothing."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass

from openpyxl import load_workbook
from tortoise.transactions import in_transaction

from locales import N_
from models import audit
from models.errors import DomainError
from models.members import Member
from models.membership import (
    FIELDS,
    CleanMember,
    FieldErrors,
    clean_member,
    create_members,
    find_unit,
    memoized,
)

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
YIELD_EVERY = 100  # lines checked between two hand-overs of the event loop (about 7 ms)

# Column headers accepted for each field: our field names and the Chinese headers
# secretaries already use on paper forms. Documented in README.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "姓名"),
    "phone": ("phone", "电话", "手机", "联系电话"),
    "branch": ("branch", "支部", "所在支部"),
    "residence_community": ("residence_community", "居住社区", "社区"),
    "building_unit": ("building_unit", "楼栋单元", "楼栋/单元", "住址"),
    "work_unit": ("work_unit", "工作单位"),
    "member_type": ("member_type", "党员类型", "类型"),
    "management_category": ("management_category", "管理类别"),
    "occupation": ("occupation", "职业"),
    "skills": ("skills", "特长", "技能"),
    "can_write": ("can_write", "能否书写", "会写字"),
}
_HEADER_LOOKUP = {alias.lower(): name for name, aliases in HEADERS.items() for alias in aliases}


@dataclass(frozen=True)
class LineError:
    line: int
    field: str | None
    error: DomainError


class ImportFailed(DomainError):
    def __init__(self, errors: list[LineError]) -> None:
        super().__init__(N_("Nothing was imported: the file has {count} problem(s)."), count=len(errors))
        self.errors = errors


def _file_error(message: str, **params) -> ImportFailed:
    return ImportFailed([LineError(0, None, DomainError(message, **params))])


def _decode(data: bytes) -> str:
    # Excel in Chinese locales saves CSV as GB18030/GBK, elsewhere UTF-8 (often with a BOM).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _file_error(N_("The file is not UTF-8 or GB18030 text."))


def read_table(filename: str, data: bytes) -> list[list[object]]:
    if len(data) > MAX_BYTES:
        raise _file_error(N_("The file is larger than {size} MB."), size=MAX_BYTES // 1024 // 1024)
    suffix = filename.lower().rsplit(".", 1)[-1]
    if suffix == "csv":
        return [row for row in csv.reader(io.StringIO(_decode(data)))]
    if suffix in ("xlsx", "xlsm"):
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise _file_error(N_("The Excel file could not be read.")) from None
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return rows
    raise _file_error(N_("Use an .xlsx or .csv file."))


def _map_header(header: list[object]) -> dict[int, str]:
    columns: dict[int, str] = {}
    unknown = []
    for index, title in enumerate(header):
        text = "" if title is None else str(title).strip()
        if not text:
            continue
        name = _HEADER_LOOKUP.get(text.lower())
        if name is None:
            unknown.append(text)
        else:
            columns[index] = name
    if unknown:
        raise _file_error(N_("Unknown column(s): {columns}."), columns=", ".join(unknown))
    missing = [name for name in ("name", "branch", "member_type") if name not in columns.values()]
    if missing:
        raise _file_error(N_("Required column(s) missing: {columns}."), columns=", ".join(missing))
    return columns


def _cell(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed into Excel come back as floats
    return value


async def import_members(filename: str, data: bytes, actor: audit.Actor, scope=None) -> list[Member]:
    # Off the event loop: openpyxl takes about 0.1 s per thousand rows, and the bot and the
    # panel would stand still meanwhile.
    rows = await asyncio.to_thread(read_table, filename, data)
    if not rows:
        raise _file_error(N_("The file is empty."))
    columns = _map_header(rows[0])
    body = [(number, row) for number, row in enumerate(rows[1:], start=2)
            if any(cell not in (None, "") for cell in row)]
    if not body:
        raise _file_error(N_("The file has a header but no members."))
    if len(body) > MAX_ROWS:
        raise _file_error(N_("At most {count} members per file."), count=MAX_ROWS)

    errors: list[LineError] = []
    cleaned: list[tuple[int, CleanMember]] = []
    phones_seen: dict[str, int] = {}
    find = memoized(find_unit)
    for number, row in body:
        if number % YIELD_EVERY == 0:
            # Units found once are not asked again, so nothing else would hand over the
            # event loop (the bot's and the panel's) while thousands of lines are checked.
            await asyncio.sleep(0)
        values = {columns[i]: _cell(v) for i, v in enumerate(row) if i in columns}
        try:
            clean = await clean_member(values, scope=scope, find_unit=find)
        except FieldErrors as failure:
            errors.extend(LineError(number, name, err) for name, err in failure.errors.items())
            continue
        if clean.phone:
            if clean.phone in phones_seen:
                errors.append(LineError(number, "phone", DomainError(
                    N_("The same phone number is on line {line}."), line=phones_seen[clean.phone])))
                continue
            phones_seen[clean.phone] = number
        cleaned.append((number, clean))
    taken = await _phones_taken([clean.phone for _, clean in cleaned if clean.phone])
    errors.extend(
        LineError(number, "phone",
                  DomainError(N_("A member with this phone number already exists.")))
        for number, clean in cleaned if clean.phone in taken
    )
    if errors:
        raise ImportFailed(sorted(errors, key=lambda error: error.line))

    async with in_transaction():
        return await create_members([clean for _, clean in cleaned], actor)


async def _phones_taken(phones: list[str]) -> set[str]:
    """Which of ``phones`` members already have: a query per thousand, not one per line."""
    taken: set[str] = set()
    for start in range(0, len(phones), 1000):
        batch = phones[start:start + 1000]
        taken.update(await Member.filter(phone__in=batch).values_list("phone", flat=True))
    return taken


def template_rows() -> list[list[str]]:
    """A header row and one example row, offered as a download in the panel."""
    return [
        [HEADERS[name][1] for name in FIELDS],
        ["张三", "13800000000", "东风街道/南园社区/第一支部", "南园社区", "3幢2单元", "区人民医院",
         "在职", "区管", "医生", "义诊、健康讲座", "是"],
    ]
