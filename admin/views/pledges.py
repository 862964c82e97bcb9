"""Pledges (我是党员我承诺): the list and the review queue (filters, search, export), the detail
page, and entering a pledge in the panel: a member's pledge on their behalf (代录, for members
who cannot write) or a branch's own pledge.

Reviewing (approve, return, publish, reviews) is in ``pledges_review``; the printable notice
(公示) and its public links in ``pledges_notice``. Every rule lives in ``models.pledges``; a
refusal from there comes back to the page as a message next to the field, or above the form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace

from aiohttp import web
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from admin.audit_fields import wording_of
from admin.auth import current_actor, current_scope
from admin.forms import (
    FormState,
    Option,
    field_errors,
    form_values,
    int_or_none,
    path_id,
    see_other,
    translated_options,
)
from admin.i18n import gettext_of, locale_of
from admin.labels import MEMBER_FIELD_LABELS
from admin.listing import (
    SEARCH_MAX,
    YES_NO_OPTIONS,
    Column,
    Filter,
    ListSpec,
    label_options,
    nulls_last_sort,
    org_filter,
    unit_name_sort,
)
from admin.templating import render
from admin.views.members import branch_label
from admin.views.photos import photos_shown
from locales import N_
from models.clock import current_year
from models.errors import DomainError, NotFound, PermissionDenied, ValidationError
from models.id_list import IdList
from models.members import Member
from models.org import OrgKind, OrgUnit
from models.pledge_templates import TEMPLATES, apply_template, templates_for
from models.pledges import (
    EDITABLE,
    GRADE_LABELS,
    ITEM_KIND_LABELS,
    PLEDGE_STATUS_LABELS,
    ItemKind,
    Pledge,
    PledgeItem,
    add_item,
    branch_pledge_for,
    delete_item,
    history,
    item_counts,
    owned_by,
    parse_target_date,
    pledge_for,
    pledge_item,
    progress_by_item,
    review_queue,
    reviews_branch_pledges,
    submit,
    update_item,
    without_pledge,
)
from models.scope import Scope
from models.text_search import MEMBER_NAME, PLEDGE_ITEM_TEXT

ITEM_FIELDS = ("kind", "text", "target_date")
HALF_YEAR_FIELDS = ("leader_comment", "satisfied", "basic", "unsatisfied")
ASSESS_FIELDS = ("grade", "satisfaction_score", "comment")
CANNOT_WRITE_SHOWN = 100  # members listed on the "enter a pledge" page without searching
SEARCH_RESULTS = 20


def pledge_path(pledge_id: int) -> str:
    return f"/pledges/{pledge_id}"


def items_path(pledge_id: int) -> str:
    return f"/pledges/{pledge_id}/items"


def _pledge_id(request: web.Request) -> int:
    return path_id(request, "pledge_id")


# ---------------------------------------------------------------- refusals


@dataclass(frozen=True)
class Refusal:
    """Why the domain refused a change: messages next to fields, or one for the whole form."""

    errors: dict[str, str] = field(default_factory=dict)
    alert: str | None = None

    @property
    def status(self) -> int:
        return 409 if self.alert else 422  # the pledge has moved on / the input needs correcting

    @property
    def message(self) -> str:
        return self.alert or " ".join(self.errors.values())


async def refused(
    request: web.Request, change: Awaitable[object], *, report_all: bool = False
) -> Refusal | None:
    """Await ``change``; None when it went through, else the translated refusal.

    "Not found" and "not allowed" go on to the error pages (404, 403) unless ``report_all``
    (bulk actions report them per pledge).
    """
    try:
        await change
    except (NotFound, PermissionDenied) as error:
        if not report_all:
            raise
        return Refusal(alert=error.render(gettext_of(request)))
    except ValidationError as error:
        if error.field is None:
            return Refusal(alert=error.render(gettext_of(request)))
        return Refusal(errors=field_errors(error, gettext_of(request)))
    except DomainError as error:
        return Refusal(alert=error.render(gettext_of(request)))
    return None


def choice(value: str, labels: Mapping[str, str], message: str, field_name: str) -> str:
    """``value`` if it is one of the labelled choices, else a validation error on the field."""
    if value not in labels:
        raise ValidationError(message, field=field_name)
    return value


def year_choices() -> list[int]:
    """Years a pledge can be started for: this year, and the next one (written in December)."""
    year = current_year()
    return [year, year + 1]


def chosen_year(value: object, *, strict: bool = False) -> int:
    """A year picked in a form; an unknown year is the current one, or refused when ``strict``."""
    year = int_or_none(value)
    if year in year_choices():
        return year
    if strict:
        raise ValidationError(N_("Choose a year."), field="year")
    return current_year()


async def branch_options(scope: Scope) -> list[Option]:
    units = await scope.org_units().filter(kind=OrgKind.BRANCH).select_related("parent")
    return [Option(str(unit.id), branch_label(unit)) for unit in units]


async def scoped_branch(scope: Scope, value: object) -> OrgUnit:
    unit = await scope.org_unit(int_or_none(value) or 0)
    if unit.kind != OrgKind.BRANCH:
        raise NotFound(N_("No such unit in your organisation."))
    return unit


# ---------------------------------------------------------------- the list and the queue


def owner_name(pledge: Pledge) -> str:
    return pledge.member.name if pledge.member is not None else branch_label(pledge.branch)


def _items_text(gettext: Callable[[str], str]) -> Callable[[Pledge], str]:
    """A pledge's items as lines of text, the translations looked up once per export."""
    line = gettext(N_("{kind}: {text}")).format
    kinds = {kind: gettext(label) for kind, label in ITEM_KIND_LABELS.items()}
    return lambda pledge: "\n".join(
        line(kind=kinds[item.kind], text=item.text) for item in pledge.items)


