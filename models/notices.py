"""Public links: pages shareable without a login, revocable. A link names a unit and a year:
a branch's pledge notice (公示) or a unit's roll of honour (光荣榜).

Whoever has a link's token sees the page it names (names with pledge items or card counts,
never contact details). Revoking a link makes its address answer "not found" from then on;
a new link gets a new token.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import ClassVar, TypeVar

from tortoise import fields
from tortoise.models import Model

from locales import N_
from models import audit
from models.errors import DomainError, ValidationError
from models.org import OrgKind, OrgUnit

TOKEN_BYTES = 24  # 32 url-safe characters: not guessable, short enough to share


class PublicLink(Model):
    """What every kind of public link has; a kind adds its unit (a foreign key named ``UNIT``)
    and the name its audit entries go by."""

    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=64, unique=True)
    year = fields.SmallIntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    UNIT: ClassVar[str]
    AUDIT_NAME: ClassVar[str]

    class Meta:
        abstract = True

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def org_id(self) -> int:
        """The id of the unit the link names (for its audit entries)."""
        return getattr(self, f"{self.UNIT}_id")


class NoticeLink(PublicLink):  # a branch's pledge notice of a year
    branch: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="notice_links", on_delete=fields.CASCADE
    )
    created_by = fields.ForeignKeyField(
        "models.AdminUser", related_name="notice_links", null=True, on_delete=fields.SET_NULL
    )

    UNIT = "branch"
    AUDIT_NAME = "notice_link"

    class Meta:
        table = "notice_link"
        ordering = ["-id"]


class HonourRollLink(PublicLink):  # who earned the dedication award under a unit in a year
    unit: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="honour_roll_links", on_delete=fields.CASCADE
    )
    created_by = fields.ForeignKeyField(
        "models.AdminUser", related_name="honour_roll_links", null=True, on_delete=fields.SET_NULL
    )

    UNIT = "unit"
    AUDIT_NAME = "honour_roll_link"

    class Meta:
        table = "honour_roll_link"
        ordering = ["-id"]


Link = TypeVar("Link", bound=PublicLink)


async def _create(kind: type[Link], unit: OrgUnit, year: int, scope) -> Link:
    link = await kind.create(
        token=secrets.token_urlsafe(TOKEN_BYTES), year=year, created_by=scope.user, **{kind.UNIT: unit}
    )
    await audit.record(
        audit.Actor(admin=scope.user), f"{kind.AUDIT_NAME}.create", link, org_id=unit.id, after={"year": year},
    )
    return link


async def create_notice_link(branch: OrgUnit, year: int, scope) -> NoticeLink:
    """A new public link to ``branch``'s notice of ``year``; the branch must be in ``scope``."""
    scope.require_write()
    if branch.kind != OrgKind.BRANCH or not scope.covers(branch):
        raise ValidationError(N_("Choose a branch."), field="branch")
    return await _create(NoticeLink, branch, year, scope)


async def create_honour_roll_link(unit: OrgUnit, year: int, scope) -> HonourRollLink:
    """A new public link to the roll of honour of ``unit`` (in ``scope``) for ``year``."""
    scope.require_write()
    if not scope.covers(unit):
        raise ValidationError(N_("Choose a unit in your organisation."), field="org")
    return await _create(HonourRollLink, unit, year, scope)


async def revoke_link(link: PublicLink, scope) -> None:
    """Stop the link from working; the caller found ``link`` through ``scope``."""
    scope.require_write()
    kind = type(link)
    changed = await kind.filter(id=link.id, revoked_at=None).update(revoked_at=datetime.now(UTC))
    if not changed:
        raise DomainError(N_("This link has already been revoked."))
    await link.refresh_from_db()
    await audit.record(
        audit.Actor(admin=scope.user), f"{kind.AUDIT_NAME}.revoke", link, org_id=link.org_id,
        before={"revoked": False}, after={"revoked": True},
    )


async def active_link(kind: type[Link], token: str) -> Link | None:
    """The link of ``kind`` a public visitor opened, unless it was revoked (or never existed)."""
    if not token or len(token) > 64:
        return None
    return await kind.get_or_none(token=token, revoked_at=None).select_related(kind.UNIT)
