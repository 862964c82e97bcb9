"""Micro-wishes (微心愿): the list with its export, the review queue, paper entry, the wish page
and its actions (publish, reject, release, confirm fulfilment).

Each action runs the model's transition and the notification it causes in one
transaction, as the bot does: both happen, or neither.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, timedelta

from aiohttp import web
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from admin.audit_fields import wording_of
from admin.auth import current_actor, current_scope
from admin.forms import (
    FormState,
    Option,
    field_errors,
    form_values,
    path_id,
    see_other,
    translated_options,
    unit_options,
)
from admin.i18n import gettext_of
from admin.labels import WISH_FIELD_LABELS
from admin.listing import (
    YES_NO_OPTIONS,
    Column,
    Filter,
    ListSpec,
    label_options,
    nulls_last_sort,
    org_filter,
)
from admin.templating import render
from admin.views import member_path
from admin.views.photos import photos_shown
from admin.views.public_wall import wall_url
from bot import notify
from locales import N_
from models.audit import is_resident_label
from models.clock import local_today
from models.errors import ValidationError
from models.members import Member
from models.org import OrgKind, OrgUnit
from models.scope import Scope
from models.wish_matching import suggest_claimants
from models.wishes import (
    SATISFACTION_LABELS,
    WISH_CATEGORY_LABELS,
    WISH_STATUS_LABELS,
    Satisfaction,
    Wish,
    WishCategory,
    WishStatus,
    all_progress,
    clean_contact_phone,
    clean_resident_name,
    clean_service_standard,
    clean_wish_text,
    confirm_fulfilled,
    overdue_condition,
    publish_wish,
    reject_wish,
    release_wish,
    reopen_wish,
    submit_wish,
    wish_history,
)

ENTRY_FIELDS = ("community", "text", "resident_name", "contact_phone", "suggested_category")
PUBLISH_FIELDS = ("category", "service_standard", "deadline")
# Claimants are suggested while the wish still needs one.
SUGGESTING = (WishStatus.COLLECTED, WishStatus.PUBLISHED)
RELEASABLE = (WishStatus.CLAIMED, WishStatus.DONE)


def wish_path(wish_id: int) -> str:
    return f"/wishes/{wish_id}"


def _wish_id(request: web.Request) -> int:
    return path_id(request, "wish_id")


async def _communities(scope: Scope) -> list[OrgUnit]:
    return list(await scope.org_units().filter(kind=OrgKind.COMMUNITY))


# --------------------------------------------------------------------------- lists


async def _area_options(request: web.Request) -> list[Option]:
    """Communities in scope and the units above them: wishes belong to communities, not branches."""
    scope = current_scope(request)
    kinds = [OrgKind.DISTRICT, OrgKind.STREET, OrgKind.COMMUNITY]
    return unit_options(await scope.org_units().filter(kind__in=kinds), scope.org.depth)


def _overdue(queryset: QuerySet[Wish], value: str) -> QuerySet[Wish]:
    # Wishes in the statuses that can be overdue always have a deadline, so NOT(...) is exact.
    condition = overdue_condition()
    return queryset.filter(condition) if value == "yes" else queryset.exclude(condition)


LABEL = WISH_FIELD_LABELS
_TEXT = Column("text", LABEL["text"], lambda w: w.text, href=lambda w: wish_path(w.id))
_COMMUNITY = Column(
    "community", LABEL["community"], lambda w: w.community.name, sort=("community__name",)
)
_CREATED = Column("created", LABEL["created_at"], lambda w: w.created_at, sort=("created_at",))
_RESIDENT = Column(
    "resident_name", LABEL["resident_name"], lambda w: w.resident_name, personal=True
)
_PHONE = Column("contact_phone", LABEL["contact_phone"], lambda w: w.contact_phone, personal=True)
_SUGGESTED = Column(
    "suggested_category",
    LABEL["suggested_category"],
    lambda w: WISH_CATEGORY_LABELS.get(w.suggested_category),
    translate=True,
)
_PROXY = Column("proxy_entered", LABEL["proxy_entered"], lambda w: w.proxy_entered)
_AREA = replace(org_filter("community__path"), label=LABEL["community"], options=_area_options)

WISH_LIST = ListSpec(
    name="wishes",
    columns=(
        _TEXT,
        _COMMUNITY,
        Column(
            "category",
            LABEL["category"],
            lambda w: WISH_CATEGORY_LABELS.get(w.category),
            translate=True,
            **nulls_last_sort("category"),
        ),
        Column(
            "status",
            LABEL["status"],
            lambda w: WISH_STATUS_LABELS[w.status],
            translate=True,
            sort=("status",),
        ),
        Column("deadline", LABEL["deadline"], lambda w: w.deadline, **nulls_last_sort("deadline")),
        Column("overdue", LABEL["overdue"], lambda w: w.overdue),
        Column("claimant", LABEL["claimant"], lambda w: w.claimant.name if w.claimant else None),
        _RESIDENT,
        _PHONE,
        _CREATED,
        # The rest goes into the export only.
        Column("id", LABEL["id"], lambda w: w.id, in_table=False),
        replace(_SUGGESTED, in_table=False),
        Column(
            "service_standard",
            LABEL["service_standard"],
            lambda w: w.service_standard,
            in_table=False,
        ),
        replace(_PROXY, in_table=False),
        Column("published_at", LABEL["published_at"], lambda w: w.published_at, in_table=False),
        Column("fulfilled_at", LABEL["fulfilled_at"], lambda w: w.fulfilled_at, in_table=False),
        Column(
            "satisfaction",
            LABEL["satisfaction"],
            lambda w: SATISFACTION_LABELS.get(w.satisfaction),
            translate=True,
            in_table=False,
        ),
        Column("reason", LABEL["reason"], lambda w: w.reject_reason, in_table=False),
    ),
    default_sort="-created",
    filters=(
        Filter(
            "status",
            LABEL["status"],
            label_options(WISH_STATUS_LABELS),
            lambda qs, value: qs.filter(status=value),
        ),
        Filter(
            "category",
            LABEL["category"],
            label_options(WISH_CATEGORY_LABELS),
            lambda qs, value: qs.filter(category=value),
        ),
        _AREA,
        Filter("overdue", LABEL["overdue"], YES_NO_OPTIONS, _overdue),
    ),
    search_fields=("text",),
    personal_search_fields=("resident_name", "contact_phone"),
    select_related=("community", "claimant"),
)

REVIEW_QUEUE = ListSpec(
    name="wish_review",
    columns=(_CREATED, _COMMUNITY, _TEXT, _SUGGESTED, _RESIDENT, _PHONE, _PROXY),
    default_sort="created",  # oldest first: first come, first reviewed
    filters=(
        _AREA,
        Filter(
            "category",
            LABEL["suggested_category"],
            label_options(WISH_CATEGORY_LABELS),
            lambda qs, value: qs.filter(suggested_category=value),
        ),
    ),
    search_fields=("text",),
    personal_search_fields=("resident_name", "contact_phone"),
    select_related=("community",),
)


def _awaiting_review(scope: Scope) -> QuerySet[Wish]:
    return scope.wishes().filter(status=WishStatus.COLLECTED)


async def wish_list(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    listing = await WISH_LIST.bind(request, scope.wishes())
    communities = await _communities(scope)
    return render(
        request,
        "wishes/list.html",
        {
            "listing": listing,
            "page": await listing.page(),
            "walls": [(community, wall_url(request, community.id)) for community in communities],
            "can_enter": bool(communities) and not scope.read_only,
            "awaiting_review": await _awaiting_review(scope).count(),
        },
    )


async def wish_export(request: web.Request) -> web.StreamResponse:
    listing = await WISH_LIST.bind(request, current_scope(request).wishes())
    return await listing.export()


async def review_queue(request: web.Request) -> web.StreamResponse:
    listing = await REVIEW_QUEUE.bind(request, _awaiting_review(current_scope(request)))
    return render(request, "wishes/review.html", {"listing": listing, "page": await listing.page()})


async def review_export(request: web.Request) -> web.StreamResponse:
    listing = await REVIEW_QUEUE.bind(request, _awaiting_review(current_scope(request)))
    return await listing.export()


# --------------------------------------------------------------------------- parsing forms


def _category(value: str, field: str, *, required: bool = True) -> WishCategory | None:
    if not value and not required:
        return None
    try:
        return WishCategory(value)
    except ValueError:
        raise ValidationError(N_("Choose the kind of help."), field=field) from None


def _deadline(value: str) -> date:
    if not value:
        raise ValidationError(N_("Choose a deadline."), field="deadline")
    try:
        return date.fromisoformat(value)
    except ValueError:
        example = (local_today() + timedelta(days=14)).isoformat()
        raise ValidationError(
            N_("Please write the date as YYYY-MM-DD, for example {example}."),
            field="deadline",
            example=example,
        ) from None


def _satisfaction(value: str) -> Satisfaction | None:
    if not value:
        return None
    try:
        return Satisfaction(value)
    except ValueError:
        raise ValidationError(N_("Choose one of the answers."), field="satisfaction") from None


def _checked(
    request: web.Request, **checks: Callable[[], object]
) -> tuple[dict[str, object], dict[str, str]]:
    """Run every field's check: the clean values, and a translated message per failed field."""
    clean, errors = {}, {}
    for name, check in checks.items():
        try:
            clean[name] = check()
        except ValidationError as error:
            errors.update(field_errors(error, gettext_of(request)))
    return clean, errors