async def _attach_items(pledges: list) -> None:
    """The items of a chunk of exported pledges, in their order, as ``pledge.items``."""
    by_pledge: dict[int, list] = {pledge.id: [] for pledge in pledges}
    rows = await PledgeItem.filter(pledge_id__in=IdList(by_pledge)).order_by("position", "id").values(
        "pledge_id", "kind", "text")
    for row in rows:
        by_pledge[row["pledge_id"]].append(SimpleNamespace(kind=row["kind"], text=row["text"]))
    for pledge in pledges:
        pledge.items = by_pledge[pledge.id]
        pledge.item_count = len(pledge.items)


async def _describe_page(pledges: list) -> None:
    """``item_count`` of each pledge of a page (one grouped count); a page read as records
    also gets the model's own ``is_branch_pledge`` rule, which a record lacks."""
    counts = await item_counts([pledge.id for pledge in pledges])
    for pledge in pledges:
        pledge.item_count = counts.get(pledge.id, 0)
        if not isinstance(pledge, Pledge):
            pledge.is_branch_pledge = Pledge.is_branch_pledge.fget(pledge)


async def _items_containing(search: str) -> Q | None:
    """Pledges with an item whose text contains ``search``: ids, not a join (a join repeats a
    pledge per matching item, and DISTINCT over 100k pledges costs a full sort)."""
    return await PLEDGE_ITEM_TEXT.condition(PledgeItem.all(), "pledge_id", "id", search)


async def _members_named(search: str) -> Q | None:
    """Pledges of members whose name contains ``search``: the names are searched in the
    member table (a tenth of the pledges' rows), the pledges found by the member index."""
    return await MEMBER_NAME.condition(Member.all(), "id", "member_id", search)


def _counted(attribute: str) -> Callable[[Pledge], int | None]:
    """A residents' evaluation count: blank until the half-year review records it."""
    return lambda p: getattr(p, attribute) if p.half_year_reviewed_at else None


async def _owner_options(request: web.Request) -> list[Option]:
    gettext = gettext_of(request)
    return [
        Option("member", gettext(N_("Members' pledges"))),
        Option("branch", gettext(N_("Branch pledges"))),
    ]


async def year_options(scope: Scope) -> list[Option]:
    """This year and every year with pledges in scope, newest first."""
    years = {*await scope.pledge_years(), current_year()}
    return [Option(str(year), str(year)) for year in sorted(years, reverse=True)]


async def _year_options(request: web.Request) -> list[Option]:
    return await year_options(current_scope(request))


