"""Compiled selects give exactly what their querysets give (on SQLite, and with
TEST_DATABASE=postgres on PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from models.admins import AdminSession, Role, open_session, session_for_token
from models.compiled import CompiledSelect
from models.members import Member, TelegramUser, related, telegram_user_with_member
from models.org import OrgUnit
from tests import factories


def fields_of(obj) -> dict | None:
    return None if obj is None else {name: getattr(obj, name) for name in obj._meta.db_fields}


async def test_the_telegram_user_query_matches_its_queryset(org):
    member = await factories.member(org.nanyuan_1, name="李建国")
    await TelegramUser.create(id=501, first_name="Li", language_code="zh-hans", member=member)
    await TelegramUser.create(id=502, first_name="Wang", username="wang")
    for telegram_id in (501, 502, 503):
        compiled = await telegram_user_with_member(telegram_id)
        plain = await TelegramUser.get_or_none(id=telegram_id).select_related("member")
        assert fields_of(compiled) == fields_of(plain)
        if plain is not None:
            assert fields_of(compiled.member) == fields_of(plain.member)
    assert (await telegram_user_with_member(501)).member.name == "李建国"
    assert (await telegram_user_with_member(502)).member is None
    assert await telegram_user_with_member(503) is None


async def test_it_runs_on_the_transaction_it_is_called_in(org):
    async with in_transaction():
        await TelegramUser.create(id=601, first_name="Zhao")
        assert (await telegram_user_with_member(601)).first_name == "Zhao"


async def test_arguments_go_to_their_own_places(org):
    first = await factories.member(org.nanyuan_1, name="甲")
    await factories.member(org.nanyuan_1, name="乙")
    by_branch_and_name = CompiledSelect(
        Member, lambda name, branch_id: Member.filter(branch_id=branch_id, name=name)
    )
    assert [m.id for m in await by_branch_and_name.all("甲", org.nanyuan_1.id)] == [first.id]
    assert await by_branch_and_name.all("甲", org.nanyuan_2.id) == []
    assert await by_branch_and_name.first("丙", org.nanyuan_1.id) is None


async def test_an_argument_used_twice_is_refused(org):
    twice = CompiledSelect(Member, lambda member_id: Member.filter(id=member_id, branch_id=member_id))
    with pytest.raises(TypeError):
        await twice.all(1)


async def test_the_members_branch_and_residence_come_with_it(org):
    member = await factories.member(org.nanyuan_1, name="李建国", residence_community=org.nanyuan.id)
    await TelegramUser.create(id=701, first_name="Li", member=member)
    loaded = (await telegram_user_with_member(701)).member
    assert isinstance(loaded.branch, OrgUnit) and loaded.branch.path == org.nanyuan_1.path
    assert (await related(loaded, "residence_community")).id == org.nanyuan.id
    # A member loaded without them: fetched on demand; an empty key gives None.
    plain = await Member.get(id=member.id)
    assert (await related(plain, "branch")).id == org.nanyuan_1.id
    assert await related(await Member.get(id=(await factories.member(org.nanyuan_2)).id),
                         "residence_community") is None


async def test_the_admin_session_query_matches_its_queryset(org):
    user = await factories.admin("sec", Role.BRANCH_SECRETARY, org.nanyuan_1)
    token, _ = await open_session(user, timedelta(hours=1))
    compiled = await session_for_token(token)
    plain = await AdminSession.get(user_id=user.id).select_related("user", "user__org")
    assert fields_of(compiled) == fields_of(plain)
    assert fields_of(compiled.user) == fields_of(plain.user)
    assert compiled.user.org.name == plain.user.org.name == org.nanyuan_1.name
    assert await session_for_token("not a token") is None
