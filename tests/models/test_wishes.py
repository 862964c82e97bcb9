"""Micro-wish rules: the transitions, the single claim (on SQLite and PostgreSQL), the card."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.clock import local_today
from models.audit import Actor
from models.errors import DomainError, PermissionDenied, ValidationError
from models.members import TelegramUser
from models.points import PointCard, card_total
from models.wishes import (
    Wish,
    WishStatus,
    claim_wish,
    confirm_fulfilled,
    mark_done,
    publish_wish,
    release_wish,
    reopen_wish,
    submit_wish,
    withdraw_wish,
)
from tests import factories


async def test_full_cycle_awards_one_card(org):
    resident = await TelegramUser.create(id=900)
    member = await factories.member(org.nanyuan_1, residence_community=org.nanyuan.id)
    wish = await factories.published_wish(org.nanyuan, resident=resident)

    await claim_wish(wish, member)
    await mark_done(wish, member)
    await confirm_fulfilled(wish, Actor.system(), by_resident=resident, satisfaction="satisfied")

    assert wish.status == WishStatus.FULFILLED and wish.confirmed_by == "resident"
    assert await card_total(member, local_today().year) == 1
    with pytest.raises(DomainError):  # a second confirmation changes nothing
        await confirm_fulfilled(wish, Actor.system(), by_resident=resident)
    assert await PointCard.filter(member=member).count() == 1


async def test_other_community_cannot_claim(org):
    outsider = await factories.member(org.xinfeng_1, residence_community=org.xinfeng.id)
    wish = await factories.published_wish(org.nanyuan)
    with pytest.raises(PermissionDenied):
        await claim_wish(wish, outsider)
    assert (await Wish.get(id=wish.id)).status == WishStatus.PUBLISHED


async def test_withdraw_only_by_resident_and_before_claim(org):
    resident = await TelegramUser.create(id=901)
    stranger = await TelegramUser.create(id=902)
    wish = await factories.published_wish(org.nanyuan, resident=resident)
    with pytest.raises(PermissionDenied):
        await withdraw_wish(wish, stranger)
    await claim_wish(wish, await factories.member(org.nanyuan_1))
    with pytest.raises(DomainError):
        await withdraw_wish(wish, resident)


async def test_not_done_yet_goes_back_to_the_claimant_only_from_the_resident(org):
    resident = await TelegramUser.create(id=903)
    stranger = await TelegramUser.create(id=904)
    member = await factories.member(org.nanyuan_1)
    wish = await factories.published_wish(org.nanyuan, resident=resident)
    await claim_wish(wish, member)
    with pytest.raises(DomainError):  # not marked done yet
        await reopen_wish(wish, Actor.system(), by_resident=resident)
    await mark_done(wish, member)
    with pytest.raises(PermissionDenied):
        await reopen_wish(wish, Actor.system(), by_resident=stranger)
    await reopen_wish(wish, Actor.system(), by_resident=resident)
    assert (wish.status, wish.claimant_id, wish.done_at) == (WishStatus.CLAIMED, member.id, None)
    with pytest.raises(DomainError):  # a resident cannot confirm what is not done
        await confirm_fulfilled(wish, Actor.system(), by_resident=resident)
    assert not await PointCard.filter(member=member).exists()


async def test_release_puts_the_wish_back_on_the_wall(org):
    member = await factories.member(org.nanyuan_1)
    wish = await factories.published_wish(org.nanyuan)
    await claim_wish(wish, member)
    with pytest.raises(ValidationError):
        await release_wish(wish, Actor(member=member), reason="  ")
    await release_wish(wish, Actor(member=member), reason="出差")
    assert wish.status == WishStatus.PUBLISHED and wish.claimant_id is None


async def test_review_validation(org):
    wish = await submit_wish(org.nanyuan, "想要一个音箱", Actor.system())
    with pytest.raises(ValidationError):
        await publish_wish(wish, Actor.system(), category="culture", service_standard="",
                           deadline=local_today() + timedelta(days=3))
    with pytest.raises(ValidationError):
        await publish_wish(wish, Actor.system(), category="culture", service_standard="送达",
                           deadline=local_today() - timedelta(days=1))
    with pytest.raises(ValidationError):
        await submit_wish(org.nanyuan, "字" * 501, Actor.system())


async def fifty_claim_at_once(org) -> None:
    members = [await factories.member(org.nanyuan_1, name=f"党员{i}") for i in range(50)]
    wish = await factories.published_wish(org.nanyuan)
    copies = [await Wish.get(id=wish.id) for _ in members]  # each taps on their own stale view

    results = await asyncio.gather(
        *(claim_wish(copy, member) for copy, member in zip(copies, members)), return_exceptions=True
    )

    winners = [r for r in results if isinstance(r, Wish)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1 and len(losers) == 49
    stored = await Wish.get(id=wish.id)
    assert stored.status == WishStatus.CLAIMED and stored.claimant_id == winners[0].claimant_id


async def test_fifty_members_claim_one_wish_sqlite(org):
    await fifty_claim_at_once(org)


async def test_fifty_members_claim_one_wish_postgres(pg_db):
    await fifty_claim_at_once(await factories.org_tree())
