"""Invites: single use, expiry, revocation, and a race for one code on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.audit import Actor, AuditEntry
from models.errors import InviteError
from models.invites import Invite, issue_invite, redeem_invite, revoke_invite
from models.members import TelegramUser
from tests import factories


async def test_reissue_revokes_the_open_invite(org):
    member = await factories.member(org.nanyuan_1)
    first = await factories.invite(member)
    second = await factories.invite(member)
    await first.refresh_from_db()
    assert first.status == "revoked"
    assert second.status == "pending"
    assert second.code != first.code


async def test_revoke_twice_is_refused(org):
    invite = await factories.invite(await factories.member(org.nanyuan_1))
    await revoke_invite(invite, Actor.system("tests"))
    with pytest.raises(InviteError):
        await revoke_invite(invite, Actor.system("tests"))


async def test_redeem_binds_and_audits(org):
    member = await factories.member(org.nanyuan_1)
    invite = await factories.invite(member)
    tg_user = await TelegramUser.create(id=1)
    assert (await redeem_invite(invite.code, tg_user)).id == member.id
    assert await AuditEntry.filter(action="member.bind_telegram", object_id=str(member.id)).exists()
    with pytest.raises(InviteError):
        await redeem_invite(invite.code, await TelegramUser.create(id=2))


async def race_for_one_code(org) -> None:
    member = await factories.member(org.nanyuan_1)
    invite = await factories.invite(member)
    users = [await TelegramUser.create(id=100 + i) for i in range(20)]

    results = await asyncio.gather(
        *(redeem_invite(invite.code, user) for user in users), return_exceptions=True
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, InviteError) for r in results if isinstance(r, BaseException))
    assert await TelegramUser.filter(member_id=member.id).count() == 1
    assert (await Invite.get(id=invite.id)).used_by_telegram_id is not None


async def test_twenty_accounts_race_for_one_code_sqlite(org):
    await race_for_one_code(org)


async def test_twenty_accounts_race_for_one_code_postgres(pg_db):
    await race_for_one_code(await factories.org_tree())


async def test_issue_audits_with_org(org):
    member = await factories.member(org.nanyuan_1)
    invite = await issue_invite(member, timedelta(days=1), Actor.system("t"))
    entry = await AuditEntry.get(action="invite.issue", object_id=str(invite.id))
    assert entry.org_id == org.nanyuan_1.id
