"""The audit log: who changed what, when, with before/after snapshots.

Every change records an entry. A call that gives neither ``before`` nor ``after`` (a record
created, say) gets the object's stored fields as ``after``, secrets left out (invite codes,
share tokens, check-in codes). ``org`` is the unit the object belongs to: the panel shows an
entry to the users whose scope covers that unit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor_admin = fields.ForeignKeyField(
        "models.AdminUser", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_member = fields.ForeignKeyField(
        "models.Member", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_label = fields.CharField(max_length=100, default="")
    action = fields.CharField(max_length=64, db_index=True)
    object_type = fields.CharField(max_length=32)
    object_id = fields.CharField(max_length=64, default="")
    org = fields.ForeignKeyField(
        "models.OrgUnit", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    proxy = fields.BooleanField(default=False)

    class Meta:
        table = "audit_entry"
        ordering = ["-id"]


# The label of a resident acting in the bot (no member record): ``tg:`` and their Telegram id.
RESIDENT_LABEL_PREFIX = "tg:"


def resident_label(telegram_id: int) -> str:
    return f"{RESIDENT_LABEL_PREFIX}{telegram_id}"


def is_resident_label(label: str) -> bool:
    return label.startswith(RESIDENT_LABEL_PREFIX)


@dataclass(frozen=True)
class Actor:
    """Who performs an action: an admin user, a member in the bot, or the system (CLI, jobs)."""

    admin: object | None = None
    member: object | None = None
    label: str = ""

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(label=label)

    @property
    def display(self) -> str:
        if self.label:
            return self.label
        if self.admin is not None:
            return self.admin.username
        if self.member is not None:
            return self.member.name
        return "system"


# Never recorded in an entry: secrets whoever reads the log must not get, and keys that
# only enforce uniqueness (``active_key``), which mean nothing to a reader.
SECRET_FIELDS = frozenset({"code", "token", "password_hash", "award_key", "dedup_key", "checkin_code",
                           "owner_key", "active_key", "secret"})
_SKIPPED = frozenset({"id", "created_at", "updated_at"})


def plain(value: object) -> object:
    """A value as JSON can hold it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    try:
        json.dumps(value)
    except TypeError:
        return str(value)
    return value


def _recordable(values: dict | None) -> dict | None:
    """``values`` as JSON can hold them, without secrets and internal keys."""
    if values is None:
        return None
    return {str(key): plain(value) for key, value in values.items() if key not in SECRET_FIELDS}


def snapshot(obj: Model) -> dict:
    """The object's stored fields (foreign keys as ids), timestamps left out (``entry`` leaves
    out the secrets, here as everywhere)."""
    return {name: getattr(obj, name, None) for name in obj._meta.fields_db_projection
            if name not in _SKIPPED}


def entry(
    actor: Actor,
    action: str,
    obj: Model,
    *,
    org_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    proxy: bool = False,
) -> AuditEntry:
    """An entry not yet saved: ``record`` saves one, ``record_many`` a batch."""
    if before is None and after is None:
        after = snapshot(obj)
    return AuditEntry(
        actor_admin=actor.admin,
        actor_member=actor.member,
        actor_label=actor.display,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        org_id=org_id,
        before=_recordable(before),
        after=_recordable(after),
        proxy=proxy,
    )


async def record(actor: Actor, action: str, obj: Model, **details) -> AuditEntry:
    """Record a change (``details``: ``org_id``, ``before``, ``after``, ``proxy``, as ``entry``)."""
    recorded = entry(actor, action, obj, **details)
    await recorded.save()
    return recorded


async def record_many(entries: Iterable[AuditEntry]) -> None:
    """Save a batch of entries in a few statements (an import's thousands of new members)."""
    await AuditEntry.bulk_create(list(entries), batch_size=500)