# --------------------------------------------------------------------------- paper entry


async def _entry_page(request: web.Request, form: FormState, *, status: int = 200) -> web.Response:
    communities = await _communities(current_scope(request))
    return render(
        request,
        "wishes/form.html",
        {
            "form": form,
            "communities": [Option(str(unit.id), unit.name) for unit in communities],
            "categories": translated_options(WISH_CATEGORY_LABELS, gettext_of(request)),
        },
        status=status,
    )


async def new_wish_form(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    defaults = {"community": str(scope.org.id)} if scope.org.kind == OrgKind.COMMUNITY else {}
    return await _entry_page(request, FormState(values=defaults))


async def create_wish_view(request: web.Request) -> web.StreamResponse:
    """A wish collected on paper, entered by a secretary for the resident (proxy-entered)."""
    scope = current_scope(request)
    scope.require_write()
    values = form_values(await request.post(), ENTRY_FIELDS)
    community = next(
        (unit for unit in await _communities(scope) if str(unit.id) == values["community"]), None
    )
    clean, errors = _checked(
        request,
        text=lambda: clean_wish_text(values["text"]),
        resident_name=lambda: clean_resident_name(values["resident_name"]),
        # Optional, as in the bot: some residents are reached through the community.
        contact_phone=lambda: (
            clean_contact_phone(values["contact_phone"]) if values["contact_phone"] else None
        ),
        suggested_category=lambda: _category(
            values["suggested_category"], "suggested_category", required=False
        ),
    )
    if community is None:
        errors["community"] = gettext_of(request)(N_("Choose a community."))
    if errors:
        return await _entry_page(request, FormState(values, errors), status=422)
    wish = await submit_wish(community, actor=current_actor(request), proxy=True, **clean)
    return see_other(wish_path(wish.id))


# --------------------------------------------------------------------------- the wish page


async def _linkable(scope: Scope, members: list[Member]) -> set[int]:
    """Which of ``members`` have a page this user may open."""
    ids = {member.id for member in members}
    if not ids:
        return set()
    return set(await scope.members().filter(id__in=ids).values_list("id", flat=True))


def _history_actor(request: web.Request):
    """Who made a history entry: on the wish's own page, its resident is "the resident"."""
    wording, gettext = wording_of(request), gettext_of(request)

    def actor(entry) -> str:
        return gettext(N_("the resident")) if is_resident_label(entry.actor_label) else wording.actor(entry)

    return actor


async def _detail_page(
    request: web.Request, wish: Wish, *, status: int = 200, **forms: FormState
) -> web.Response:
    """The wish page; ``forms`` replaces the blank action forms (a refused one, with its errors)."""
    scope = current_scope(request)
    gettext = gettext_of(request)
    await wish.fetch_related("community", "claimant", "entered_by")
    suggestions = await suggest_claimants(wish) if wish.status in SUGGESTING else []
    shown_members = [member for member, _ in suggestions]
    if wish.claimant is not None:
        shown_members.append(wish.claimant)
    blank = {
        "publish": FormState(values={"category": str(wish.suggested_category or "")}),
        "reject": FormState(),
        "release": FormState(),
        "fulfil": FormState(),
    }
    return render(
        request,
        "wishes/detail.html",
        {
            "wish": wish,
            "progress": await all_progress(wish),
            "photos_shown": photos_shown(request),
            "history": await wish_history(wish),
            "actor_of": _history_actor(request),
            "suggestions": suggestions,
            "member_links": {
                member_id: member_path(member_id)
                for member_id in await _linkable(scope, shown_members)
            },
            "forms": {**blank, **forms},
            "categories": translated_options(WISH_CATEGORY_LABELS, gettext),
            "satisfactions": translated_options(SATISFACTION_LABELS, gettext),
            "releasable": wish.status in RELEASABLE,
        },
        status=status,
    )


async def wish_detail(request: web.Request) -> web.StreamResponse:
    wish = await current_scope(request).wish(_wish_id(request))
    return await _detail_page(request, wish)


async def _writable_wish(request: web.Request) -> Wish:
    scope = current_scope(request)
    scope.require_write()
    return await scope.wish(_wish_id(request))


async def _apply(
    request: web.Request,
    wish: Wish,
    transition: Callable[[], Awaitable[object]],
    notification: Callable[[Wish], Awaitable[object]],
) -> dict[str, str]:
    """The transition and its notification, in one transaction; field errors when refused."""
    try:
        async with in_transaction():
            await transition()
            await notification(wish)
    except ValidationError as error:
        return field_errors(error, gettext_of(request))
    return {}


async def publish(request: web.Request) -> web.StreamResponse:
    wish = await _writable_wish(request)
    values = form_values(await request.post(), PUBLISH_FIELDS)
    review, errors = _checked(
        request,
        category=lambda: _category(values["category"], "category"),
        service_standard=lambda: clean_service_standard(values["service_standard"]),
        deadline=lambda: _deadline(values["deadline"]),
    )
    if not errors:
        actor = current_actor(request)
        errors = await _apply(
            request, wish, lambda: publish_wish(wish, actor, **review), notify.wish_published
        )
    if errors:
        return await _detail_page(request, wish, publish=FormState(values, errors), status=422)
    return see_other(wish_path(wish.id))


async def reject(request: web.Request) -> web.StreamResponse:
    wish = await _writable_wish(request)
    values = form_values(await request.post(), ("reason",))
    actor = current_actor(request)
    errors = await _apply(
        request, wish, lambda: reject_wish(wish, actor, values["reason"]), notify.wish_rejected
    )
    if errors:
        return await _detail_page(request, wish, reject=FormState(values, errors), status=422)
    return see_other(wish_path(wish.id))


async def release(request: web.Request) -> web.StreamResponse:
    """Put a claimed (e.g. overdue) wish back on the wall, with a reason."""
    wish = await _writable_wish(request)
    values = form_values(await request.post(), ("reason",))
    actor = current_actor(request)
    errors = await _apply(
        request, wish, lambda: release_wish(wish, actor, values["reason"]), notify.wish_released
    )
    if errors:
        return await _detail_page(request, wish, release=FormState(values, errors), status=422)
    return see_other(wish_path(wish.id))


async def reopen(request: web.Request) -> web.StreamResponse:
    """The secretary (who checked with the resident) says a done wish is not done yet."""
    wish = await _writable_wish(request)
    await request.post()  # the CSRF token only
    actor = current_actor(request)
    errors = await _apply(request, wish, lambda: reopen_wish(wish, actor), notify.wish_not_done)
    if errors:
        return await _detail_page(request, wish, status=422)
    return see_other(wish_path(wish.id))


async def fulfil(request: web.Request) -> web.StreamResponse:
    """The secretary confirms a done wish: fulfilled, and the model records the claimant's card."""
    wish = await _writable_wish(request)
    values = form_values(await request.post(), ("satisfaction",))
    answer, errors = _checked(request, satisfaction=lambda: _satisfaction(values["satisfaction"]))
    if not errors:
        actor = current_actor(request)
        errors = await _apply(
            request, wish, lambda: confirm_fulfilled(wish, actor, **answer), notify.wish_fulfilled
        )
    if errors:
        return await _detail_page(request, wish, fulfil=FormState(values, errors), status=422)
    return see_other(wish_path(wish.id))
