"""The organisation tree and work units.

Each node stores its materialised ``path`` (``/1/5/12/``) so "this node and
below" is one indexed prefix filter.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from locales import N_


class OrgKind(StrEnum):
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    BRANCH = "branch"
    GROUP = "group"


ORG_KIND_LABELS = {
    OrgKind.DISTRICT: N_("District Party committee"),
    OrgKind.STREET: N_("Sub-district working committee"),
    OrgKind.COMMUNITY: N_("Community"),
    OrgKind.BRANCH: N_("Branch"),
    OrgKind.GROUP: N_("Party group"),
}

# Which kinds may sit directly under which.
ALLOWED_CHILDREN = {
    None: {OrgKind.DISTRICT, OrgKind.STREET},
    OrgKind.DISTRICT: {OrgKind.STREET},
    OrgKind.STREET: {OrgKind.COMMUNITY, OrgKind.BRANCH},
    OrgKind.COMMUNITY: {OrgKind.BRANCH},
    OrgKind.BRANCH: {OrgKind.GROUP},
    OrgKind.GROUP: set(),
}


class OrgUnit(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(OrgKind, max_length=16)
    parent: fields.ForeignKeyNullableRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    path = fields.CharField(max_length=255, db_index=True, default="")
    depth = fields.SmallIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "org_unit"
        unique_together = (("parent", "name"),)
        ordering = ["path"]
        # Lists sorted by branch walk the units by name (then id: names repeat), then each
        # unit's rows by an index.
        indexes = (("name", "id"),)

    def __str__(self) -> str:
        return self.name

    def contains(self, other: OrgUnit) -> bool:
        return other.path.startswith(self.path)

    async def ancestors(self) -> list[OrgUnit]:
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        by_id = {unit.id: unit for unit in await OrgUnit.filter(id__in=ids)}
        return [by_id[i] for i in ids if i in by_id]

    async def full_name(self, separator: str = "/") -> str:
        return separator.join(unit.name for unit in await self.ancestors())


class WorkUnit(Model):
    """The employer's Party organisation of an in-service member."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=150, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "work_unit"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


async def create_org_unit(name: str, kind: OrgKind, parent: OrgUnit | None = None) -> OrgUnit:
    from models.errors import ValidationError

    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError(N_("A name of 1 to 100 characters is required."), field="name")
    kind = OrgKind(kind)
    if kind not in ALLOWED_CHILDREN[parent.kind if parent else None]:
        raise ValidationError(N_("This kind of unit cannot be placed there."), field="kind")
    if await OrgUnit.filter(parent=parent, name=name).exists():
        raise ValidationError(N_("A unit with this name already exists there."), field="name")
    unit = await OrgUnit.create(name=name, kind=kind, parent=parent)
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    unit.depth = parent.depth + 1 if parent else 0
    await unit.save(update_fields=["path", "depth"])
    return unit


async def resolve_org_path(text: str) -> OrgUnit | None:
    """Find a unit by its names from any top-level ancestor, e.g. ``东风街道/南园社区/第一支部``.

    The first name may be any unit whose own name matches (so paths can start
    below the district); each further name must be a direct child. Returns None
    when nothing matches or the start is ambiguous.
    """
    names = [part.strip() for part in text.replace("／", "/").split("/") if part.strip()]
    if not names:
        return None
    starts = await OrgUnit.filter(name=names[0])
    matches = []
    for start in starts:
        node: OrgUnit | None = start
        for name in names[1:]:
            node = await OrgUnit.get_or_none(parent_id=node.id, name=name)
            if node is None:
                break
        if node is not None:
            matches.append(node)
    return matches[0] if len(matches) == 1 else None


async def get_or_create_work_unit(name: str | None) -> WorkUnit | None:
    name = (name or "").strip()
    if not name:
        return None
    unit, _ = await WorkUnit.get_or_create(name=name)
    return unit
