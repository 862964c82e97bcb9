"""The organisation tree below the user's node, with member counts, and adding a unit to it."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from admin.auth import current_actor, current_scope
from admin.forms import (
    FormState,
    field_errors,
    form_values,
    int_or_none,
    see_other,
    translated_options,
    unit_options,
)
from admin.i18n import gettext_of
from admin.templating import render
from locales import N_
from models import audit
from models.errors import ValidationError
from models.org import ALLOWED_CHILDREN, ORG_KIND_LABELS, OrgKind, OrgUnit, create_org_unit
from models.scope import Scope

UNIT_FIELDS = ("parent", "name", "kind")


@dataclass
class TreeNode:
    unit: OrgUnit
    members: int = 0  # in this unit and below
    children: list[TreeNode] = field(default_factory=list)


def _path_ids(unit: OrgUnit) -> list[int]:
    return [int(part) for part in unit.path.strip("/").split("/")]


async def _tree(scope: Scope) -> tuple[TreeNode, list[OrgUnit]]:
    units = await scope.org_units()  # ordered by path: parents before their children
    nodes = {unit.id: TreeNode(unit) for unit in units}
    counts = (
        await scope.members()
        .group_by("branch_id")
        .annotate(count=Count("id"))
        .values_list("branch_id", "count")
    )
    for branch_id, count in counts:
        for unit_id in _path_ids(nodes[branch_id].unit):
            if unit_id in nodes:
                nodes[unit_id].members += count
    for unit in units:
        if unit.id != scope.org.id:
            nodes[unit.parent_id].children.append(nodes[unit.id])
    return nodes[scope.org.id], units


async def _tree_page(request: web.Request, form: FormState, *, status: int = 200) -> web.Response:
    scope = current_scope(request)
    root, units = await _tree(scope)
    return render(
        request,
        "org/tree.html",
        {
            "root": root,
            "form": form,
            "parents": unit_options(
                [unit for unit in units if ALLOWED_CHILDREN[unit.kind]], scope.org.depth
            ),
            # A district is only ever the root of the tree.
            "kinds": [
                option
                for option in translated_options(ORG_KIND_LABELS, gettext_of(request))
                if option.value != OrgKind.DISTRICT
            ],
        },
        status=status,
    )


async def org_tree(request: web.Request) -> web.StreamResponse:
    return await _tree_page(
        request, FormState(values={"parent": str(current_scope(request).org.id)})
    )


async def add_unit(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    values = form_values(await request.post(), UNIT_FIELDS)
    parent = await scope.org_unit(int_or_none(values["parent"]) or 0)  # outside the scope: 404
    try:
        if values["kind"] not in ORG_KIND_LABELS:
            raise ValidationError(N_("Choose the kind of unit."), field="kind")
        async with in_transaction():
            unit = await create_org_unit(values["name"], OrgKind(values["kind"]), parent)
            await audit.record(
                current_actor(request),
                "org_unit.create",
                unit,
                org_id=unit.id,
                after={"name": unit.name, "kind": str(unit.kind), "parent_id": parent.id},
            )
    except ValidationError as error:
        form = FormState(values, field_errors(error, gettext_of(request)))
        return await _tree_page(request, form, status=422)
    return see_other("/org")
