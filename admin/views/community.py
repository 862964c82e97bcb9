"""Community service (在职党员进社区报到, 认岗领岗, volunteer teams, activities) in the panel.

Registrations: the confirmation queue, the list with its export, statistics and the
decisions. Service posts: list, creation, close and reopen, holders. Activities: list
with export, one-off creation, the page with its sign-ups, reschedule, cancel and
attendance. Teams: list, creation, join requests and leaders.

Every record is reached through ``models.scope.Scope``; rights are checked by the models.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from aiohttp import web
from tortoise.transactions import in_transaction

from admin.auth import current_actor, current_scope
from admin.excel import Sheet, xlsx_response, xlsx_sheets_response
from admin.forms import (
    FormState,
    Option,
    field_errors,
    form_values,
    int_or_none,
    path_id,
    see_other,
    translated_options,
    unit_options,
)
from admin.i18n import gettext_of
from admin.keys import SETTINGS
from admin.labels import COMMUNITY_FIELD_LABELS as LABEL
from admin.labels import MEMBER_FIELD_LABELS, WEEKDAY_LABELS
from admin.listing import (
    YES_NO_OPTIONS,
    Column,
    Filter,
    ListSpec,
    distinct_options,
    label_options,
    org_filter,
)
from admin.templating import render
from bot import notify_community, notify_points
from locales import N_
from models.activities import (
    ACTIVITY_STATUS_LABELS,
    HOLDING,
    SIGN_UP_STATUS_LABELS,
    Activity,
    ActivityStatus,
    SignUp,
    SignUpStatus,
    cancel_activity,
    create_activity,
    reschedule,
)
from models.activity_series import (
    DEFAULT_WEEKS_AHEAD,
    FREQUENCY_LABELS,
    MAX_WEEKS_AHEAD,
    ActivitySeries,
    Frequency,
    create_series,
    generate_occurrences,
    stop_series,
)
from models.attendance import ATTENDANCE_NOT_YET, OUTCOMES, attendance_open, mark_attendance
from models.errors import DomainError, ValidationError
from models.members import MANAGEMENT_CATEGORY_LABELS
from models.org import OrgKind, OrgUnit
from models.posts import PostClaim, close_post, create_post, reopen_post, update_post
from models.registration import (
    REGISTRATION_STATUS_LABELS,
    Registration,
    RegistrationStatus,
    StatsDimension,
    confirm_registration,
    decline_registration,
    registration_stats,
)
from models.scope import Scope
from models.teams import (
    TeamMembership,
    TeamRole,
    appoint_leader,
    approve_membership,
    create_team,
    decline_membership,
    demote_leader,
    join_requests,
    team_members,
    update_team,
)
from models.wishes import WISH_CATEGORY_LABELS, WishCategory


async def _communities(scope: Scope) -> list[OrgUnit]:
    return list(await scope.org_units().filter(kind=OrgKind.COMMUNITY))


async def _community_options(request: web.Request) -> list[Option]:
    scope = current_scope(request)
    kinds = [OrgKind.DISTRICT, OrgKind.STREET, OrgKind.COMMUNITY]
    return unit_options(await scope.org_units().filter(kind__in=kinds), scope.org.depth)


_AREA = replace(org_filter("community__path", "community"), label=LABEL["community"],
                options=_community_options)


async def _registration_community_options(request: web.Request) -> list[Option]:
    """The units in scope, then the other communities the scope's members reported to (a
    branch sees its members' registrations wherever they report)."""
    options = await _community_options(request)
    listed = [int(option.value) for option in options]
    elsewhere = await (current_scope(request).registrations().exclude(community_id__in=listed)
                       .order_by("community__name").distinct()
                       .values_list("community_id", "community__name"))
    return options + [Option(str(unit_id), name) for unit_id, name in elsewhere]


_REGISTRATION_AREA = replace(_AREA, options=_registration_community_options)


def _community_defaults(scope: Scope) -> dict[str, str]:
    return {"community": str(scope.org.id)} if scope.org.kind == OrgKind.COMMUNITY else {}


async def _chosen_community(scope: Scope, value: str) -> OrgUnit | None:
    return next((unit for unit in await _communities(scope) if str(unit.id) == value), None)


# =========================================================================== registrations


def registration_path(registration_id: int) -> str:
    return f"/community/registrations/{registration_id}"


def _kinds(registration: Registration) -> str:
    return ", ".join(str(kind) for kind in registration.service_kinds or ())


_REG_COLUMNS = (
    Column("member", LABEL["member"], lambda r: r.member.name,
           href=lambda r: registration_path(r.id), sort=("member__name",)),
    Column("community", LABEL["community"], lambda r: r.community.name, sort=("community__name",)),
    Column("status", LABEL["status"], lambda r: REGISTRATION_STATUS_LABELS[r.status],
           translate=True, sort=("status",)),
    Column("skills", LABEL["skills"], lambda r: r.skills),
    Column("created", LABEL["created_at"], lambda r: r.created_at, sort=("created_at",)),
    Column("reviewed_at", LABEL["reviewed_at"], lambda r: r.reviewed_at, in_table=False),
    Column("service_kinds", LABEL["service_kinds"], _kinds, in_table=False),
    Column("reason", LABEL["reason"], lambda r: r.decline_reason, in_table=False),
)

