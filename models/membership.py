"""Validating, creating and editing members: one set of rules for the panel form and imports."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from locales import LOCALES, N_, gettext
from models import audit
from models.errors import DomainError, ValidationError
from models.members import (
    MANAGEMENT_CATEGORY_LABELS,
    MEMBER_TYPE_LABELS,
    NAME_MAX,
    TEXT_MAX,
    ManagementCategory,
    Member,
    MemberType,
)
from models.org import OrgKind, OrgUnit, WorkUnit, get_or_create_work_unit, resolve_org_path
from models.text import too_long

FIELDS = (
    "name", "phone", "branch", "residence_community", "building_unit", "work_unit",
    "member_type", "management_category", "occupation", "skills", "can_write",
)
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,30}$")
_TRUE = {"1", "y", "yes", "true", "是", "能", "可以", "会", "√", "✓"}
_FALSE = {"0", "n", "no", "false", "否", "不能", "不会", "×", "✗"}


class FieldErrors(DomainError):
    """Several field errors at once; ``errors`` maps a field name to its error."""

    def __init__(self, errors: dict[str, ValidationError]) -> None:
        super().__init__(N_("Please correct the marked fields."))
        self.errors = errors


@dataclass
class CleanMember:
    name: str
    phone: str | None
    branch: OrgUnit
    residence_community: OrgUnit | None
    building_unit: str
    work_unit: str
    member_type: MemberType
    management_category: ManagementCategory
    occupation: str
    skills: str
    can_write: bool
    extra: dict = field(default_factory=dict)


_MEMBER_SUFFIXES = ("党员", "黨員")


def _label_key(text: str) -> str:
    text = text.strip().lower()
    for suffix in _MEMBER_SUFFIXES:
        text = text.removesuffix(suffix)
    return text


def _label_lookup(labels: Mapping) -> dict[str, object]:
    """Accept an enum's code or its label in any of our languages ("在职" or "在职党员")."""
    lookup: dict[str, object] = {}
    for value, msgid in labels.items():
        for text in (str(value), msgid, *(gettext(locale, msgid) for locale in LOCALES)):
            lookup[_label_key(text)] = value
    return lookup


def _text(values: Mapping, key: str) -> str:
    value = values.get(key)
    return "" if value is None else str(value).strip()


UnitFinder = Callable[[str | int, frozenset[OrgKind]], Awaitable[OrgUnit | None]]
WorkUnitFinder = Callable[[str | None], Awaitable[WorkUnit | None]]
_BRANCH = frozenset({OrgKind.BRANCH})
_COMMUNITY = frozenset({OrgKind.COMMUNITY})
T = TypeVar("T")