def _pledge_list(request: web.Request, name: str, *, with_status: bool) -> ListSpec:
    gettext = gettext_of(request)
    filters = [
        Filter("year", N_("Year"), _year_options, lambda qs, value: qs.filter(year=int(value))),
        org_filter("branch__path"),
        Filter(
            "owner",
            N_("Pledge of"),
            _owner_options,
            lambda qs, value: owned_by(qs, branch=value == "branch"),
        ),
        Filter(
            "proxy",
            N_("Entered on the member's behalf"),
            YES_NO_OPTIONS,
            lambda qs, value: qs.filter(proxy_entered=value == "yes"),
        ),
    ]
    if with_status:
        filters.insert(
            1,
            Filter(
                "status",
                N_("Status"),
                label_options(PLEDGE_STATUS_LABELS),
                lambda qs, value: qs.filter(status=value),
            ),
        )
    return ListSpec(
        name=name,
        columns=(
            Column(
                "owner",
                N_("Member or branch"),
                owner_name,
                sort=("member__name", "branch__name"),
                # Branch pledges, then members' (name >= "": true of every name, and a
                # comparison lets SQLite join the member as an inner join, walking member names).
                sort_segments=({"member_id__isnull": True}, {"member__name__gte": ""}),
                href=lambda p: pledge_path(p.id),
            ),
            Column(
                "branch",
                MEMBER_FIELD_LABELS["branch"],
                lambda p: branch_label(p.branch),
                **unit_name_sort("branch"),
            ),
            Column("year", N_("Year"), lambda p: p.year, sort=("year",)),
            Column(
                "status", N_("Status"), lambda p: PLEDGE_STATUS_LABELS[p.status], translate=True
            ),
            Column("proxy", N_("Entered on the member's behalf"), lambda p: p.proxy_entered),
            Column("item_count", N_("Items"), lambda p: p.item_count),
            Column("submitted", N_("Submitted on"), lambda p: p.submitted_at,
                   **nulls_last_sort("submitted_at")),
            # The rest goes into the export only: one row per pledge, its items joined.
            Column("items", N_("Pledge items"), _items_text(gettext), in_table=False),
            Column("returned", N_("Times returned"), lambda p: p.times_returned, in_table=False),
            Column("approved", N_("Approved on"), lambda p: p.approved_at, in_table=False),
            Column("published", N_("Publicly posted on"), lambda p: p.published_at, in_table=False),
            Column(
                "leader_comment", N_("Leader's comment"), lambda p: p.leader_comment, in_table=False
            ),
            Column(
                "satisfied",
                N_("Residents satisfied"),
                _counted("residents_satisfied"),
                in_table=False,
            ),
            Column(
                "basic",
                N_("Residents basically satisfied"),
                _counted("residents_basic"),
                in_table=False,
            ),
            Column(
                "unsatisfied",
                N_("Residents unsatisfied"),
                _counted("residents_unsatisfied"),
                in_table=False,
            ),
            Column(
                "grade",
                N_("Annual grade"),
                lambda p: GRADE_LABELS[p.grade] if p.grade else None,
                translate=True,
                in_table=False,
            ),
            Column("score", N_("Satisfaction (%)"), lambda p: p.satisfaction_score, in_table=False),
        ),
        default_sort="owner",
        filters=tuple(filters),
        search_conditions=(_members_named, _items_containing),
        select_related=("member", "branch__parent"),
        prefetch_related=("items",),
        page_fields=(
            "member_id", "member__id", "member__name", "branch__name", "branch__parent__id",
            "branch__parent__name", "year", "status", "proxy_entered", "submitted_at",
        ),
        decorate=_describe_page,
        export_fields=(
            "member__id", "member__name", "branch__name", "branch__parent__id",
            "branch__parent__name", "year", "status", "proxy_entered", "submitted_at",
            "times_returned", "approved_at", "published_at", "leader_comment",
            "half_year_reviewed_at", "residents_satisfied", "residents_basic",
            "residents_unsatisfied", "grade", "satisfaction_score",
        ),
        export_decorate=_attach_items,
    )


def _listed(request: web.Request) -> tuple[ListSpec, QuerySet[Pledge]]:
    spec = _pledge_list(request, "pledges", with_status=True)
    return spec, current_scope(request).pledges()


def _queued(request: web.Request) -> tuple[ListSpec, QuerySet[Pledge]]:
    scope = current_scope(request)
    spec = _pledge_list(request, "pledge_queue", with_status=False)
    return spec, review_queue(scope.pledges(), scope.user.role)


async def _list_page(
    request: web.Request, spec: ListSpec, queryset: QuerySet[Pledge], *, queue: bool
) -> web.Response:
    listing = await spec.bind(request, queryset)
    scope = current_scope(request)
    actions = () if scope.read_only else ("approve",) if queue else ("approve", "publish")
    year = current_year()
    cannot_write = without_pledge(scope.members().filter(can_write=False), year)
    return render(
        request,
        "pledges/list.html",
        {
            "listing": listing,
            "page": await listing.page(),
            "queue": queue,
            "bulk_actions": actions,
            "reviews_branch_pledges": reviews_branch_pledges(scope.user.role),
            "year": year,
            "cannot_write_waiting": 0 if scope.read_only else await cannot_write.count(),
        },
    )


