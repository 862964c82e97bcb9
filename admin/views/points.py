"""Contribution points (党员奉献积分卡) in the panel: the ledger with manual cards and revocations,
the award list of a year with the rules, and the community leaderboards (the roll of honour is
``admin.views.honour_roll``).

Every record is reached through ``models.scope.Scope``; the rules live in ``models.points``
and ``models.awards``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from admin.auth import current_scope
from admin.excel import xlsx_response
from admin.forms import (
    FormState,
    Option,
    field_errors,
    form_values,
    int_or_none,
    path_id,
    see_other,
    shown_year,
)
from admin.i18n import gettext_of
from admin.keys import SETTINGS
from admin.labels import MEMBER_FIELD_LABELS
from admin.listing import (
    Column,
    Filter,
    Input,
    Listing,
    ListSpec,
    label_options,
    org_filter,
    unit_name_sort,
)
from admin.templating import render
from admin.views import member_path
from admin.views.members import branch_label
from bot import notify_points
from locales import N_
from models.awards import (
    RULE_EDITORS,
    AwardRule,
    create_rule,
    leaderboard,
    most_specific,
    rule_scope,
    rules,
    scoped_rule,
    update_rule,
    with_year_total,
)
from models.card_subjects import card_subjects
from models.clock import current_year
from models.errors import DomainError, NotFound, PermissionDenied, ValidationError
from models.members import Member
from models.org import OrgKind, OrgUnit
from models.pledges import GRADE_LABELS, Pledge
from models.points import (
    CARD_SOURCE_LABELS,
    PointCard,
    issue_manual_card,
    recorded_in_month,
    revoke_card,
)
from models.text import shortened

MEMBER_CHOICES_MAX = 20
SUBJECT_SHOWN = 60
YEARS_BACK = 5


def card_path(card_id: int) -> str:
    return f"/points/{card_id}"


def _years(extra: int | None = None) -> list[int]:
    this = current_year()
    years = set(range(this - YEARS_BACK + 1, this + 1))
    if extra:
        years.add(extra)
    return sorted(years, reverse=True)


async def _year_options(request: web.Request) -> list[Option]:
    return [Option(str(year), str(year)) for year in _years()]


def ledger_month(year: int, month: int) -> str:
    """The ledger's month filter value for ``month`` of ``year`` (what the dashboard links to)."""
    return f"{year}-{month:02d}"


async def _month_options(request: web.Request) -> list[Option]:
    """The months of the year chosen in the year filter (this year when none)."""
    chosen = int_or_none(request.query.get("year", ""))
    year = chosen if chosen in _years() else current_year()
    return [Option(ledger_month(year, month), ledger_month(year, month)) for month in range(1, 13)]


def _recorded_in_month(queryset: QuerySet, value: str) -> QuerySet:
    """``value`` is one of the month options: ``ledger_month``'s form."""
    year, month = (int(part) for part in value.split("-"))
    return recorded_in_month(queryset, year, month)


async def _kind_options(request: web.Request) -> list[Option]:
    gettext = gettext_of(request)
    return [Option("card", gettext(N_("Cards"))), Option("revocation", gettext(N_("Revocations")))]


async def describe_sources(cards: list[PointCard]) -> None:
    """Attach ``source_text``: the activity or the wish behind each entry (the reason has its
    own column)."""
    subjects = await card_subjects(cards)
    for card in cards:
        card.source_text = shortened(subjects[card.id], SUBJECT_SHOWN)


