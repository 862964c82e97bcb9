"""Delivery status: the outbox by status, and the messages that failed (a list with export).

What a user sees of the outbox is ``Scope.outbox()``: everything for district and
sub-district users, otherwise the messages to members of their branches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from aiohttp import web
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from admin.auth import current_scope
from admin.forms import Option
from admin.i18n import gettext_of
from admin.keys import SETTINGS
from admin.labels import OUTBOX_KIND_LABELS, OUTBOX_STATUS_LABELS
from admin.listing import Column, Filter, ListSpec, label_options, org_filter
from admin.templating import localtime, render
from locales import N_, keys_reading
from models.delivery_errors import REASONS, reason_of
from models.outbox import OutboxMessage, OutboxStatus, status_counts


def _recipient(message: OutboxMessage) -> str:
    """The member's name; for someone not bound (a resident), their Telegram name."""
    user = message.telegram_user
    if user is None:
        return str(message.chat_id)
    if user.member is not None:
        return user.member.name
    return user.first_name or (f"@{user.username}" if user.username else str(user.id))


def _member_or(resident: str) -> Callable[[OutboxMessage], str]:
    """The member's name, else ``resident``: read-only staff see no resident's name or account
    (as on the wish pages, where the resident's name is personal data)."""

    def recipient(message: OutboxMessage) -> str:
        user = message.telegram_user
        return user.member.name if user is not None and user.member is not None else resident

    return recipient


def _kind_label(kind: str) -> str:
    """The programme a message belongs to ("wish.claimed" → micro-wishes); else the raw kind."""
    return OUTBOX_KIND_LABELS.get(kind.split(".", 1)[0], kind)


def _of_programme(queryset: QuerySet, programme: str) -> QuerySet:
    return queryset.filter(Q(kind=programme) | Q(kind__startswith=f"{programme}."))


async def _broadcasts_with_failures(request: web.Request) -> list[Option]:
    """The announcements in scope with failed messages, newest first (the detail page links here)."""
    failed = _failures(request).filter(broadcast_id__not_isnull=True).values("broadcast_id")
    broadcasts = current_scope(request).broadcasts().filter(id__in=Subquery(failed)).order_by("-id")
    tz = request.app[SETTINGS].tz
    return [Option(str(b.id), f"{b.title} ({localtime(b.created_at, tz)})") for b in await broadcasts]


async def _reasons_named(text: str) -> Q | None:
    """Failures whose reason reads ``text`` (or part of it) in any of the panel's languages:
    the list shows reasons in words, so a reader searches for 屏蔽, not for "blocked"."""
    phrases = keys_reading(text, REASONS)
    if not phrases:
        return None
    return Q(*(Q(last_error__icontains=phrase) for phrase in phrases), join_type="OR")


FAILURE_LIST = ListSpec(
    name="delivery_failures",
    columns=(
        Column("when", N_("Failed at"), lambda m: m.finished_at, sort=("finished_at",)),
        Column("recipient", N_("Recipient"), _recipient),
        Column("kind", N_("Message type"), lambda m: _kind_label(m.kind), translate=True,
               sort=("kind", "finished_at")),
        Column("attempts", N_("Attempts"), lambda m: m.attempts),
        Column("reason", N_("Reason"), lambda m: reason_of(m.last_error), translate=True),
        Column("error", N_("Telegram's words"), lambda m: m.last_error, in_table=False),
        Column("code", N_("Message kind code"), lambda m: m.kind, in_table=False),
        Column("chat", N_("Chat ID"), lambda m: m.chat_id, in_table=False, personal=True),
        Column("created", N_("Queued at"), lambda m: m.created_at, in_table=False),
    ),
    default_sort="-when",
    filters=(
        Filter("kind", N_("Message type"), label_options(OUTBOX_KIND_LABELS), _of_programme),
        Filter("broadcast", N_("Announcement"), _broadcasts_with_failures,
               lambda queryset, broadcast_id: queryset.filter(broadcast_id=int(broadcast_id))),
        org_filter("telegram_user__member__branch__path"),
    ),
    search_fields=("last_error", "telegram_user__member__name"),
    search_conditions=(_reasons_named,),
    personal_search_fields=("telegram_user__first_name",),
    select_related=("telegram_user__member",),
)


def _failure_list(request: web.Request) -> ListSpec:
    if current_scope(request).sees_personal_data:
        return FAILURE_LIST
    recipient = _member_or(gettext_of(request)(N_("the resident")))
    columns = tuple(
        replace(column, value=recipient) if column.key == "recipient" else column
        for column in FAILURE_LIST.columns
    )
    return replace(FAILURE_LIST, columns=columns)


def _failures(request: web.Request) -> QuerySet[OutboxMessage]:
    return current_scope(request).outbox().filter(status=OutboxStatus.DEAD)


async def delivery_status(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    counts = await status_counts(scope.outbox())
    listing = await _failure_list(request).bind(request, _failures(request))
    return render(
        request,
        "delivery/status.html",
        {
            "counts": [(OUTBOX_STATUS_LABELS[status], n) for status, n in counts.items()],
            "total": sum(counts.values()),
            "unreachable": await scope.members()
            .filter(telegram__unreachable_since__isnull=False)
            .count(),
            "listing": listing,
            "page": await listing.page(),
        },
    )


async def failures_export(request: web.Request) -> web.StreamResponse:
    listing = await _failure_list(request).bind(request, _failures(request))
    return await listing.export()
