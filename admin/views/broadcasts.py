"""Broadcasts: compose with a preview of who it reaches, send, follow delivery, cancel; the list.

The rules (segments, recipients, idempotent sending, cancelling) live in
``models.broadcasts``; these views parse the form and render.
"""

from __future__ import annotations

import math
import secrets

from aiohttp import web

from admin.auth import current_actor, current_scope
from admin.forms import (
    FormState,
    field_errors,
    form_values,
    path_id,
    see_other,
    translated_options,
    unit_options,
)
from admin.i18n import gettext_of, translate
from admin.keys import SETTINGS
from admin.labels import BROADCAST_FIELD_LABELS
from admin.listing import Column, Filter, ListSpec, label_options, org_filter
from admin.templating import render
from locales import N_
from models.broadcasts import (
    TEXT_MAX,
    Audience,
    Broadcast,
    Progress,
    cancel_broadcast,
    clean_broadcast,
    clean_segment,
    progress,
    send_broadcast,
)
from models.errors import ValidationError
from models.members import MEMBER_TYPE_LABELS
from models.membership import FieldErrors

FORM_FIELDS = ("title", "text", "org", "member_type", "form_key")
ALL_MEMBER_TYPES = N_("All member types")
# How often the progress page asks for new figures (broadcast.js); it stops once finished.
POLL_SECONDS = 3


def broadcast_path(broadcast_id: int) -> str:
    return f"/broadcasts/{broadcast_id}"


BROADCAST_LIST = ListSpec(
    name="broadcasts",
    columns=(
        Column(
            "title",
            BROADCAST_FIELD_LABELS["title"],
            lambda b: b.title,
            sort=("title",),
            href=lambda b: broadcast_path(b.id),
        ),
        Column("org", BROADCAST_FIELD_LABELS["org"], lambda b: b.org.name),
        Column(
            "member_type",
            BROADCAST_FIELD_LABELS["member_type"],
            lambda b: MEMBER_TYPE_LABELS[b.member_type] if b.member_type else ALL_MEMBER_TYPES,
            translate=True,
        ),
        Column("recipients", N_("Recipients"), lambda b: b.recipients, sort=("recipients",)),
        Column("author", N_("Sent by"), lambda b: b.author.username if b.author else None),
        Column("created", N_("Sent on"), lambda b: b.created_at, sort=("created_at",)),
        Column("cancelled", N_("Cancelled on"), lambda b: b.cancelled_at),
        Column("text", BROADCAST_FIELD_LABELS["text"], lambda b: b.text, in_table=False),
        Column("not_bound", N_("Not bound to Telegram"), lambda b: b.skipped_not_bound,
               in_table=False),
        Column("unreachable", N_("Unreachable"), lambda b: b.skipped_unreachable, in_table=False),
    ),
    default_sort="-created",
    filters=(
        org_filter("org__path"),
        Filter(
            "type",
            BROADCAST_FIELD_LABELS["member_type"],
            label_options(MEMBER_TYPE_LABELS),
            lambda qs, value: qs.filter(member_type=value),
        ),
    ),
    search_fields=("title", "text"),
    select_related=("org", "author"),
)


def _broadcast_id(request: web.Request) -> int:
    return path_id(request, "broadcast_id")


async def broadcast_list(request: web.Request) -> web.StreamResponse:
    listing = await BROADCAST_LIST.bind(request, current_scope(request).broadcasts())
    return render(
        request, "broadcasts/list.html", {"listing": listing, "page": await listing.page()}
    )


async def broadcast_export(request: web.Request) -> web.StreamResponse:
    listing = await BROADCAST_LIST.bind(request, current_scope(request).broadcasts())
    return await listing.export()


# Composing and sending.


async def _compose_page(
    request: web.Request,
    form: FormState,
    *,
    audience: Audience | None = None,
    status: int = 200,
) -> web.Response:
    scope = current_scope(request)
    # The member list, filtered to the segment: the members the preview says are left out.
    skipped_filter = {"org": form.values.get("org", "")}
    if form.values.get("member_type"):
        skipped_filter["type"] = form.values["member_type"]
    return render(
        request,
        "broadcasts/form.html",
        {
            "form": form,
            "units": unit_options(await scope.org_units(), scope.org.depth),
            "member_types": translated_options(MEMBER_TYPE_LABELS, gettext_of(request)),
            "audience": audience,
            "skipped_filter": skipped_filter,
            "text_max": TEXT_MAX,
        },
        status=status,
    )


async def new_broadcast_form(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    # A one-time key per form: posting this form twice sends one broadcast.
    values = {"org": str(scope.org.id), "form_key": secrets.token_urlsafe(24)}
    return await _compose_page(request, FormState(values=values))


async def submit_broadcast(request: web.Request) -> web.StreamResponse:
    """The compose form's two buttons: preview who the segment reaches, or validate and send."""
    scope = current_scope(request)
    scope.require_write()
    form = await request.post()
    values = form_values(form, FORM_FIELDS)
    gettext = gettext_of(request)
    if form.get("action") == "preview":
        try:
            segment = await clean_segment(values, scope)
        except FieldErrors as error:
            return await _compose_page(
                request, FormState(values, field_errors(error, gettext)), status=422
            )
        return await _compose_page(request, FormState(values), audience=await segment.audience())
    try:
        draft = await clean_broadcast(values, scope)
        broadcast = await send_broadcast(draft, current_actor(request), form_key=values["form_key"])
    except (FieldErrors, ValidationError) as error:
        return await _compose_page(
            request, FormState(values, field_errors(error, gettext)), status=422
        )
    return see_other(broadcast_path(broadcast.id))


# Following the delivery.


def _time_left(request: web.Request, state: Progress) -> str:
    left = state.time_left(request.app[SETTINGS].delivery_rate)
    if left is None:
        return ""
    minutes = math.ceil(left.total_seconds() / 60)
    if minutes <= 1:
        return translate(request, N_("Estimated time left: less than a minute."))
    return translate(request, N_("Estimated time left: about {minutes} minutes."), minutes=minutes)


def _figures(request: web.Request, state: Progress) -> dict[str, object]:
    """What the progress page shows and ``broadcast.js`` refreshes, by ``data-field`` name."""
    return {
        "total": state.total,
        "done": state.done,
        "sent": state.sent,
        "waiting": state.waiting,
        "failed": state.failed,
        "cancelled": state.cancelled,
        "percent": state.percent,
        "finished": state.finished,
        "time_left": _time_left(request, state),
    }


async def _scoped_broadcast(request: web.Request) -> Broadcast:
    return await current_scope(request).broadcast(_broadcast_id(request))


async def broadcast_detail(request: web.Request) -> web.StreamResponse:
    broadcast = await _scoped_broadcast(request)
    await broadcast.fetch_related("org", "author")
    state = await progress(broadcast)
    return render(
        request,
        "broadcasts/detail.html",
        {
            "broadcast": broadcast,
            "org_name": await broadcast.org.full_name(" / "),
            "progress": state,
            "figures": _figures(request, state),
            "poll_seconds": POLL_SECONDS,
        },
    )


async def broadcast_progress(request: web.Request) -> web.StreamResponse:
    """The progress figures as JSON, for the page's polling script."""
    broadcast = await _scoped_broadcast(request)
    return web.json_response(_figures(request, await progress(broadcast)))


async def cancel(request: web.Request) -> web.StreamResponse:
    """Cancel what is not yet sent; rows being sent or already sent are left alone."""
    current_scope(request).require_write()
    broadcast = await _scoped_broadcast(request)
    await cancel_broadcast(broadcast, current_actor(request))
    return see_other(broadcast_path(broadcast.id))