LEDGER_LIST = ListSpec(
    name="points",
    columns=(
        Column("created", N_("Recorded on"), lambda c: c.created_at, sort=("created_at",),
               href=lambda c: card_path(c.id)),
        Column("member", MEMBER_FIELD_LABELS["name"], lambda c: c.member.name,
               sort=("member__name", "created_at")),
        Column("branch", MEMBER_FIELD_LABELS["branch"], lambda c: branch_label(c.member.branch)),
        Column("amount", N_("Cards"), lambda c: c.amount, sort=("amount", "created_at")),
        Column("source", N_("Source"), lambda c: CARD_SOURCE_LABELS[c.source], translate=True,
               sort=("source", "created_at")),
        Column("what", N_("Activity or wish"), lambda c: c.source_text),
        Column("reason", N_("Reason"), lambda c: c.reason),
        Column("issued_by", N_("Issued by"), lambda c: c.issued_by.username if c.issued_by else None),
        Column("year", N_("Year"), lambda c: c.year, sort=("year", "created_at")),
        Column("revokes", N_("Revokes card no."), lambda c: c.revokes_id, in_table=False),
        Column("id", N_("Card no."), lambda c: c.id, in_table=False),
    ),
    default_sort="-created",
    filters=(
        Filter("source", N_("Source"), label_options(CARD_SOURCE_LABELS),
               lambda qs, value: qs.filter(source=value)),
        Filter("year", N_("Year"), _year_options, lambda qs, value: qs.filter(year=int(value))),
        Filter("month", N_("Month"), _month_options, _recorded_in_month),
        org_filter("member__branch__path"),
        Filter("kind", N_("Entries"), _kind_options,
               lambda qs, value: qs.filter(amount__gt=0) if value == "card" else qs.filter(amount__lt=0)),
    ),
    search_fields=("member__name", "reason"),
    select_related=("member__branch__parent", "issued_by"),
    decorate=describe_sources,
    page_fields=(
        "created_at", "member__name", "member__branch__name", "member__branch__parent__id",
        "member__branch__parent__name", "amount", "source", "source_id", "reason", "issued_by__id",
        "issued_by__username", "year",
    ),
    export_fields=(
        "created_at", "member__name", "member__branch__name", "member__branch__parent__id",
        "member__branch__parent__name", "amount", "source", "source_id", "reason", "issued_by__id",
        "issued_by__username", "year", "revokes_id",
    ),
)


async def _ledger(request: web.Request) -> tuple[Listing, Member | None]:
    """The ledger, or one member's entries (``?member=``: a member outside the scope is a 404)."""
    scope = current_scope(request)
    cards, inputs, member = scope.cards(), (), None
    if (member_id := int_or_none(request.query.get("member", ""))) is not None:
        member = await scope.member(member_id)
        cards = cards.filter(member_id=member.id)
        inputs = (Input("member", MEMBER_FIELD_LABELS["name"], str(member.id), "hidden"),)
    return await LEDGER_LIST.bind(request, cards, inputs), member


async def ledger(request: web.Request) -> web.StreamResponse:
    listing, member = await _ledger(request)
    return render(request, "points/ledger.html",
                  {"listing": listing, "page": await listing.page(), "member": member})


async def ledger_export(request: web.Request) -> web.StreamResponse:
    listing, _member = await _ledger(request)
    return await listing.export()


# ---------------------------------------------------------------- one card: revoke


async def _card_page(request: web.Request, card: PointCard, *, form: FormState | None = None,
                     status: int = 200) -> web.Response:
    await card.fetch_related("member__branch__parent", "issued_by", "revokes")
    await describe_sources([card])
    revocation = await PointCard.get_or_none(revokes_id=card.id).select_related("issued_by")
    return render(request, "points/card.html", {
        "card": card, "revocation": revocation, "form": form or FormState(),
        "branch": branch_label(card.member.branch), "source_label": CARD_SOURCE_LABELS[card.source],
    }, status=status)


async def card_detail(request: web.Request) -> web.StreamResponse:
    card = await current_scope(request).card(path_id(request, "card_id"))
    return await _card_page(request, card)


