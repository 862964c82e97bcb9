"""First-run setup: an organisation root and an administrator to log in with."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from locales import N_, gettext
from models.admins import AdminUser, Role, create_admin
from models.org import OrgKind, OrgUnit, create_org_unit

FIRST_ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class FirstAdmin:
    username: str
    password: str

    def announcement(self, locale: str) -> str:
        """The line that shows the login once (by `xianfeng run`, or `xianfeng demo` before it)."""
        return gettext(locale, N_(
            "First login — user name: {username}  password: {password}  (shown only once)"
        )).format(username=self.username, password=self.password)


async def ensure_first_admin(locale: str) -> FirstAdmin | None:
    """Create ``admin`` with a random password while nobody administers the organisation's
    root: on a fresh install, and after ``xianfeng demo`` on one (the demo makes only a
    community secretary).

    Returns the credentials (to be shown once), or None when the root has an administrator
    (or a user named ``admin`` exists: its owner knows how to log in).
    """
    root = await OrgUnit.filter(parent=None).order_by("id").first()
    if root is not None and await AdminUser.exists(org_id=root.id):
        return None
    if await AdminUser.exists(username=FIRST_ADMIN_USERNAME):
        return None
    if root is None:
        root = await create_org_unit(gettext(locale, N_("My district")), OrgKind.DISTRICT)
    role = Role.DISTRICT_ADMIN if root.kind == OrgKind.DISTRICT else Role.STREET_ADMIN
    password = secrets.token_urlsafe(12)
    await create_admin(FIRST_ADMIN_USERNAME, password, role, root)
    return FirstAdmin(FIRST_ADMIN_USERNAME, password)
