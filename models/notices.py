"""Public links to a branch's pledge notice (公示): shareable without a login, revocable.

A link names a branch and a year; whoever has its token sees the branch's published
pledges of that year (names and items, never contact details). Revoking a link makes
its address answer "not found" from then on; a new link gets a new token.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from tortoise import fields
from tortoise.models import Model

from locales import N_
from models import audit
from models.errors import DomainError, ValidationError
from models.org import OrgKind, OrgUnit

TOKEN_BYTES = 24  # 32 url-safe characters: not guessable, short enough to share


class NoticeLink(Model):
    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=64, unique=True)
    branch: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="notice_links", on_delete=fields.CASCADE
    )
    year = fields.SmallIntField()
    created_by = fields.ForeignKeyField(
        "models.AdminUser", related_name="notice_links", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notice_link"
        ordering = ["-id"]

    @property
    def active(self) -> bool:
        return self.revoked_at is None


async def create_notice_link(branch: OrgUnit, year: int, scope) -> NoticeLink:
    """A new public link to ``branch``'s notice of ``year``; the branch must be in ``scope``."""
    scope.require_write()
    if branch.kind != OrgKind.BRANCH or not scope.covers(branch):
        raise ValidationError(N_("Choose a branch."), field="branch")
    link = await NoticeLink.create(
        token=secrets.token_urlsafe(TOKEN_BYTES),
        branch=branch,
        year=year,
        created_by=scope.user,
    )
    await audit.record(
        audit.Actor(admin=scope.user),
        "notice_link.create",
        link,
        org_id=branch.id,
        after={"year": year},
    )
    return link


async def revoke_notice_link(link: NoticeLink, scope) -> None:
    """Stop the link from working; the caller found ``link`` through ``scope``."""
    scope.require_write()
    changed = await NoticeLink.filter(id=link.id, revoked_at=None).update(
        revoked_at=datetime.now(UTC)
    )
    if not changed:
        raise DomainError(N_("This link has already been revoked."))
    await link.refresh_from_db()
    await audit.record(
        audit.Actor(admin=scope.user), "notice_link.revoke", link, org_id=link.branch_id,
        before={"revoked": False}, after={"revoked": True},
    )


async def active_link(token: str) -> NoticeLink | None:
    """The link a public visitor opened, unless it was revoked (or never existed)."""
    if not token or len(token) > 64:
        return None
    return await NoticeLink.get_or_none(token=token, revoked_at=None).select_related("branch")
