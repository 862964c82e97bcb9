"""Members: the list with its Excel export, the detail page, and the add and edit forms."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from tortoise.queryset import QuerySet

from admin.auth import current_actor, current_scope
from admin.forms import (
    FormState,
    Option,
    field_errors,
    form_values,
    path_id,
    see_other,
    translated_options,
)
from admin.i18n import gettext_of
from admin.labels import MEMBER_FIELD_LABELS
from admin.listing import (
    Column,
    Filter,
    ListSpec,
    distinct_options,
    label_options,
    org_filter,
    unit_name_sort,
)
from admin.templating import render
from admin.views import member_path
from admin.views.invites import current_invite, invite_links, member_invites
from locales import N_
from models.awards import standing
from models.clock import current_year
from models.members import MANAGEMENT_CATEGORY_LABELS, MEMBER_TYPE_LABELS, Member
from models.membership import (
    FIELDS,
    CleanMember,
    FieldErrors,
    clean_member,
    create_member,
    update_member,
)
from models.org import OrgKind, OrgUnit
from models.pledges import member_pledge
from models.scope import Scope
from models.wishes import wishes_claimed_by


def branch_label(branch: OrgUnit) -> str:
    """The branch with its parent: branch names repeat from one community to the next."""
    parent = branch.parent
    return f"{parent.name} / {branch.name}" if parent is not None else branch.name


async def _telegram_options(request: web.Request) -> list[Option]:
    gettext = gettext_of(request)
    return [
        Option("yes", gettext(N_("Bound to Telegram"))),
        Option("no", gettext(N_("Not bound yet"))),
        Option("unreachable", gettext(N_("Unreachable: blocked the bot"))),
    ]


def _with_telegram(queryset: QuerySet, value: str) -> QuerySet:
    if value == "unreachable":  # the delivery worker got a 403: blocked the bot, or gone
        return queryset.filter(telegram__unreachable_since__isnull=False)
    return queryset.filter(telegram__id__isnull=value == "no")


def _unreachable_since(member: Member) -> datetime | None:
    return member.telegram.unreachable_since if member.telegram is not None else None


MEMBER_LIST = ListSpec(
    name="members",
    columns=(
        Column(
            "name",
            MEMBER_FIELD_LABELS["name"],
            lambda m: m.name,
            sort=("name",),
            href=lambda m: member_path(m.id),
        ),
        Column("phone", MEMBER_FIELD_LABELS["phone"], lambda m: m.phone, personal=True),
        Column(
            "branch",
            MEMBER_FIELD_LABELS["branch"],
            lambda m: branch_label(m.branch),
            **unit_name_sort("branch", "name"),
        ),
        Column(
            "member_type",
            MEMBER_FIELD_LABELS["member_type"],
            lambda m: MEMBER_TYPE_LABELS[m.member_type],
            translate=True,
            sort=("member_type", "name"),
        ),
        Column(
            "management_category",
            MEMBER_FIELD_LABELS["management_category"],
            lambda m: MANAGEMENT_CATEGORY_LABELS[m.management_category],
            translate=True,
        ),
        Column("occupation", MEMBER_FIELD_LABELS["occupation"], lambda m: m.occupation),
        Column("telegram", N_("Bound to Telegram"), lambda m: m.telegram is not None),
        # Empty for reachable members; admin.css shows a filled cell as a warning badge.
        Column("unreachable", N_("Unreachable since"), _unreachable_since),
        Column("created", N_("Added on"), lambda m: m.created_at, sort=("created_at",)),
        # The rest of the record goes into the export only: the table stays readable on a phone.
        Column(
            "residence_community",
            MEMBER_FIELD_LABELS["residence_community"],
            lambda m: m.residence_community.name if m.residence_community else None,
            in_table=False,
        ),
        Column(
            "building_unit",
            MEMBER_FIELD_LABELS["building_unit"],
            lambda m: m.building_unit,
            in_table=False,
        ),
        Column(
            "work_unit",
            MEMBER_FIELD_LABELS["work_unit"],
            lambda m: m.work_unit.name if m.work_unit else None,
            in_table=False,
        ),
        Column("skills", MEMBER_FIELD_LABELS["skills"], lambda m: m.skills, in_table=False),
        Column(
            "can_write", MEMBER_FIELD_LABELS["can_write"], lambda m: m.can_write, in_table=False
        ),
    ),
    default_sort="name",
    filters=(
        org_filter("branch__path"),
        Filter(
            "type",
            MEMBER_FIELD_LABELS["member_type"],
            label_options(MEMBER_TYPE_LABELS),
            lambda qs, value: qs.filter(member_type=value),
        ),
        Filter(
            "category",
            MEMBER_FIELD_LABELS["management_category"],
            label_options(MANAGEMENT_CATEGORY_LABELS),
            lambda qs, value: qs.filter(management_category=value),
        ),
        Filter(
            "occupation",
            MEMBER_FIELD_LABELS["occupation"],
            distinct_options(lambda request: current_scope(request).members(), "occupation"),
            lambda qs, value: qs.filter(occupation=value),
        ),
        Filter(
            "telegram",
            N_("Telegram binding"),
            _telegram_options,
            _with_telegram,
        ),
    ),
    search_fields=("name", "occupation", "skills"),
    personal_search_fields=("phone",),
    select_related=("branch__parent", "residence_community", "work_unit"),
    prefetch_related=("telegram",),
    page_fields=(
        "name", "phone", "branch__name", "branch__parent__id", "branch__parent__name",
        "member_type", "management_category", "occupation", "telegram__id",
        "telegram__unreachable_since", "created_at",
    ),
    export_fields=(
        "name", "phone", "branch__name", "branch__parent__id", "branch__parent__name", "member_type",
        "management_category", "occupation", "telegram__id", "telegram__unreachable_since", "created_at",
        "residence_community__id", "residence_community__name", "building_unit", "work_unit__id",
        "work_unit__name", "skills", "can_write",
    ),
)


def _member_id(request: web.Request) -> int:
    return path_id(request, "member_id")


async def member_list(request: web.Request) -> web.StreamResponse:
    listing = await MEMBER_LIST.bind(request, current_scope(request).members())
    return render(request, "members/list.html", {"listing": listing, "page": await listing.page()})


async def member_export(request: web.Request) -> web.StreamResponse:
    listing = await MEMBER_LIST.bind(request, current_scope(request).members())
    return await listing.export()


async def member_detail(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    member = await scope.member(_member_id(request))
    await member.fetch_related("branch", "residence_community", "work_unit", "telegram")
    invites = await member_invites(scope, member)
    invite = current_invite(invites)
    return render(
        request,
        "members/detail.html",
        {
            "member": member,
            "branch_name": await member.branch.full_name(" / "),
            "invites": invites,
            "invite": invite,
            "links": invite_links(request, invite) if invite else None,
            **await _this_year(member),
        },
    )


async def _this_year(member: Member) -> dict:
    """The member's year at a glance: the pledge, the cards against the award, wishes in hand."""
    year = current_year()
    return {
        "year": year,
        "pledge": await member_pledge(member, year),
        "standing": await standing(member, year),
        "wishes_in_hand": len(await wishes_claimed_by(member)),
    }