async def card_revoke(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    card = await scope.card(path_id(request, "card_id"))
    scope.require_write()
    values = form_values(await request.post(), ("reason",))
    try:
        async with in_transaction():
            revocation = await revoke_card(scope, card.id, values["reason"])
            await notify_points.card_revoked(revocation)
    except DomainError as error:
        if isinstance(error, (NotFound, PermissionDenied)):
            raise
        return await _card_page(request, card, status=422,
                                form=FormState(values, field_errors(error, gettext_of(request))))
    return see_other(card_path(card.id))


# ---------------------------------------------------------------- a manual card


async def _new_card_page(request: web.Request, form: FormState, *, status: int = 200) -> web.Response:
    scope = current_scope(request)
    search = form.values.get("q", "").strip()[:50]
    chosen = int_or_none(form.values.get("member", ""))
    members = []
    if search:
        members = await (scope.members().filter(name__icontains=search).select_related("branch__parent")
                         .order_by("name", "id").limit(MEMBER_CHOICES_MAX))
    elif chosen is not None:
        members = await scope.members().filter(id=chosen).select_related("branch__parent")
    options = [Option(str(m.id), f"{m.name} · {branch_label(m.branch)}") for m in members]
    return render(request, "points/new.html", {
        "form": form, "search": search, "options": options,
        "limit_reached": len(members) >= MEMBER_CHOICES_MAX,
    }, status=status)


async def new_card_form(request: web.Request) -> web.StreamResponse:
    current_scope(request).require_write()
    values = {"q": request.query.get("q", ""), "member": request.query.get("member", "")}
    return await _new_card_page(request, FormState(values))


async def issue_card(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    values = form_values(await request.post(), ("member", "reason", "q"))
    member_id = int_or_none(values["member"])
    try:
        if member_id is None:
            raise ValidationError(N_("Choose a member."), field="member")
        # A member outside the organisation (a forged id) is a 404, like any other record.
        async with in_transaction():
            card = await issue_manual_card(scope, member_id, values["reason"])
            await notify_points.card_recorded(card)
    except ValidationError as error:
        errors = field_errors(error, gettext_of(request))
        return await _new_card_page(request, FormState(values, errors), status=422)
    return see_other(card_path(card.id))


# ---------------------------------------------------------------- the award list


async def _chosen_rule(request: web.Request) -> tuple[AwardRule, list[AwardRule]]:
    scope = current_scope(request)
    visible = [rule for rule in await rules()
               if rule.org is None or scope.covers(rule.org) or scope.path.startswith(rule.org.path)]
    rule_id = int_or_none(request.query.get("rule", ""))
    if rule_id is not None:
        return await scoped_rule(scope, rule_id), visible
    return most_specific(visible, scope.path), visible


async def _attach_grades(members: list[Any], year: int) -> None:
    grades = dict(await Pledge.filter(member_id__in=[m.id for m in members], year=year)
                  .values_list("member_id", "grade")) if members else {}
    for member in members:
        member.grade = grades.get(member.id)


AWARD_FIELDS = ("name", "branch__name", "branch__parent__id", "branch__parent__name", "cards_total")


def _award_list(request: web.Request, rule: AwardRule, year: int) -> ListSpec:
    gettext = gettext_of(request)

    async def qualifies_options(_: web.Request) -> list[Option]:
        return [Option("yes", gettext(N_("Qualifies"))), Option("no", gettext(N_("Does not qualify yet")))]

    async def decorate(members: list[Any]) -> None:
        await _attach_grades(members, year)

    return ListSpec(
        name="awards",
        columns=(
            Column("name", MEMBER_FIELD_LABELS["name"], lambda m: m.name, sort=("name",),
                   href=lambda m: member_path(m.id)),
            Column("branch", MEMBER_FIELD_LABELS["branch"], lambda m: branch_label(m.branch),
                   **unit_name_sort("branch", "name")),
            Column("cards", N_("Cards"), lambda m: int(m.cards_total), sort=("cards_total", "name")),
            Column("qualifies", N_("Qualifies"), lambda m: rule.qualifies(int(m.cards_total))),
            Column("needed", N_("Cards still needed"), lambda m: rule.needed(int(m.cards_total))),
            Column("grade", N_("Annual grade"), lambda m: GRADE_LABELS[m.grade] if m.grade else None,
                   translate=True),
        ),
        default_sort="-cards",
        filters=(
            org_filter("branch__path"),
            Filter("qualifies", N_("Qualifies"), qualifies_options,
                   lambda qs, value: rule.filter_qualifying(qs, qualifying=value == "yes")),
        ),
        search_fields=("name",),
        select_related=("branch__parent",),
        decorate=decorate,
        page_fields=AWARD_FIELDS,
        export_fields=AWARD_FIELDS,
    )


async def _award_listing(request: web.Request):
    scope = current_scope(request)
    year = shown_year(request.query.get("year"))
    rule, visible = await _chosen_rule(request)
    queryset = with_year_total(rule_scope(scope, rule), year)
    inputs = (Input("year", N_("Year"), str(year), "hidden"), Input("rule", N_("Award"), str(rule.id), "hidden"))
    listing = await _award_list(request, rule, year).bind(request, queryset, inputs)
    return listing, rule, visible, year


async def award_list(request: web.Request) -> web.StreamResponse:
    return await _awards_page(request)


async def award_export(request: web.Request) -> web.StreamResponse:
    listing, *_ = await _award_listing(request)
    return await listing.export()


async def _rule_units(request: web.Request) -> list[Option]:
    scope = current_scope(request)
    units = await scope.org_units().filter(kind__in=[OrgKind.STREET, OrgKind.COMMUNITY, OrgKind.BRANCH])
    return [Option(str(u.id), "\u00a0" * 3 * (u.depth - scope.org.depth) + u.name) for u in units]


async def _awards_page(request: web.Request, *, rule_form: FormState | None = None,
                       new_rule_form: FormState | None = None, status: int = 200) -> web.Response:
    listing, rule, visible, year = await _award_listing(request)
    scope = current_scope(request)
    # The roll of honour of the unit the list is filtered to (else the user's own).
    roll_query = ({"org": org} if (org := request.query.get("org")) else {}) | {"year": year}
    return render(request, "points/awards.html", {
        "listing": listing, "page": await listing.page(), "rule": rule, "rules": visible,
        "year": year, "years": _years(year), "roll_query": roll_query,
        "can_edit": not scope.read_only and scope.user.role in RULE_EDITORS,
        "rule_form": rule_form or FormState({"name": rule.name, "threshold": str(rule.threshold)}),
        "new_rule_form": new_rule_form or FormState(), "units": await _rule_units(request),
    }, status=status)


async def rule_update(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    rule_id = path_id(request, "rule_id")
    values = form_values(await request.post(), ("name", "threshold"))
    try:
        await update_rule(scope, rule_id, name=values["name"], threshold=values["threshold"])
    except ValidationError as error:
        return await _awards_page(
            request, status=422, rule_form=FormState(values, field_errors(error, gettext_of(request))))
    return see_other(f"/points/awards?rule={rule_id}")


async def rule_create(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    values = form_values(await request.post(), ("org", "name", "threshold"))
    try:
        rule = await create_rule(scope, values["org"], name=values["name"], threshold=values["threshold"])
    except ValidationError as error:
        return await _awards_page(
            request, status=422, new_rule_form=FormState(values, field_errors(error, gettext_of(request))))
    return see_other(f"/points/awards?rule={rule.id}")


# ---------------------------------------------------------------- leaderboards


async def _leaderboard_unit(request: web.Request) -> tuple[OrgUnit, list[OrgUnit]]:
    """The community asked for (in scope), else the first; below community level, the user's own unit."""
    scope = current_scope(request)
    communities = list(await scope.org_units().filter(kind=OrgKind.COMMUNITY).order_by("path"))
    if not communities:
        return scope.org, []
    unit_id = int_or_none(request.query.get("community", ""))
    if unit_id is not None:
        chosen = next((c for c in communities if c.id == unit_id), None)
        if chosen is None:
            raise NotFound(N_("No such unit in your organisation."))
        return chosen, communities
    return communities[0], communities


async def leaderboard_page(request: web.Request) -> web.StreamResponse:
    unit, communities = await _leaderboard_unit(request)
    year = shown_year(request.query.get("year"))
    ranks = await leaderboard(unit, year, limit=100, members=current_scope(request).members())
    return render(request, "points/leaderboard.html", {
        "unit": unit, "communities": communities, "ranks": ranks, "year": year, "years": _years(year),
    })


async def leaderboard_export(request: web.Request) -> web.StreamResponse:
    unit, _ = await _leaderboard_unit(request)
    year = shown_year(request.query.get("year"))
    translate = gettext_of(request)
    ranks = await leaderboard(unit, year, limit=None, members=current_scope(request).members())
    header = [translate(label) for label in (N_("Rank"), MEMBER_FIELD_LABELS["name"], N_("Cards"),
                                             N_("Hidden from other members"))]
    rows = ([r.position, r.name, r.total, r.opted_out] for r in ranks)  # yes/no: see admin.excel
    today = datetime.now(request.app[SETTINGS].tz).strftime("%Y%m%d")
    return await xlsx_response(request, f"leaderboard-{unit.id}-{year}-{today}.xlsx", header, rows)
