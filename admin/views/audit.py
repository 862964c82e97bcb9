"""The audit log: every recorded change (who, when, what, before/after), proxy actions flagged,
filterable, exportable, and scoped to the entries about units of the user's organisation."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import NamedTuple

from aiohttp import web
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from admin.audit_fields import Wording, wording_of
from admin.auth import current_scope
from admin.forms import Option, path_id
from admin.i18n import gettext_of
from admin.labels import AUDIT_ACTION_LABELS, audit_action_label, audit_object_label
from admin.listing import YES_NO_OPTIONS, Column, Filter, Input, ListSpec, distinct_options
from admin.templating import render
from locales import N_, keys_reading
from models import clock
from models.audit import AuditEntry, is_resident_label
from models.text import shortened

# The list's summary of an entry: this many fields, each value cut to this many characters
# (the entry's own page and the export hold everything).
SUMMARY_FIELDS = 3
SUMMARY_VALUE_MAX = 24
# Fields a summary names first when they changed: what a reader looks for.
SUMMARY_FIRST = ("name", "status")
# Contact details inside snapshots: shown only to roles that see personal data.
PERSONAL_KEYS = frozenset({"phone", "contact_phone"})

# Where an entry's object can be opened in the panel.
OBJECT_PATHS = {
    "Member": "/members/{id}",
    "Pledge": "/pledges/{id}",
    "Wish": "/wishes/{id}",
    "PointCard": "/points/{id}",
    "Registration": "/community/registrations/{id}",
    "ServicePost": "/community/posts/{id}",
    "Team": "/community/teams/{id}",
    "Activity": "/community/activities/{id}",
    "Broadcast": "/broadcasts/{id}",
}


def entry_path(entry_id: int) -> str:
    return f"/audit/{entry_id}"


def object_href(entry: AuditEntry) -> str | None:
    pattern = OBJECT_PATHS.get(entry.object_type)
    return pattern.format(id=entry.object_id) if pattern and entry.object_id.isdigit() else None


# Fields holding the number of a record the panel can open (its page checks the reader's scope).
REFERENCED_MODELS = {
    "member_id": "Member", "claimant_id": "Member", "pledge_id": "Pledge", "post_id": "ServicePost",
    "team_id": "Team", "card_id": "PointCard", "revokes_id": "PointCard",
}


def reference_href(key: str, value: object) -> str | None:
    pattern = OBJECT_PATHS.get(REFERENCED_MODELS.get(key, ""))
    return pattern.format(id=value) if pattern and isinstance(value, int) else None


def _json(value: object) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _brief(text: str) -> str:
    return shortened(text or "∅", SUMMARY_VALUE_MAX)


def _filled(value: object) -> object:
    """An empty text is no value: a new record's blank fields are not changes."""
    return None if value == "" else value


def _summary_order(key: str) -> tuple[int, str]:
    return (SUMMARY_FIRST.index(key) if key in SUMMARY_FIRST else len(SUMMARY_FIRST), key)


class Change(NamedTuple):
    """One field of an entry, in the reader's words (before is None: the entry has no before),
    with links to the records it names by number."""

    field: str
    before: str | None
    after: str | None
    before_href: str | None = None
    after_href: str | None = None


def _worded(entry: AuditEntry, keys: list[str], wording: Wording) -> list[Change]:
    before, after = entry.before or {}, entry.after or {}
    model = entry.object_type

    def side(values: dict, key: str) -> str | None:
        return wording.value(model, key, values[key]) if key in values else None

    return [Change(wording.field(model, key), side(before, key), side(after, key),
                   reference_href(key, before.get(key)), reference_href(key, after.get(key)))
            for key in keys]


def changes(entry: AuditEntry, wording: Wording) -> list[Change]:
    """The fields the entry changed, those a reader looks for first."""
    before, after = entry.before or {}, entry.after or {}
    keys = sorted((key for key in set(before) | set(after)
                   if _filled(before.get(key)) != _filled(after.get(key))), key=_summary_order)
    return _worded(entry, keys, wording)


def fields(entry: AuditEntry, wording: Wording) -> list[Change]:
    """Every field the entry holds, changed or not, in the order of the keys."""
    return _worded(entry, sorted(set(entry.before or {}) | set(entry.after or {})), wording)


def _said(change: Change, brief: Callable[[str], str]) -> str:
    if change.before is None:
        return f"{change.field}: {brief(change.after or '')}"
    return f"{change.field}: {brief(change.before)} → {brief(change.after or '')}"


def change_summary(entry: AuditEntry) -> str | None:
    """The list's cell: the first few changed fields, briefly (``状态: 待审核 → 审核通过; +2``)."""
    if not entry.changes:
        return None
    parts = [_said(change, _brief) for change in entry.changes[:SUMMARY_FIELDS]]
    if len(entry.changes) > SUMMARY_FIELDS:
        parts.append(f"+{len(entry.changes) - SUMMARY_FIELDS}")
    return "; ".join(parts)


def change_text(entry: AuditEntry) -> str | None:
    """The export's cell: every changed field, in full, one per line."""
    return "\n".join(_said(change, str) for change in entry.changes) or None


def _shown(request: web.Request, value: object) -> object:
    if isinstance(value, dict) and not current_scope(request).sees_personal_data:
        return {key: ("***" if key in PERSONAL_KEYS and item else item) for key, item in value.items()}
    return value


def actor_kind(entry: AuditEntry) -> str:
    if entry.actor_admin_id is not None:
        return N_("Panel user")
    if entry.actor_member_id is not None:
        return N_("Member in the bot")
    if is_resident_label(entry.actor_label):
        return N_("Resident in the bot")
    return N_("System")


