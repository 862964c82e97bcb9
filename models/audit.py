"""The audit log: who changed what, when, with before/after snapshots."""

from __future__ import annotations

from dataclasses import dataclass

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


async def record(
    actor: Actor,
    action: str,
    obj: Model,
    *,
    org_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    proxy: bool = False,
) -> AuditEntry:
    return await AuditEntry.create(
        actor_admin=actor.admin,
        actor_member=actor.member,
        actor_label=actor.display,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        org_id=org_id,
        before=before,
        after=after,
        proxy=proxy,
    )