REGISTRATION_LIST = ListSpec(
    name="registrations",
    columns=_REG_COLUMNS,
    default_sort="-created",
    filters=(
        Filter("status", LABEL["status"], label_options(REGISTRATION_STATUS_LABELS),
               lambda qs, value: qs.filter(status=value)),
        _REGISTRATION_AREA,
        Filter("occupation", MEMBER_FIELD_LABELS["occupation"],
               distinct_options(lambda request: current_scope(request).registrations(),
                                "member__occupation"),
               lambda qs, value: qs.filter(member__occupation=value)),
    ),
    search_fields=("member__name", "skills"),
    select_related=("member", "community"),
)

REGISTRATION_QUEUE = ListSpec(
    name="registration_queue",
    columns=tuple(c for c in _REG_COLUMNS if c.key != "status"),
    default_sort="created",  # oldest first
    filters=(_AREA,),
    search_fields=("member__name", "skills"),
    select_related=("member", "community"),
)


def _pending(scope: Scope):
    return scope.registrations().filter(status=RegistrationStatus.PENDING)


async def registration_queue(request: web.Request) -> web.StreamResponse:
    listing = await REGISTRATION_QUEUE.bind(request, _pending(current_scope(request)))
    return render(request, "community/registration_queue.html",
                  {"listing": listing, "page": await listing.page()})


async def registration_queue_export(request: web.Request) -> web.StreamResponse:
    listing = await REGISTRATION_QUEUE.bind(request, _pending(current_scope(request)))
    return await listing.export()