def memoized(lookup: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """``lookup`` that asks the database once per distinct (hashable) arguments: a file of
    thousands of members names the same few branches and work units again and again."""
    found: dict[tuple[Hashable, ...], T] = {}

    async def cached(*args: Hashable) -> T:
        if args not in found:
            found[args] = await lookup(*args)
        return found[args]

    return cached


# The largest IntField value (PostgreSQL ``integer``): no unit has a larger id.
_MAX_ID = 2**31 - 1


def _unit_id(value: str | int) -> int:
    """The id a cell or form value names; 0 (no unit) for "²" (a digit int() refuses) or too large."""
    try:
        unit_id = int(value)
    except ValueError:
        return 0
    return unit_id if 0 < unit_id <= _MAX_ID else 0


async def find_unit(value: str | int, kinds: frozenset[OrgKind]) -> OrgUnit | None:
    """The unit of one of ``kinds`` that a form or spreadsheet value names: its id, its path
    of names (``东风街道/南园社区/第一支部``) or its name alone when that is unique."""
    if isinstance(value, int) or str(value).isdigit():
        unit_id = _unit_id(value)
        unit = await OrgUnit.get_or_none(id=unit_id) if unit_id else None
    elif "/" in str(value) or "／" in str(value):
        unit = await resolve_org_path(str(value))
    else:
        candidates = await OrgUnit.filter(name=str(value), kind__in=list(kinds))
        unit = candidates[0] if len(candidates) == 1 else None
    return unit if unit is not None and unit.kind in kinds else None


async def clean_member(values: Mapping[str, object], scope=None, *,
                       find_unit: UnitFinder = find_unit) -> CleanMember:
    """Validate raw form or spreadsheet values; raise ``FieldErrors`` listing every problem."""
    errors: dict[str, ValidationError] = {}

    name = _text(values, "name")
    if not name:
        errors["name"] = ValidationError(N_("The name is required."), field="name")
    elif len(name) > NAME_MAX:
        errors["name"] = too_long(name, NAME_MAX, "name")

    phone = _text(values, "phone") or None
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = ValidationError(N_("This does not look like a phone number."), field="phone")

    branch = None
    branch_value = values.get("branch")
    if branch_value in (None, ""):
        errors["branch"] = ValidationError(N_("The branch is required."), field="branch")
    else:
        branch = await find_unit(branch_value, _BRANCH)
        if branch is None:
            errors["branch"] = ValidationError(
                N_("No branch found for “{value}”."), field="branch", value=str(branch_value)
            )
        elif scope is not None and not scope.covers(branch):
            errors["branch"] = ValidationError(
                N_("This branch is outside your organisation."), field="branch"
            )

    community = None
    community_value = values.get("residence_community")
    if community_value not in (None, ""):
        community = await find_unit(community_value, _COMMUNITY)
        if community is None:
            errors["residence_community"] = ValidationError(
                N_("No community found for “{value}”."), field="residence_community",
                value=str(community_value),
            )

    member_type = None
    raw_type = _text(values, "member_type")
    if not raw_type:
        errors["member_type"] = ValidationError(N_("The member type is required."), field="member_type")
    else:
        member_type = _label_lookup(MEMBER_TYPE_LABELS).get(_label_key(raw_type))
        if member_type is None:
            errors["member_type"] = ValidationError(
                N_("Unknown member type “{value}”."), field="member_type", value=raw_type
            )

    category = ManagementCategory.OTHER
    raw_category = _text(values, "management_category")
    if raw_category:
        category = _label_lookup(MANAGEMENT_CATEGORY_LABELS).get(_label_key(raw_category))
        if category is None:
            errors["management_category"] = ValidationError(
                N_("Unknown management category “{value}”."), field="management_category",
                value=raw_category,
            )

    can_write = True
    raw_can_write = values.get("can_write")
    if isinstance(raw_can_write, bool):
        can_write = raw_can_write
    elif raw_can_write not in (None, ""):
        word = str(raw_can_write).strip().lower()
        if word in _TRUE:
            can_write = True
        elif word in _FALSE:
            can_write = False
        else:
            errors["can_write"] = ValidationError(
                N_("Write yes or no."), field="can_write"
            )

    texts = {}
    for key, limit in (("building_unit", 64), ("work_unit", 150), ("occupation", 64), ("skills", TEXT_MAX)):
        texts[key] = _text(values, key)
        if len(texts[key]) > limit:
            errors[key] = too_long(texts[key], limit, key)

    if errors:
        raise FieldErrors(errors)
    return CleanMember(
        name=name, phone=phone, branch=branch, residence_community=community,
        member_type=member_type, management_category=category, can_write=can_write, **texts,
    )


INSERT_BATCH = 500  # members per INSERT of an import (SQLite)


def snapshot(member: Member) -> dict:
    return {
        "name": member.name,
        "phone": member.phone,
        "branch_id": member.branch_id,
        "residence_community_id": member.residence_community_id,
        "building_unit": member.building_unit,
        "work_unit_id": member.work_unit_id,
        "member_type": str(member.member_type),
        "management_category": str(member.management_category),
        "occupation": member.occupation,
        "skills": member.skills,
        "can_write": member.can_write,
    }


async def _apply(member: Member, clean: CleanMember,
                 work_unit: WorkUnitFinder = get_or_create_work_unit) -> None:
    member.name = clean.name
    member.phone = clean.phone
    member.branch = clean.branch
    member.residence_community = clean.residence_community
    member.building_unit = clean.building_unit
    member.work_unit = await work_unit(clean.work_unit)
    member.member_type = clean.member_type
    member.management_category = clean.management_category
    member.occupation = clean.occupation
    member.skills = clean.skills
    member.can_write = clean.can_write


async def create_member(clean: CleanMember, actor: audit.Actor) -> Member:
    member = await _new_member(clean)
    await member.save()
    await _created(actor, member).save()
    return member


async def create_members(cleaned: Sequence[CleanMember], actor: audit.Actor) -> list[Member]:
    """Many new members at once (an import), in the caller's transaction: each work unit is
    looked up once, and the members and their audit entries are written in batches."""
    work_unit = memoized(get_or_create_work_unit)
    members = [await _new_member(clean, work_unit) for clean in cleaned]
    await _insert_many(members)
    await audit.record_many(_created(actor, member) for member in members)
    return members


async def _new_member(clean: CleanMember,
                      work_unit: WorkUnitFinder = get_or_create_work_unit) -> Member:
    """A member with ``clean``'s values, not saved yet."""
    member = Member()
    await _apply(member, clean, work_unit)
    return member


def _created(actor: audit.Actor, member: Member) -> audit.AuditEntry:
    return audit.entry(actor, "member.create", member, org_id=member.branch_id,
                       after=snapshot(member))


async def _insert_many(members: list[Member]) -> None:
    """Save new ``members``, in the caller's transaction, and give each its id.

    On SQLite, a statement per :data:`INSERT_BATCH` members: the transaction holds the only
    connection of the process, so every bot update and page waits for it (one INSERT per
    member made a 20,000-member import block them for seconds). Each new row takes the id
    after the largest there is, and from its first INSERT the transaction holds SQLite's
    write lock, so no other connection or process inserts in between: the newest ids are
    these members', in order. Elsewhere (PostgreSQL: other sessions may insert meanwhile,
    and an open transaction blocks no reader) each member is saved and gets its id back
    from its own INSERT.
    """
    if Member._meta.db.capabilities.dialect != "sqlite":
        for member in members:
            await member.save()
        return
    await Member.bulk_create(members, batch_size=INSERT_BATCH)
    newest = await Member.all().order_by("-id").limit(len(members)).values_list("id", flat=True)
    for member, member_id in zip(members, reversed(newest), strict=True):
        member.id = member_id
        member._saved_in_db = True


async def update_member(member: Member, clean: CleanMember, actor: audit.Actor) -> Member:
    before = snapshot(member)
    await _apply(member, clean)
    await member.save()
    await audit.record(
        actor, "member.update", member, org_id=member.branch_id, before=before, after=snapshot(member)
    )
    return member