def _distinct(field: str):
    return distinct_options(lambda request: current_scope(request).audit_entries(), field)


def _labelled(field: str, label: Callable[[str], str]):
    """The distinct values of ``field``, each shown by its ``label``."""
    values = _distinct(field)

    async def options(request: web.Request) -> list[Option]:
        gettext = gettext_of(request)
        return [Option(o.value, gettext(label(o.value))) for o in await values(request)]

    return options


async def _actions_named(text: str) -> Q | None:
    """Entries whose action is called ``text`` (or part of it) in any of the panel's
    languages: a reader searches for 发放积分卡, not for card.award."""
    codes = keys_reading(text, AUDIT_ACTION_LABELS.items())
    return Q(action__in=codes) if codes else None


_actor_labels = _distinct("actor_label")


async def _actors(request: web.Request) -> list[Option]:
    """Who made the entries the user may see, with residents and the system in words."""
    wording = wording_of(request)
    return [Option(o.value, wording.actor_label(o.value)) for o in await _actor_labels(request)]


AUDIT_LIST = ListSpec(
    name="audit",
    columns=(
        Column("at", N_("When"), lambda e: e.at, sort=("at",), href=lambda e: entry_path(e.id)),
        Column("actor", N_("Who"), lambda e: e.actor_text, sort=("actor_label", "at")),
        Column("actor_kind", N_("Acting as"), actor_kind, translate=True),
        Column("action", N_("Action"), lambda e: audit_action_label(e.action), translate=True,
               sort=("action", "at")),
        Column("object_type", N_("Object"), lambda e: audit_object_label(e.object_type),
               translate=True, sort=("object_type", "at")),
        Column("object_id", N_("Object no."), lambda e: e.object_id, href=object_href),
        Column("org", N_("Organisation"), lambda e: e.org.name if e.org else None),
        Column("proxy", N_("On someone's behalf"), lambda e: e.proxy),
        Column("changes", N_("Changes"), change_summary, in_export=False),
        Column("changes_in_full", N_("Changes"), change_text, in_table=False),
        Column("before", N_("Before"), lambda e: _json(e.before), in_table=False),
        Column("after", N_("After"), lambda e: _json(e.after), in_table=False),
        # (contact details are masked for read-only roles: see ``_in_words``)
    ),
    default_sort="-at",
    filters=(
        Filter("actor", N_("Who"), _actors, lambda qs, v: qs.filter(actor_label=v)),
        Filter("action", N_("Action"), _labelled("action", audit_action_label),
               lambda qs, v: qs.filter(action=v)),
        Filter("object", N_("Object"), _labelled("object_type", audit_object_label),
               lambda qs, v: qs.filter(object_type=v)),
        Filter("proxy", N_("On someone's behalf"), YES_NO_OPTIONS, lambda qs, v: qs.filter(proxy=v == "yes")),
    ),
    search_fields=("action", "actor_label", "object_id"),
    search_conditions=(_actions_named,),
    select_related=("org",),
    export_fields=("at", "actor_label", "actor_admin_id", "actor_member_id", "action", "object_type",
                   "object_id", "org__id", "org__name", "proxy", "before", "after"),
)


def _in_words(request: web.Request):
    """Attach each entry's changes in the reader's words, contact details masked first for
    roles that do not see personal data."""
    wording = wording_of(request)

    async def decorate(entries: list[AuditEntry]) -> None:
        for entry in entries:
            entry.before, entry.after = _shown(request, entry.before), _shown(request, entry.after)
            entry.changes = changes(entry, wording)
            entry.actor_text = wording.actor(entry)

    return decorate


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _dated(request: web.Request, queryset: QuerySet[AuditEntry]) -> tuple[QuerySet, tuple[Input, ...]]:
    """The From/To dates (local days, both included); anything not a date is ignored."""
    start, end = _date(request.query.get("from", "")), _date(request.query.get("to", ""))
    if start is not None:
        queryset = queryset.filter(at__gte=clock.local_midnight(start))
    if end is not None:
        queryset = queryset.filter(at__lt=clock.local_midnight(end + timedelta(days=1)))
    inputs = (
        Input("from", N_("From"), start.isoformat() if start else "", "date"),
        Input("to", N_("To"), end.isoformat() if end else "", "date"),
    )
    return queryset, inputs


async def _listing(request: web.Request):
    queryset, inputs = _dated(request, current_scope(request).audit_entries())
    return await replace(AUDIT_LIST, decorate=_in_words(request)).bind(request, queryset, inputs)


async def audit_list(request: web.Request) -> web.StreamResponse:
    listing = await _listing(request)
    return render(request, "audit/list.html", {"listing": listing, "page": await listing.page()})


async def audit_export(request: web.Request) -> web.StreamResponse:
    return await (await _listing(request)).export()


async def audit_detail(request: web.Request) -> web.StreamResponse:
    entry = await current_scope(request).audit_entry(path_id(request, "entry_id"))
    await entry.fetch_related("org")
    entry.before, entry.after = _shown(request, entry.before), _shown(request, entry.after)
    wording = wording_of(request)
    return render(request, "audit/detail.html", {
        "entry": entry, "fields": fields(entry, wording), "actor": wording.actor(entry),
        "object_href": object_href(entry),
        "actor_kind": actor_kind(entry), "action": audit_action_label(entry.action),
        "object": audit_object_label(entry.object_type),
    })