async def pledge_list(request: web.Request) -> web.StreamResponse:
    return await _list_page(request, *_listed(request), queue=False)


async def pledge_export(request: web.Request) -> web.StreamResponse:
    spec, queryset = _listed(request)
    return await (await spec.bind(request, queryset)).export()


async def review_queue_list(request: web.Request) -> web.StreamResponse:
    return await _list_page(request, *_queued(request), queue=True)


async def review_queue_export(request: web.Request) -> web.StreamResponse:
    spec, queryset = _queued(request)
    return await (await spec.bind(request, queryset)).export()


# ---------------------------------------------------------------- the detail page


def _review_forms(pledge: Pledge) -> dict[str, FormState]:
    return {
        "return": FormState(),
        "half_year": FormState(values={"satisfied": "0", "basic": "0", "unsatisfied": "0"}),
        "assess": FormState(values={"grade": str(pledge.grade or "")}),
    }


async def detail_page(
    request: web.Request,
    pledge: Pledge,
    *,
    forms: dict[str, FormState] | None = None,
    alert: str | None = None,
    status: int = 200,
) -> web.Response:
    """The pledge with what can be done with it now; ``forms``/``alert`` carry a refused attempt."""
    scope = current_scope(request)
    await pledge.fetch_related("member", "branch__parent", "entered_by", "reviewed_by")
    may_review = not scope.read_only and (
        not pledge.is_branch_pledge or reviews_branch_pledges(scope.user.role)
    )
    return render(
        request,
        "pledges/detail.html",
        {
            "pledge": pledge,
            "owner": owner_name(pledge),
            "branch_name": await pledge.branch.full_name(" / "),
            "items": await progress_by_item(pledge),
            "photos_shown": photos_shown(request),
            "history": await history(pledge),
            "actor_of": wording_of(request).actor,
            "may_edit": not scope.read_only and pledge.status in EDITABLE,
            "may_review": may_review,
            "forms": _review_forms(pledge) | (forms or {}),
            "alert": alert,
            "grades": translated_options(GRADE_LABELS, gettext_of(request)),
        },
        status=status,
    )


async def pledge_detail(request: web.Request) -> web.StreamResponse:
    pledge = await current_scope(request).pledge(_pledge_id(request))
    return await detail_page(request, pledge)


# ---------------------------------------------------------------- starting a pledge in the panel


async def new_pledge_page(request: web.Request) -> web.StreamResponse:
    """Whose pledge to enter: members who cannot write first, any member by name, the branch."""
    scope = current_scope(request)
    scope.require_write()
    year = chosen_year(request.query.get("year"))
    search = request.query.get("q", "").strip()[:SEARCH_MAX]
    cannot_write = without_pledge(scope.members().filter(can_write=False), year)
    shown = cannot_write.order_by("name").select_related("branch__parent")
    found = scope.members().filter(name__icontains=search).order_by("name")
    return render(
        request,
        "pledges/new.html",
        {
            "year": year,
            "years": year_choices(),
            "search": search,
            "cannot_write": await shown.limit(CANNOT_WRITE_SHOWN),
            "cannot_write_total": await cannot_write.count(),
            "found": await found.select_related("branch__parent").limit(SEARCH_RESULTS)
            if search
            else [],
            "branches": await branch_options(scope),
            "form": FormState(values={"branch": str(scope.org.id)}),
        },
    )


def _next_step(pledge: Pledge) -> web.Response:
    """An open pledge goes on to its items; one already submitted opens as it is."""
    return see_other(items_path(pledge.id) if pledge.status in EDITABLE else pledge_path(pledge.id))


async def start_member_pledge(request: web.Request) -> web.StreamResponse:
    """Open (or create) a member's pledge to enter it for them: marked as proxy-entered."""
    scope = current_scope(request)
    scope.require_write()
    values = form_values(await request.post(), ("member", "year"))
    member = await scope.member(int_or_none(values["member"]) or 0)
    pledge = await pledge_for(
        member, chosen_year(values["year"], strict=True), current_actor(request)
    )
    return _next_step(pledge)


