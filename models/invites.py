"""Single-use, expiring invites that bind a Telegram account to a member."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from tortoise import fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from locales import N_
from models import audit
from models.errors import InviteError
from models.members import Member, TelegramUser

CODE_BYTES = 12  # 16 url-safe characters; deep-link payloads allow [A-Za-z0-9_-]{1,64}


class Invite(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="invites", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by_telegram_id = fields.BigIntField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invite"
        ordering = ["-id"]

    @property
    def status(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= datetime.now(UTC):
            return "expired"
        return "pending"

    def deep_link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username}?start={self.code}"


INVITE_STATUS_LABELS = {
    "pending": N_("Pending"),
    "used": N_("Used"),
    "revoked": N_("Revoked"),
    "expired": N_("Expired"),
}


def pending_invites():
    return Invite.filter(used_at=None, revoked_at=None, expires_at__gt=datetime.now(UTC))


async def issue_invite(member: Member, ttl: timedelta, actor: audit.Actor) -> Invite:
    """Revoke the member's open invites and issue a fresh one."""
    now = datetime.now(UTC)
    async with in_transaction():
        await Invite.filter(member=member, used_at=None, revoked_at=None).update(revoked_at=now)
        invite = await Invite.create(
            code=secrets.token_urlsafe(CODE_BYTES), member=member, expires_at=now + ttl
        )
        await audit.record(actor, "invite.issue", invite, org_id=member.branch_id)
    return invite


async def revoke_invite(invite: Invite, actor: audit.Actor) -> None:
    changed = await Invite.filter(id=invite.id, used_at=None, revoked_at=None).update(
        revoked_at=datetime.now(UTC)
    )
    if not changed:
        raise InviteError(N_("This invite is no longer open."))
    await invite.fetch_related("member")
    await audit.record(actor, "invite.revoke", invite, org_id=invite.member.branch_id,
                       before={"revoked": False}, after={"revoked": True})


async def redeem_invite(code: str, tg_user: TelegramUser) -> Member:
    """Bind ``tg_user`` to the invite's member; every refusal raises ``InviteError``.

    The claim is a conditional UPDATE so two concurrent redemptions of one code
    cannot both succeed, on SQLite as on PostgreSQL.
    """
    invite = await Invite.get_or_none(code=code).select_related("member")
    if invite is None:
        raise InviteError(N_("This invitation code is not valid. Please check the link you received."))
    if tg_user.member_id is not None:
        if tg_user.member_id == invite.member_id:
            raise InviteError(N_("Your account is already linked to {name}."), name=invite.member.name)
        raise InviteError(
            N_("This Telegram account is already linked to another member. "
               "Invitation codes cannot be shared.")
        )
    if invite.used_at is not None:
        raise InviteError(N_("This invitation has already been used. Ask your branch secretary for a new one."))
    if invite.revoked_at is not None:
        raise InviteError(N_("This invitation was withdrawn. Ask your branch secretary for a new one."))
    now = datetime.now(UTC)
    if invite.expires_at <= now:
        raise InviteError(N_("This invitation has expired. Ask your branch secretary for a new one."))
    if await TelegramUser.filter(member_id=invite.member_id).exists():
        raise InviteError(N_("This member is already linked to another Telegram account."))

    async with in_transaction():
        claimed = await Invite.filter(
            id=invite.id, used_at=None, revoked_at=None, expires_at__gt=now
        ).update(used_at=now, used_by_telegram_id=tg_user.id)
        if claimed != 1:
            raise InviteError(
                N_("This invitation has already been used. Ask your branch secretary for a new one.")
            )
        bound = await TelegramUser.filter(id=tg_user.id, member_id=None).update(
            member_id=invite.member_id, bound_at=now
        )
        if bound != 1:
            raise InviteError(
                N_("This Telegram account is already linked to another member. "
                   "Invitation codes cannot be shared.")
            )
        await audit.record(
            audit.Actor(member=invite.member), "member.bind_telegram", invite.member,
            org_id=invite.member.branch_id, after={"telegram_id": tg_user.id},
        )
    tg_user.member_id = invite.member_id
    tg_user.bound_at = now
    return invite.member