async def registration_list(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    listing = await REGISTRATION_LIST.bind(request, scope.registrations())
    return render(request, "community/registrations.html", {
        "listing": listing, "page": await listing.page(), "pending": await _pending(scope).count(),
    })


async def registration_export(request: web.Request) -> web.StreamResponse:
    listing = await REGISTRATION_LIST.bind(request, current_scope(request).registrations())
    return await listing.export()


async def _statistics_tables(request: web.Request) -> tuple[list, int]:
    registrations = current_scope(request).registrations()
    gettext = gettext_of(request)
    by_category = [
        (gettext(MANAGEMENT_CATEGORY_LABELS[row.key]) if row.key in MANAGEMENT_CATEGORY_LABELS
         else row.key or "—", row.count)
        for row in await registration_stats(registrations, StatsDimension.MANAGEMENT_CATEGORY)
    ]
    tables = [
        (N_("By community"), [(row.key, row.count) for row in
                              await registration_stats(registrations, StatsDimension.COMMUNITY)]),
        (N_("By occupation"), [(row.key or "—", row.count) for row in
                               await registration_stats(registrations, StatsDimension.OCCUPATION)]),
        (N_("By management category"), by_category),
    ]
    total = await registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    return tables, total


async def registration_statistics(request: web.Request) -> web.StreamResponse:
    tables, total = await _statistics_tables(request)
    return render(request, "community/registration_stats.html", {"tables": tables, "total": total})


async def registration_statistics_export(request: web.Request) -> web.StreamResponse:
    """One sheet per table of the statistics page."""
    tables, _total = await _statistics_tables(request)
    gettext = gettext_of(request)
    header = [gettext(N_("Group")), gettext(N_("Confirmed registrations"))]
    sheets = [Sheet(header, rows, title=gettext(title)) for title, rows in tables]
    today = datetime.now(request.app[SETTINGS].tz).strftime("%Y%m%d")
    return await xlsx_sheets_response(request, f"registration-stats-{today}.xlsx", sheets)


async def _registration_page(
    request: web.Request, registration: Registration, *, decline: FormState | None = None,
    status: int = 200,
) -> web.Response:
    await registration.fetch_related("member", "community", "reviewed_by")
    gettext = gettext_of(request)
    kinds = [gettext(WISH_CATEGORY_LABELS[WishCategory(kind)]) for kind in registration.service_kinds
             if kind in set(WishCategory)]
    return render(request, "community/registration.html", {
        "registration": registration, "kinds": kinds, "decline": decline or FormState(),
    }, status=status)


async def registration_detail(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    registration = await scope.registration(path_id(request, "registration_id"))
    return await _registration_page(request, registration)


async def _writable_registration(request: web.Request) -> Registration:
    scope = current_scope(request)
    scope.require_write()
    return await scope.registration(path_id(request, "registration_id"))


async def registration_confirm(request: web.Request) -> web.StreamResponse:
    registration = await _writable_registration(request)
    scope = current_scope(request)
    async with in_transaction():
        await confirm_registration(registration, scope)
        await notify_community.registration_confirmed(registration)
    return see_other(registration_path(registration.id))


async def registration_decline(request: web.Request) -> web.StreamResponse:
    registration = await _writable_registration(request)
    scope = current_scope(request)
    values = form_values(await request.post(), ("reason",))
    try:
        async with in_transaction():
            await decline_registration(registration, scope, values["reason"])
            await notify_community.registration_declined(registration)
    except ValidationError as error:
        return await _registration_page(
            request, registration, decline=FormState(values, field_errors(error, gettext_of(request))), status=422
        )
    return see_other(registration_path(registration.id))


# =========================================================================== service posts


def post_path(post_id: int) -> str:
    return f"/community/posts/{post_id}"


POST_LIST = ListSpec(
    name="service_posts",
    columns=(
        Column("name", LABEL["post_name"], lambda p: p.name, href=lambda p: post_path(p.id),
               sort=("name",)),
        Column("community", LABEL["community"], lambda p: p.community.name,
               sort=("community__name",)),
        Column("kind", LABEL["kind"], lambda p: WISH_CATEGORY_LABELS.get(p.kind), translate=True),
        Column("capacity", LABEL["capacity"], lambda p: p.capacity),
        Column("taken", LABEL["taken"], lambda p: p.taken, sort=("taken",)),
        Column("is_open", LABEL["is_open"], lambda p: p.is_open, sort=("is_open",)),
        Column("description", LABEL["description"], lambda p: p.description, in_table=False),
    ),
    default_sort="name",
    filters=(_AREA,),
    search_fields=("name", "description"),
    select_related=("community",),
)

POST_FIELDS = ("community", "name", "description", "kind", "capacity")


async def post_list(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    listing = await POST_LIST.bind(request, scope.service_posts())
    return render(request, "community/posts.html", {
        "listing": listing, "page": await listing.page(),
        "can_create": not scope.read_only and bool(await _communities(scope)),
    })


async def post_export(request: web.Request) -> web.StreamResponse:
    listing = await POST_LIST.bind(request, current_scope(request).service_posts())
    return await listing.export()


async def _post_form(request: web.Request, form: FormState, *, status: int = 200) -> web.Response:
    scope = current_scope(request)
    return render(request, "community/post_form.html", {
        "form": form,
        "communities": [Option(str(u.id), u.name) for u in await _communities(scope)],
        "kinds": translated_options(WISH_CATEGORY_LABELS, gettext_of(request)),
    }, status=status)


async def new_post_form(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    return await _post_form(request, FormState(values=_community_defaults(scope)))


def _capacity(value: str) -> int | None:
    if not value:
        return None
    number = int_or_none(value)
    if number is None:
        raise ValidationError(N_("Enter a number of people from 1 to 10000, or leave it empty."),
                              field="capacity")
    return number


async def create_post_view(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    values = form_values(await request.post(), POST_FIELDS)
    errors: dict[str, str] = {}
    community = await _chosen_community(scope, values["community"])
    if community is None:
        errors["community"] = gettext_of(request)(N_("Choose a community."))
    if values["kind"] and values["kind"] not in {str(k) for k in WishCategory}:
        errors["kind"] = gettext_of(request)(N_("Unknown kind of service."))
    capacity = None
    try:
        capacity = _capacity(values["capacity"])
    except ValidationError as error:
        errors.update(field_errors(error, gettext_of(request)))
    if not errors:
        try:
            post = await create_post(scope, community, name=values["name"],
                                     description=values["description"],
                                     kind=values["kind"] or None, capacity=capacity)
        except ValidationError as error:
            errors.update(field_errors(error, gettext_of(request)))
    if errors:
        return await _post_form(request, FormState(values, errors), status=422)
    return see_other(post_path(post.id))


async def post_detail(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    post = await scope.service_post(path_id(request, "post_id"))
    await post.fetch_related("community")
    holders = await PostClaim.filter(post_id=post.id, left_at=None).select_related("member")
    return render(request, "community/post.html", {"post": post, "holders": holders})


async def _toggle_post(request: web.Request, change) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    post = await scope.service_post(path_id(request, "post_id"))
    await change(post, scope)
    return see_other(post_path(post.id))


async def post_close(request: web.Request) -> web.StreamResponse:
    return await _toggle_post(request, close_post)


async def post_reopen(request: web.Request) -> web.StreamResponse:
    return await _toggle_post(request, reopen_post)


POST_EDIT_FIELDS = ("name", "description", "kind", "capacity", "is_open")


async def _post_edit_form(
    request: web.Request, post, form: FormState, *, status: int = 200,
) -> web.Response:
    return render(request, "community/post_edit.html", {
        "post": post, "form": form,
        "kinds": translated_options(WISH_CATEGORY_LABELS, gettext_of(request)),
    }, status=status)


async def _writable_post(request: web.Request):
    scope = current_scope(request)
    scope.require_write()
    return await scope.service_post(path_id(request, "post_id"))


async def edit_post_form(request: web.Request) -> web.StreamResponse:
    post = await _writable_post(request)
    return await _post_edit_form(request, post, FormState(values={
        "name": post.name, "description": post.description, "kind": str(post.kind or ""),
        "capacity": "" if post.capacity is None else str(post.capacity),
        "is_open": "yes" if post.is_open else "no",
    }))


async def edit_post_view(request: web.Request) -> web.StreamResponse:
    post = await _writable_post(request)
    scope = current_scope(request)
    gettext = gettext_of(request)
    values = form_values(await request.post(), POST_EDIT_FIELDS)
    errors: dict[str, str] = {}
    if values["kind"] and values["kind"] not in {str(k) for k in WishCategory}:
        errors["kind"] = gettext(N_("Unknown kind of service."))
    if values["is_open"] not in ("yes", "no"):
        errors["is_open"] = gettext(N_("Choose yes or no."))
    capacity = None
    try:
        capacity = _capacity(values["capacity"])
    except ValidationError as error:
        errors.update(field_errors(error, gettext))
    if not errors:
        try:
            async with in_transaction():
                await update_post(post, scope, name=values["name"], description=values["description"],
                                  kind=values["kind"] or None, capacity=capacity)
                if post.is_open != (values["is_open"] == "yes"):
                    await (reopen_post if values["is_open"] == "yes" else close_post)(post, scope)
        except (ValidationError, DomainError) as error:
            errors.update(field_errors(error, gettext))
    if errors:
        await post.refresh_from_db()
        return await _post_edit_form(request, post, FormState(values, errors), status=422)
    return see_other(post_path(post.id))


# =========================================================================== activities


def activity_path(activity_id: int) -> str:
    return f"/community/activities/{activity_id}"


ACTIVITY_LIST = ListSpec(
    name="activities",
    columns=(
        Column("title", LABEL["title"], lambda a: a.title, href=lambda a: activity_path(a.id),
               sort=("title",)),
        Column("community", LABEL["community"], lambda a: a.community.name,
               sort=("community__name",)),
        Column("team", LABEL["team"], lambda a: a.team.name if a.team else None),
        Column("starts_at", LABEL["starts_at"], lambda a: a.starts_at, sort=("starts_at",)),
        Column("place", LABEL["place"], lambda a: a.place),
        Column("capacity", LABEL["capacity"], lambda a: a.capacity),
        Column("taken", LABEL["signed_up"], lambda a: a.taken),
        Column("status", LABEL["status"], lambda a: ACTIVITY_STATUS_LABELS[a.status],
               translate=True, sort=("status",)),
        Column("ends_at", LABEL["ends_at"], lambda a: a.ends_at, in_table=False),
        Column("open_to_community", LABEL["open_to_community"], lambda a: a.open_to_community,
               in_table=False),
        Column("reason", LABEL["reason"], lambda a: a.cancel_reason, in_table=False),
    ),
    default_sort="-starts_at",
    filters=(
        Filter("status", LABEL["status"], label_options(ACTIVITY_STATUS_LABELS),
               lambda qs, value: qs.filter(status=value)),
        _AREA,
    ),
    search_fields=("title", "place"),
    select_related=("community", "team"),
)

ACTIVITY_FIELDS = ("community", "team", "title", "place", "description", "starts_at", "ends_at",
                   "capacity", "open_to_community")


async def activity_list(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    listing = await ACTIVITY_LIST.bind(request, scope.activities())
    return render(request, "community/activities.html", {
        "listing": listing, "page": await listing.page(),
        "can_create": not scope.read_only and bool(await _communities(scope)),
    })


async def activity_export(request: web.Request) -> web.StreamResponse:
    listing = await ACTIVITY_LIST.bind(request, current_scope(request).activities())
    return await listing.export()


def _local_datetime(request: web.Request, value: str, field: str) -> datetime:
    """A ``datetime-local`` value in the panel's time zone, as an aware datetime."""
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise ValidationError(
            N_("Please write the time as YYYY-MM-DD HH:MM."), field=field
        ) from None
    if parsed.tzinfo is not None:
        raise ValidationError(N_("Please write the time as YYYY-MM-DD HH:MM."), field=field)
    return parsed.replace(tzinfo=request.app[SETTINGS].tz)


def _local_input(request: web.Request, value: datetime) -> str:
    return value.astimezone(request.app[SETTINGS].tz).strftime("%Y-%m-%dT%H:%M")


async def _activity_form(request: web.Request, form: FormState, *, status: int = 200) -> web.Response:
    scope = current_scope(request)
    teams = await scope.teams().select_related("community")
    return render(request, "community/activity_form.html", {
        "form": form,
        "communities": [Option(str(u.id), u.name) for u in await _communities(scope)],
        "teams": [Option(str(t.id), f"{t.name} ({t.community.name})") for t in teams],
    }, status=status)


# A new activity or series saved untouched is for its team only (one without a team is for the
# whole community anyway: models.activities.create_activity); the form shows that choice
# checked rather than neither.
OPENNESS_DEFAULT = {"open_to_community": "no"}


async def new_activity_form(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    return await _activity_form(request, FormState(values={**_community_defaults(scope), **OPENNESS_DEFAULT}))


def _times(request: web.Request, values: dict[str, str]) -> tuple[dict, dict[str, str]]:
    clean, errors = {}, {}
    for field in ("starts_at", "ends_at"):
        try:
            clean[field] = _local_datetime(request, values[field], field)
        except ValidationError as error:
            errors.update(field_errors(error, gettext_of(request)))
    return clean, errors


async def create_activity_view(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    values = form_values(await request.post(), ACTIVITY_FIELDS)
    gettext = gettext_of(request)
    clean, errors = _times(request, values)
    community = await _chosen_community(scope, values["community"])
    if community is None:
        errors["community"] = gettext(N_("Choose a community."))
    team = None
    if values["team"]:
        team_id = int_or_none(values["team"])
        team = await scope.teams().get_or_none(id=team_id) if team_id else None
        if team is None:
            errors["team"] = gettext(N_("Choose a team."))
    try:
        capacity = _capacity(values["capacity"])
    except ValidationError as error:
        errors.update(field_errors(error, gettext_of(request)))
    if not errors:
        try:
            async with in_transaction():
                activity = await create_activity(
                    current_actor(request), community, title=values["title"], place=values["place"],
                    starts_at=clean["starts_at"], ends_at=clean["ends_at"], capacity=capacity,
                    team=team, open_to_community=values["open_to_community"] == "yes",
                    description=values["description"], scope=scope,
                )
                await notify_community.activity_created(activity)
        except ValidationError as error:
            errors.update(field_errors(error, gettext_of(request)))
    if errors:
        return await _activity_form(request, FormState(values, errors), status=422)
    return see_other(activity_path(activity.id))


async def _activity_page(
    request: web.Request, activity: Activity, *, status: int = 200, **forms: FormState
) -> web.Response:
    await activity.fetch_related("community", "team")
    signups = await SignUp.filter(activity_id=activity.id).select_related("member").order_by("id")
    blank = {
        "reschedule": FormState(values={
            "starts_at": _local_input(request, activity.starts_at),
            "ends_at": _local_input(request, activity.ends_at),
            "place": activity.place,
        }),
        "cancel": FormState(),
        "attendance": FormState(),
    }
    scheduled = activity.status == ActivityStatus.SCHEDULED
    organising = scheduled and not current_scope(request).read_only
    open_now = attendance_open(activity)
    return render(request, "community/activity.html", {
        "activity": activity, "signups": signups, "forms": {**blank, **forms},
        "scheduled": scheduled,
        # Attendance buttons once it can be recorded; until then, when it can.
        "recording": organising and open_now,
        "attendance_later": ATTENDANCE_NOT_YET if organising and not open_now else None,
        "outcomes": [str(outcome) for outcome in OUTCOMES],
        "markable": {str(s) for s in (*HOLDING, *OUTCOMES)} - {str(SignUpStatus.ATTENDED)},
    }, status=status)


async def activity_detail(request: web.Request) -> web.StreamResponse:
    activity = await current_scope(request).activity(path_id(request, "activity_id"))
    return await _activity_page(request, activity)


async def activity_signups_export(request: web.Request) -> web.StreamResponse:
    """The activity's sign-ups as its page lists them (tap order), with their times (in local
    time: the response's writer converts them)."""
    activity = await current_scope(request).activity(path_id(request, "activity_id"))
    translate = gettext_of(request)
    header = [translate(label) for label in (MEMBER_FIELD_LABELS["name"], N_("Status"), N_("Signed up on"),
                                           N_("Seat since"), N_("Cancelled on"), N_("Attendance recorded on"))]
    rows = (
        [row["member__name"], translate(SIGN_UP_STATUS_LABELS[row["status"]]), row["created_at"],
         row["registered_at"], row["cancelled_at"], row["attendance_at"]]
        for row in await SignUp.filter(activity_id=activity.id).order_by("id").values(
            "member__name", "status", "created_at", "registered_at", "cancelled_at", "attendance_at")
    )
    return await xlsx_response(request, f"activity-{activity.id}-signups.xlsx", header, rows)


async def _writable_activity(request: web.Request) -> Activity:
    scope = current_scope(request)
    scope.require_write()
    return await scope.activity(path_id(request, "activity_id"))


async def activity_reschedule(request: web.Request) -> web.StreamResponse:
    activity = await _writable_activity(request)
    values = form_values(await request.post(), ("starts_at", "ends_at", "place"))
    clean, errors = _times(request, values)
    if not errors:
        try:
            version = activity.version
            async with in_transaction():
                members = await reschedule(activity, current_actor(request), place=values["place"],
                                           scope=current_scope(request), **clean)
                if activity.version != version:  # nothing changed: nobody to tell
                    await notify_community.activity_rescheduled(activity, members)
        except (ValidationError, DomainError) as error:
            errors = field_errors(error, gettext_of(request))
    if errors:
        await activity.refresh_from_db()
        return await _activity_page(request, activity, reschedule=FormState(values, errors),
                                    status=422)
    return see_other(activity_path(activity.id))


async def activity_cancel(request: web.Request) -> web.StreamResponse:
    activity = await _writable_activity(request)
    values = form_values(await request.post(), ("reason",))
    try:
        async with in_transaction():
            members = await cancel_activity(activity, current_actor(request), values["reason"],
                                            scope=current_scope(request))
            await notify_community.activity_cancelled(activity, members)
    except (ValidationError, DomainError) as error:
        await activity.refresh_from_db()
        return await _activity_page(request, activity,
                                    cancel=FormState(values, field_errors(error, gettext_of(request))), status=422)
    return see_other(activity_path(activity.id))


async def activity_attendance(request: web.Request) -> web.StreamResponse:
    activity = await _writable_activity(request)
    signup = await current_scope(request).signups().get_or_none(
        id=path_id(request, "signup_id"), activity_id=activity.id
    )
    if signup is None:
        raise web.HTTPNotFound()
    values = form_values(await request.post(), ("status",))
    if values["status"] not in {str(outcome) for outcome in OUTCOMES}:
        error = ValidationError(N_("Choose attended, excused or did not come."), field="status")
        return await _activity_page(request, activity, status=422,
                                    attendance=FormState(values, {"": error.render(gettext_of(request))}))
    try:
        async with in_transaction():
            await mark_attendance(signup, SignUpStatus(values["status"]), current_actor(request),
                                  scope=current_scope(request))
            await notify_points.attendance_card(signup)
    except (ValidationError, DomainError) as error:
        return await _activity_page(request, activity, status=422,
                                    attendance=FormState(values, {"": error.render(gettext_of(request))}))
    return see_other(activity_path(activity.id))


# =========================================================================== teams


def team_path(team_id: int) -> str:
    return f"/community/teams/{team_id}"


TEAM_LIST = ListSpec(
    name="teams",
    columns=(
        Column("name", LABEL["team_name"], lambda t: t.name, href=lambda t: team_path(t.id),
               sort=("name",)),
        Column("community", LABEL["community"], lambda t: t.community.name,
               sort=("community__name",)),
        Column("description", LABEL["description"], lambda t: t.description),
        Column("is_open", LABEL["takes_requests"], lambda t: t.is_open, sort=("is_open",)),
        Column("created", LABEL["created"], lambda t: t.created_at, sort=("created_at",)),
    ),
    default_sort="name",
    filters=(_AREA,),
    search_fields=("name", "description"),
    select_related=("community",),
)


async def team_list(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    listing = await TEAM_LIST.bind(request, scope.teams())
    return render(request, "community/teams.html", {
        "listing": listing, "page": await listing.page(),
        "can_create": not scope.read_only and bool(await _communities(scope)),
    })


async def team_export(request: web.Request) -> web.StreamResponse:
    listing = await TEAM_LIST.bind(request, current_scope(request).teams())
    return await listing.export()


async def _team_form(request: web.Request, form: FormState, *, status: int = 200) -> web.Response:
    communities = await _communities(current_scope(request))
    return render(request, "community/team_form.html", {
        "form": form, "communities": [Option(str(u.id), u.name) for u in communities],
    }, status=status)


async def new_team_form(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    return await _team_form(request, FormState(values=_community_defaults(scope)))


async def create_team_view(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    values = form_values(await request.post(), ("community", "name", "description"))
    errors: dict[str, str] = {}
    community = await _chosen_community(scope, values["community"])
    if community is None:
        errors["community"] = gettext_of(request)(N_("Choose a community."))
    else:
        try:
            team = await create_team(scope, community, name=values["name"],
                                     description=values["description"])
        except ValidationError as error:
            errors.update(field_errors(error, gettext_of(request)))
    if errors:
        return await _team_form(request, FormState(values, errors), status=422)
    return see_other(team_path(team.id))


async def _team_page(
    request: web.Request, team, *, leader: FormState | None = None, status: int = 200,
) -> web.Response:
    scope = current_scope(request)
    await team.fetch_related("community")
    members = await team_members(team)
    requests = await join_requests(team)
    in_team = {m.member_id for m in members}
    # Leaders come from the team, or from the members of the branches in scope.
    candidates = [Option(str(m.member_id), m.member.name) for m in members]
    candidates += [Option(str(m.id), m.name) for m in await scope.members().order_by("name")
                   if m.id not in in_team]
    return render(request, "community/team.html", {
        "team": team, "members": members, "requests": requests, "candidates": candidates,
        "leader": leader or FormState(),
    }, status=status)


async def team_detail(request: web.Request) -> web.StreamResponse:
    team = await current_scope(request).team(path_id(request, "team_id"))
    return await _team_page(request, team)


TEAM_EDIT_FIELDS = ("name", "description", "reminder_offsets", "is_open")


async def _writable_team(request: web.Request):
    scope = current_scope(request)
    scope.require_write()
    return await scope.team(path_id(request, "team_id"))


async def edit_team_form(request: web.Request) -> web.StreamResponse:
    team = await _writable_team(request)
    return render(request, "community/team_edit.html", {"team": team, "form": FormState(values={
        "name": team.name, "description": team.description, "reminder_offsets": team.reminder_offsets,
        "is_open": "yes" if team.is_open else "no",
    })})


async def edit_team_view(request: web.Request) -> web.StreamResponse:
    team = await _writable_team(request)
    values = form_values(await request.post(), TEAM_EDIT_FIELDS)
    try:
        if values["is_open"] not in ("yes", "no"):
            raise ValidationError(N_("Choose yes or no."), field="is_open")
        await update_team(team, current_actor(request), name=values["name"],
                          description=values["description"],
                          reminder_offsets=values["reminder_offsets"],
                          is_open=values["is_open"] == "yes", scope=current_scope(request))
    except (ValidationError, DomainError) as error:
        await team.refresh_from_db()
        return render(request, "community/team_edit.html", {
            "team": team, "form": FormState(values, field_errors(error, gettext_of(request))),
        }, status=422)
    return see_other(team_path(team.id))


async def team_demote(request: web.Request) -> web.StreamResponse:
    team = await _writable_team(request)
    membership = await current_scope(request).team_memberships().get_or_none(
        id=path_id(request, "membership_id"), team_id=team.id, role=TeamRole.LEADER,
    )
    if membership is None:
        raise web.HTTPNotFound()
    try:
        await demote_leader(membership, current_scope(request))
    except DomainError:
        pass  # demoted meanwhile (a double click): the page shows it
    return see_other(team_path(team.id))


async def _team_request(request: web.Request) -> TeamMembership:
    scope = current_scope(request)
    scope.require_write()
    team = await scope.team(path_id(request, "team_id"))
    membership = await scope.team_memberships().get_or_none(
        id=path_id(request, "membership_id"), team_id=team.id
    )
    if membership is None:
        raise web.HTTPNotFound()
    return membership


async def membership_approve(request: web.Request) -> web.StreamResponse:
    membership = await _team_request(request)
    async with in_transaction():
        await approve_membership(membership, current_actor(request), scope=current_scope(request))
        await notify_community.join_decided(membership)
    return see_other(team_path(membership.team_id))


async def membership_decline(request: web.Request) -> web.StreamResponse:
    membership = await _team_request(request)
    async with in_transaction():
        await decline_membership(membership, current_actor(request), scope=current_scope(request))
        await notify_community.join_decided(membership)
    return see_other(team_path(membership.team_id))


async def team_leader(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    team = await scope.team(path_id(request, "team_id"))
    values = form_values(await request.post(), ("member",))
    member_id = int_or_none(values["member"])
    member = None
    if member_id is not None:
        membership = await TeamMembership.get_or_none(
            team_id=team.id, member_id=member_id, active_key__isnull=False
        ).select_related("member")
        member = membership.member if membership else await scope.members().get_or_none(id=member_id)
    if member is None:
        errors = {"member": gettext_of(request)(N_("Choose a member."))}
        return await _team_page(request, team, leader=FormState(values, errors), status=422)
    await appoint_leader(team, member, scope)
    return see_other(team_path(team.id))


# =========================================================================== recurring activities

def series_path(series_id: int) -> str:
    return f"/community/series/{series_id}"


def _rule(series: ActivitySeries) -> str:
    """The rule, language-neutral, for the list and the export: weekday 0–6 or day 1–31."""
    if series.frequency == Frequency.WEEKLY:
        return f"W{series.weekday} {series.start_time:%H:%M}"
    return f"M{series.day_of_month} {series.start_time:%H:%M}"


SERIES_LIST = ListSpec(
    name="activity_series",
    columns=(
        Column("title", LABEL["title"], lambda s: s.title, href=lambda s: series_path(s.id),
               sort=("title",)),
        Column("community", LABEL["community"], lambda s: s.community.name,
               sort=("community__name",)),
        Column("team", LABEL["team"], lambda s: s.team.name if s.team else None),
        Column("frequency", LABEL["frequency"], lambda s: FREQUENCY_LABELS[s.frequency],
               translate=True, sort=("frequency",)),
        Column("rule", LABEL["start_time"], _rule),
        Column("place", LABEL["place"], lambda s: s.place),
        Column("starts_on", LABEL["starts_on"], lambda s: s.starts_on, sort=("starts_on",)),
        Column("active", LABEL["active"], lambda s: s.active, sort=("active",)),
        Column("ends_on", LABEL["ends_on"], lambda s: s.ends_on, in_table=False),
        Column("capacity", LABEL["capacity"], lambda s: s.capacity, in_table=False),
        Column("weeks_ahead", LABEL["weeks_ahead"], lambda s: s.weeks_ahead, in_table=False),
    ),
    default_sort="title",
    filters=(
        Filter("active", LABEL["active"], YES_NO_OPTIONS,
               lambda qs, value: qs.filter(active=value == "yes")),
        _AREA,
    ),
    search_fields=("title", "place"),
    select_related=("community", "team"),
)

SERIES_FIELDS = ("community", "team", "title", "place", "description", "frequency", "weekday",
                 "day_of_month", "start_time", "duration", "starts_on", "ends_on", "capacity",
                 "open_to_community", "weeks_ahead")


async def series_list(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    listing = await SERIES_LIST.bind(request, scope.activity_series())
    return render(request, "community/series_list.html", {
        "listing": listing, "page": await listing.page(),
        "can_create": not scope.read_only and bool(await _communities(scope)),
    })


async def series_export(request: web.Request) -> web.StreamResponse:
    listing = await SERIES_LIST.bind(request, current_scope(request).activity_series())
    return await listing.export()


async def _series_form(request: web.Request, form: FormState, *, status: int = 200) -> web.Response:
    scope = current_scope(request)
    gettext = gettext_of(request)
    teams = await scope.teams().select_related("community")
    return render(request, "community/series_form.html", {
        "form": form,
        "communities": [Option(str(u.id), u.name) for u in await _communities(scope)],
        "teams": [Option(str(t.id), f"{t.name} ({t.community.name})") for t in teams],
        "frequencies": translated_options(FREQUENCY_LABELS, gettext),
        "weekdays": translated_options(WEEKDAY_LABELS, gettext),
    }, status=status)


async def new_series_form(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    values = {**_community_defaults(scope), **OPENNESS_DEFAULT, "frequency": str(Frequency.WEEKLY),
              "duration": "120", "weeks_ahead": str(DEFAULT_WEEKS_AHEAD),
              "starts_on": datetime.now(request.app[SETTINGS].tz).date().isoformat()}
    return await _series_form(request, FormState(values=values))


def _parse(values: dict[str, str], errors: dict[str, str], gettext) -> dict:
    """The typed values of the series form as Python values; problems go to ``errors``."""
    parsed: dict = {}

    def number(field: str, message: str, *, optional: bool = False) -> int | None:
        if not values[field] and optional:
            return None
        result = int_or_none(values[field])
        if result is None:
            errors[field] = gettext(message)
        return result

    def day(field: str, *, optional: bool = False) -> date | None:
        if not values[field] and optional:
            return None
        try:
            return date.fromisoformat(values[field])
        except ValueError:
            errors[field] = gettext(N_("Please write the date as YYYY-MM-DD."))
            return None

    if values["frequency"] not in {str(f) for f in Frequency}:
        errors["frequency"] = gettext(N_("Choose how often it repeats."))
    parsed["frequency"] = values["frequency"]
    if values["frequency"] == Frequency.WEEKLY:
        if values["weekday"] not in WEEKDAY_LABELS:
            errors["weekday"] = gettext(N_("Choose a day of the week."))
        else:
            parsed["weekday"] = int(values["weekday"])
    elif values["frequency"] == Frequency.MONTHLY:
        parsed["day_of_month"] = number("day_of_month", N_("Choose a day of the month from 1 to 31."))
    try:
        parsed["start_time"] = time.fromisoformat(values["start_time"]) if values["start_time"] else None
    except ValueError:
        parsed["start_time"] = None
    if parsed["start_time"] is None or len(values["start_time"]) != 5:
        errors["start_time"] = gettext(N_("Please write the time as HH:MM."))
    minutes = number("duration", N_("The end must be after the start, at most 7 days later."))
    parsed["duration"] = timedelta(minutes=minutes or 0)
    parsed["starts_on"] = day("starts_on")
    parsed["ends_on"] = day("ends_on", optional=True)
    parsed["weeks_ahead"] = number("weeks_ahead", N_("Plan from 1 to {count} weeks ahead."))
    if "weeks_ahead" in errors:
        errors["weeks_ahead"] = errors["weeks_ahead"].format(count=MAX_WEEKS_AHEAD)
    try:
        parsed["capacity"] = _capacity(values["capacity"])
    except ValidationError as error:
        errors.update(field_errors(error, gettext))
    return parsed


async def create_series_view(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    values = form_values(await request.post(), SERIES_FIELDS)
    gettext = gettext_of(request)
    errors: dict[str, str] = {}
    community = await _chosen_community(scope, values["community"])
    if community is None:
        errors["community"] = gettext(N_("Choose a community."))
    team = None
    if values["team"]:
        team_id = int_or_none(values["team"])
        team = await scope.teams().get_or_none(id=team_id) if team_id else None
        if team is None:
            errors["team"] = gettext(N_("Choose a team."))
    parsed = _parse(values, errors, gettext)
    if not errors:
        try:
            async with in_transaction():
                series = await create_series(
                    current_actor(request), community, title=values["title"], place=values["place"],
                    description=values["description"], team=team,
                    open_to_community=values["open_to_community"] == "yes", scope=scope, **parsed,
                )
                zone = request.app[SETTINGS].tz
                until = datetime.now(UTC) + series.horizon
                for activity in await generate_occurrences(series, until, zone=zone):
                    await notify_community.activity_created(activity)
        except ValidationError as error:
            errors.update(field_errors(error, gettext))
    if errors:
        return await _series_form(request, FormState(values, errors), status=422)
    return see_other(series_path(series.id))


async def series_detail(request: web.Request) -> web.StreamResponse:
    series = await current_scope(request).series(path_id(request, "series_id"))
    await series.fetch_related("community", "team")
    occurrences = await Activity.filter(series_id=series.id).order_by("starts_at", "id")
    return render(request, "community/series.html", {
        "series": series, "occurrences": occurrences,
        "weekday": WEEKDAY_LABELS.get(str(series.weekday)),
        "frequency_label": FREQUENCY_LABELS[series.frequency],
    })


async def series_stop(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    series = await scope.series(path_id(request, "series_id"))
    try:
        await stop_series(series, current_actor(request), scope=scope)
    except DomainError:
        pass  # stopped already (a double click): the page shows it
    return see_other(series_path(series.id))