# The add and edit forms.


async def _branch_options(scope: Scope) -> list[Option]:
    """Branches in scope, named by their path below the user's own node."""
    units = await scope.org_units()
    names = {unit.id: unit.name for unit in units if unit.id != scope.org.id}
    options = []
    for unit in units:
        if unit.kind == OrgKind.BRANCH:
            ids = [int(part) for part in unit.path.strip("/").split("/")]
            options.append(
                Option(str(unit.id), " / ".join(names[i] for i in ids if i in names) or unit.name)
            )
    return options


async def _community_options(scope: Scope, member: Member | None) -> list[Option]:
    """Communities in scope, the community above the user's node, and the member's current one.

    A member may live outside the secretary's organisation; that community stays selectable.
    """
    units = list(await scope.org_units().filter(kind=OrgKind.COMMUNITY))
    units += [unit for unit in await scope.org.ancestors() if unit.kind == OrgKind.COMMUNITY]
    if member is not None and member.residence_community is not None:
        units.append(member.residence_community)
    unique = {unit.id: unit for unit in units}
    return [Option(str(unit.id), unit.name) for unit in unique.values()]


def _member_values(member: Member) -> dict[str, str]:
    return {
        "name": member.name,
        "phone": member.phone or "",
        "branch": str(member.branch_id),
        "residence_community": str(member.residence_community_id or ""),
        "building_unit": member.building_unit,
        "work_unit": member.work_unit.name if member.work_unit else "",
        "member_type": str(member.member_type),
        "management_category": str(member.management_category),
        "occupation": member.occupation,
        "skills": member.skills,
        "can_write": "yes" if member.can_write else "no",
    }


async def _form_page(
    request: web.Request, form: FormState, member: Member | None = None, *, status: int = 200
) -> web.Response:
    scope = current_scope(request)
    gettext = gettext_of(request)
    return render(
        request,
        "members/form.html",
        {
            "form": form,
            "member": member,
            "branches": await _branch_options(scope),
            "communities": await _community_options(scope, member),
            "member_types": translated_options(MEMBER_TYPE_LABELS, gettext),
            "categories": translated_options(MANAGEMENT_CATEGORY_LABELS, gettext),
        },
        status=status,
    )


async def _clean_or_errors(
    request: web.Request, values: dict[str, str]
) -> tuple[CleanMember | None, dict[str, str]]:
    try:
        return await clean_member(values, scope=current_scope(request)), {}
    except FieldErrors as error:
        return None, field_errors(error, gettext_of(request))


async def new_member_form(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    defaults = {"management_category": "other", "can_write": "yes"}
    if scope.org.kind == OrgKind.BRANCH:
        defaults["branch"] = str(scope.org.id)
    return await _form_page(request, FormState(values=defaults))


async def create_member_view(request: web.Request) -> web.StreamResponse:
    current_scope(request).require_write()
    values = form_values(await request.post(), FIELDS)
    clean, errors = await _clean_or_errors(request, values)
    if errors:
        return await _form_page(request, FormState(values, errors), status=422)
    member = await create_member(clean, current_actor(request))
    return see_other(member_path(member.id))


async def _editable_member(request: web.Request) -> Member:
    scope = current_scope(request)
    scope.require_write()
    member = await scope.member(_member_id(request))
    await member.fetch_related("residence_community", "work_unit")
    return member


async def edit_member_form(request: web.Request) -> web.StreamResponse:
    member = await _editable_member(request)
    return await _form_page(request, FormState(values=_member_values(member)), member)


async def update_member_view(request: web.Request) -> web.StreamResponse:
    member = await _editable_member(request)
    values = form_values(await request.post(), FIELDS)
    clean, errors = await _clean_or_errors(request, values)
    if errors:
        return await _form_page(request, FormState(values, errors), member, status=422)
    await update_member(member, clean, current_actor(request))
    return see_other(member_path(member.id))