async def start_branch_pledge(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    values = form_values(await request.post(), ("branch", "year"))
    branch = await scoped_branch(scope, values["branch"])
    pledge = await branch_pledge_for(
        branch, chosen_year(values["year"], strict=True), current_actor(request)
    )
    return _next_step(pledge)


# ---------------------------------------------------------------- entering the items


async def _editable_pledge(request: web.Request) -> Pledge:
    scope = current_scope(request)
    scope.require_write()
    pledge = await scope.pledge(_pledge_id(request))
    await pledge.fetch_related("member", "branch__parent")
    return pledge


async def _items_page(
    request: web.Request,
    pledge: Pledge,
    *,
    form: FormState | None = None,
    item_errors: dict[int, str] | None = None,
    alert: str | None = None,
    status: int = 200,
) -> web.Response:
    gettext = gettext_of(request)
    template_keys = templates_for(pledge.member.member_type) if pledge.member is not None else []
    return render(
        request,
        "pledges/items.html",
        {
            "pledge": pledge,
            "owner": owner_name(pledge),
            "items": await pledge.items.all(),
            "form": form or FormState(values={"kind": ItemKind.PRACTICAL.value}),
            "item_errors": item_errors or {},
            "alert": alert,
            "kinds": translated_options(ITEM_KIND_LABELS, gettext),
            "templates": [Option(key, gettext(TEMPLATES[key][0])) for key in template_keys],
        },
        status=status,
    )


async def items_page(request: web.Request) -> web.StreamResponse:
    pledge = await _editable_pledge(request)
    if pledge.status not in EDITABLE:  # submitted meanwhile: show it as it is
        return see_other(pledge_path(pledge.id))
    return await _items_page(request, pledge)


async def _add_item(request: web.Request, pledge: Pledge, values: dict[str, str]) -> None:
    kind = choice(values["kind"], ITEM_KIND_LABELS, N_("Choose the kind of item."), "kind")
    target = (
        parse_target_date(values["target_date"], pledge.year) if values["target_date"] else None
    )
    scope = current_scope(request)
    await add_item(
        pledge,
        ItemKind(kind),
        values["text"],
        current_actor(request),
        target_date=target,
        scope=scope,
    )


async def add_item_view(request: web.Request) -> web.StreamResponse:
    pledge = await _editable_pledge(request)
    values = form_values(await request.post(), ITEM_FIELDS)
    if refusal := await refused(request, _add_item(request, pledge, values)):
        form = FormState(values, refusal.errors)
        return await _items_page(
            request, pledge, form=form, alert=refusal.alert, status=refusal.status
        )
    return see_other(items_path(pledge.id))


async def update_item_view(request: web.Request) -> web.StreamResponse:
    pledge = await _editable_pledge(request)
    item = await pledge_item(pledge, path_id(request, "item_id"))
    text = form_values(await request.post(), ("text",))["text"]
    change = update_item(item, text, current_actor(request), scope=current_scope(request))
    if refusal := await refused(request, change):
        return await _items_page(
            request, pledge, item_errors={item.id: refusal.message}, status=refusal.status
        )
    return see_other(f"{items_path(pledge.id)}#item-{item.id}")


async def delete_item_view(request: web.Request) -> web.StreamResponse:
    pledge = await _editable_pledge(request)
    item = await pledge_item(pledge, path_id(request, "item_id"))
    if refusal := await refused(
        request, delete_item(item, current_actor(request), scope=current_scope(request))
    ):
        return await _items_page(request, pledge, alert=refusal.message, status=refusal.status)
    return see_other(items_path(pledge.id))


async def _apply_template(request: web.Request, pledge: Pledge, key: str) -> None:
    choice(key, TEMPLATES, N_("Choose a template."), "template")
    async with in_transaction():  # all of the template's items, or none
        await apply_template(
            pledge, key, locale_of(request), current_actor(request), scope=current_scope(request)
        )


async def apply_template_view(request: web.Request) -> web.StreamResponse:
    pledge = await _editable_pledge(request)
    key = form_values(await request.post(), ("template",))["template"]
    if refusal := await refused(request, _apply_template(request, pledge, key)):
        return await _items_page(request, pledge, alert=refusal.message, status=refusal.status)
    return see_other(items_path(pledge.id))


async def submit_view(request: web.Request) -> web.StreamResponse:
    pledge = await _editable_pledge(request)
    if refusal := await refused(
        request, submit(pledge, current_actor(request), scope=current_scope(request))
    ):
        return await _items_page(request, pledge, alert=refusal.message, status=refusal.status)
    return see_other(pledge_path(pledge.id))
