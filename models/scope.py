"""Per-role scoping, enforced here and only here.

Every admin sees and changes "their node and below". Views never query scoped
tables directly: they ask a ``Scope`` for a queryset or an object, and an
object outside the scope is reported as not found (its existence is not leaked).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.queryset import QuerySet

from locales import N_
from models.admins import AdminUser, Role
from models.errors import NotFound, PermissionDenied
from models.invites import Invite
from models.members import Member
from models.org import OrgUnit


@dataclass(frozen=True)
class Scope:
    user: AdminUser
    org: OrgUnit

    @classmethod
    async def of(cls, user: AdminUser) -> Scope:
        await user.fetch_related("org")
        return cls(user=user, org=user.org)

    @property
    def path(self) -> str:
        return self.org.path

    @property
    def read_only(self) -> bool:
        return self.user.role == Role.STAFF

    @property
    def sees_personal_data(self) -> bool:
        """Contact details (phone numbers): secretaries yes, read-only staff no."""
        return not self.read_only

    def require_write(self) -> None:
        if self.read_only:
            raise PermissionDenied(N_("Your role is read-only."))

    def covers(self, unit: OrgUnit) -> bool:
        return unit.path.startswith(self.path)

    async def covers_id(self, unit_id: int) -> bool:
        return await self.org_units().filter(id=unit_id).exists()

    def org_units(self) -> QuerySet[OrgUnit]:
        return OrgUnit.filter(path__startswith=self.path)

    def members(self) -> QuerySet[Member]:
        return Member.filter(branch__path__startswith=self.path)

    def invites(self) -> QuerySet[Invite]:
        return Invite.filter(member__branch__path__startswith=self.path)

    async def org_unit(self, unit_id: int) -> OrgUnit:
        unit = await self.org_units().get_or_none(id=unit_id)
        if unit is None:
            raise NotFound(N_("No such unit in your organisation."))
        return unit

    async def member(self, member_id: int) -> Member:
        member = await self.members().get_or_none(id=member_id)
        if member is None:
            raise NotFound(N_("No such member in your organisation."))
        return member

    async def invite(self, invite_id: int) -> Invite:
        invite = await self.invites().get_or_none(id=invite_id)
        if invite is None:
            raise NotFound(N_("No such invite in your organisation."))
        return invite
