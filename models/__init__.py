"""The domain: Tortoise models and the rules that change them. No aiogram or aiohttp here."""

from models.admins import AdminSession, AdminUser, LoginAttempt
from models.audit import AuditEntry
from models.invites import Invite
from models.members import Member, TelegramUser
from models.org import OrgUnit, WorkUnit

__models__ = [
    OrgUnit, WorkUnit, Member, TelegramUser, Invite, AdminUser, AdminSession, LoginAttempt, AuditEntry,
]
