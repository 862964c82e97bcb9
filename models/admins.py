"""Panel users, their roles, argon2id password hashes, sessions and login throttling."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise import fields
from tortoise.models import Model

from locales import N_
from models.compiled import CompiledSelect
from models.errors import ValidationError
from models.org import OrgKind, OrgUnit


class Role(StrEnum):
    DISTRICT_ADMIN = "district_admin"
    STREET_ADMIN = "street_admin"
    COMMUNITY_SECRETARY = "community_secretary"
    BRANCH_SECRETARY = "branch_secretary"
    STAFF = "staff"


ROLE_LABELS = {
    Role.DISTRICT_ADMIN: N_("District administrator"),
    Role.STREET_ADMIN: N_("Sub-district administrator"),
    Role.COMMUNITY_SECRETARY: N_("Community secretary"),
    Role.BRANCH_SECRETARY: N_("Branch secretary"),
    Role.STAFF: N_("Staff (read-only)"),
}

# The org kind each role is attached to (staff may sit anywhere).
ROLE_ORG_KINDS = {
    Role.DISTRICT_ADMIN: {OrgKind.DISTRICT},
    Role.STREET_ADMIN: {OrgKind.STREET},
    Role.COMMUNITY_SECRETARY: {OrgKind.COMMUNITY},
    Role.BRANCH_SECRETARY: {OrgKind.BRANCH},
    Role.STAFF: set(OrgKind),
}

PASSWORD_MIN = 10
PASSWORD_MAX = 256

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against a real hash when the user does not exist keeps timing uniform.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def validate_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise ValidationError(
            N_("The password needs at least {count} characters."), field="password", count=PASSWORD_MIN
        )
    if len(password) > PASSWORD_MAX:
        raise ValidationError(
            N_("The password may have at most {count} characters."), field="password", count=PASSWORD_MAX
        )


class AdminUser(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=32)
    org: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="admins", on_delete=fields.RESTRICT
    )
    locale = fields.CharField(max_length=8, null=True)
    # The user's own member record: weekly reports reach them through its Telegram account.
    member = fields.ForeignKeyField(
        "models.Member", related_name="admin_users", null=True, on_delete=fields.SET_NULL
    )
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "admin_user"

    def __str__(self) -> str:
        return self.username

    @property
    def read_only(self) -> bool:
        return self.role == Role.STAFF


async def create_admin(username: str, password: str, role: Role, org: OrgUnit) -> AdminUser:
    username = username.strip()
    if not username or len(username) > 64:
        raise ValidationError(N_("A user name of 1 to 64 characters is required."), field="username")
    validate_password(password)
    role = Role(role)
    if org.kind not in ROLE_ORG_KINDS[role]:
        raise ValidationError(N_("This role cannot be attached to that unit."), field="org")
    if await AdminUser.filter(username=username).exists():
        raise ValidationError(N_("This user name is taken."), field="username")
    return await AdminUser.create(
        username=username, password_hash=await asyncio.to_thread(hash_password, password), role=role,
        org=org,
    )


async def authenticate(username: str, password: str) -> AdminUser | None:
    user = await AdminUser.get_or_none(username=username.strip(), is_active=True)
    if user is None:
        await asyncio.to_thread(verify_password, _DUMMY_HASH, password)
        return None
    # Argon2 takes tens of milliseconds of CPU: off the event loop the bot keeps answering.
    if not await asyncio.to_thread(verify_password, user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
        await user.save(update_fields=["password_hash"])
    return user


class LoginAttempt(Model):
    id = fields.BigIntField(primary_key=True)
    username = fields.CharField(max_length=64, db_index=True)
    ip = fields.CharField(max_length=64, db_index=True)
    success = fields.BooleanField()
    at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "login_attempt"


async def login_blocked(username: str, ip: str, *, max_failures: int, window: timedelta) -> bool:
    """True once ``max_failures`` failed logins hit this user name or this IP within ``window``."""
    since = datetime.now(UTC) - window
    failures = LoginAttempt.filter(success=False, at__gte=since)
    by_user = await failures.filter(username=username.strip()).count()
    by_ip = await failures.filter(ip=ip).count()
    return by_user >= max_failures or by_ip >= max_failures


async def record_login_attempt(username: str, ip: str, success: bool) -> None:
    await LoginAttempt.create(username=username.strip()[:64], ip=ip[:64], success=success)


async def start_login_attempt(
    username: str, ip: str, *, max_failures: int, window: timedelta
) -> LoginAttempt | None:
    """Count this attempt as failed *before* the password is checked, then apply the limit.

    Checking first and recording afterwards lets a burst of parallel guesses all pass the
    check before any of them is recorded. Recorded first, each guess sees the ones before
    it, so at most ``max_failures`` get through. None when blocked; a blocked attempt is
    not kept (it does not prolong the block). Call :func:`finish_login_attempt` after.
    """
    attempt = await LoginAttempt.create(username=username.strip()[:64], ip=ip[:64], success=False)
    since = datetime.now(UTC) - window
    failures = LoginAttempt.filter(success=False, at__gte=since)
    by_user = await failures.filter(username=attempt.username).count()
    by_ip = await failures.filter(ip=attempt.ip).count()
    if by_user > max_failures or by_ip > max_failures:  # this attempt is one of them
        await attempt.delete()
        return None
    return attempt


async def finish_login_attempt(attempt: LoginAttempt, success: bool) -> None:
    if success:
        await LoginAttempt.filter(id=attempt.id).update(success=True)


class AdminSession(Model):
    """A server-side session: the cookie carries a random token, we keep only its hash."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[AdminUser] = fields.ForeignKeyField(
        "models.AdminUser", related_name="sessions", on_delete=fields.CASCADE
    )
    csrf_token = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "admin_session"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(user: AdminUser, lifetime: timedelta) -> tuple[str, AdminSession]:
    token = secrets.token_urlsafe(32)
    session = await AdminSession.create(
        token_hash=_token_hash(token),
        user=user,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=datetime.now(UTC) + lifetime,
    )
    user.last_login_at = datetime.now(UTC)
    await user.save(update_fields=["last_login_at"])
    return token, session


# Every panel request looks its session up: the SQL is built once (see models.compiled).
_SESSION_WITH_USER = CompiledSelect(
    AdminSession,
    lambda token_hash: AdminSession.filter(token_hash=token_hash).select_related("user", "user__org").limit(1),
)


async def session_for_token(token: str) -> AdminSession | None:
    if not token:
        return None
    session = await _SESSION_WITH_USER.first(_token_hash(token))
    if session is None or session.expires_at <= datetime.now(UTC) or not session.user.is_active:
        return None
    return session


async def close_session(token: str) -> None:
    await AdminSession.filter(token_hash=_token_hash(token)).delete()


async def purge_expired(login_attempt_age: timedelta = timedelta(days=30)) -> None:
    """Housekeeping: drop expired sessions and old login attempts."""
    now = datetime.now(UTC)
    await AdminSession.filter(expires_at__lte=now).delete()
    await LoginAttempt.filter(at__lt=now - login_attempt_age).delete()
