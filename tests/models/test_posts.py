"""Service posts: claimed by confirmed members, within capacity, left with a reason."""

from __future__ import annotations

import asyncio

import pytest

from models.audit import Actor
from models.errors import DomainError, PermissionDenied, ValidationError
from models.posts import (
    PostClaim,
    ServicePost,
    claim_post,
    close_post,
    create_post,
    leave_post,
    posts_held_by,
    reopen_post,
    update_post,
)
from tests import factories


@pytest.fixture
async def nanyuan(org):
    return await factories.scope_of(org.nanyuan)


async def confirmed(org, scope, name="李四"):
    member = await factories.in_service_member(org.xinfeng_1, name)
    await factories.confirmed_registration(member, org.nanyuan, scope)
    return member


async def test_a_confirmed_member_claims_several_posts(org, nanyuan):
    member = await confirmed(org, nanyuan)
    help_post = await create_post(nanyuan, org.nanyuan, name="扶贫帮困", kind="hardship")
    legal = await create_post(nanyuan, org.nanyuan, name="法律援助")
    await claim_post(help_post, member)
    await claim_post(legal, member)
    assert [claim.post.name for claim in await posts_held_by(member)] == ["扶贫帮困", "法律援助"]
    with pytest.raises(DomainError):
        await claim_post(legal, member)


async def test_claiming_needs_a_confirmed_registration_there(org, nanyuan):
    post = await create_post(nanyuan, org.nanyuan, name="环境保护")
    member = await factories.in_service_member(org.xinfeng_1)
    with pytest.raises(PermissionDenied):
        await claim_post(post, member)
    await factories.confirmed_registration(member, org.xinfeng, await factories.scope_of(org.xinfeng, "xf"))
    with pytest.raises(PermissionDenied):  # confirmed, but by another community
        await claim_post(post, member)


async def test_closed_and_full_posts_refuse_claims(org, nanyuan):
    post = await create_post(nanyuan, org.nanyuan, name="楼栋长", capacity=2)
    first, second, third = [await confirmed(org, nanyuan, name) for name in ("甲", "乙", "丙")]
    await close_post(post, nanyuan)
    with pytest.raises(DomainError):
        await claim_post(post, first)
    with pytest.raises(DomainError):
        await close_post(post, nanyuan)
    await reopen_post(post, nanyuan)
    await claim_post(post, first)
    await claim_post(post, second)
    with pytest.raises(DomainError):
        await claim_post(post, third)
    with pytest.raises(ValidationError) as error:  # two members hold it
        await update_post(post, nanyuan, name="楼栋长", capacity=1)
    assert error.value.field == "capacity"
    await update_post(post, nanyuan, name="楼栋长", capacity=3)
    await claim_post(post, third)


async def test_simultaneous_claims_stay_within_capacity(org, nanyuan):
    post = await create_post(nanyuan, org.nanyuan, name="治安巡逻", capacity=2)
    members = [await confirmed(org, nanyuan, f"党员{i}") for i in range(6)]
    results = await asyncio.gather(*(claim_post(post, m) for m in members), return_exceptions=True)
    assert sum(isinstance(r, PostClaim) for r in results) == 2
    assert all(isinstance(r, (PostClaim, DomainError)) for r in results)
    assert (await ServicePost.get(id=post.id)).taken == 2


async def test_leaving_needs_a_reason_and_frees_the_place(org, nanyuan):
    post = await create_post(nanyuan, org.nanyuan, name="文化娱乐", capacity=1)
    member, other = await confirmed(org, nanyuan, "甲"), await confirmed(org, nanyuan, "乙")
    claim = await claim_post(post, member)
    with pytest.raises(ValidationError) as error:
        await leave_post(claim, Actor(member=member), "")
    assert error.value.field == "reason"
    with pytest.raises(PermissionDenied):
        await leave_post(claim, Actor(member=other), "替他退出")
    await leave_post(claim, Actor(member=member), "工作调动")
    assert claim.left_at is not None and claim.leave_reason == "工作调动"
    with pytest.raises(DomainError):
        await leave_post(claim, Actor(member=member), "再退一次")
    taken = await claim_post(post, other)
    await leave_post(taken, Actor(admin=nanyuan.user), "长期未履岗", scope=nanyuan)
    await claim_post(post, member)  # may claim again after leaving


async def test_post_rules_for_secretaries(org, nanyuan):
    with pytest.raises(PermissionDenied):
        await create_post(await factories.scope_of(org.xinfeng, "xf"), org.nanyuan, name="便民服务")
    await create_post(nanyuan, org.nanyuan, name="便民服务")
    with pytest.raises(ValidationError) as error:
        await create_post(nanyuan, org.nanyuan, name="便民服务")
    assert error.value.field == "name"
    with pytest.raises(ValidationError) as error:
        await create_post(nanyuan, org.nanyuan, name="医疗保健", capacity=0)
    assert error.value.field == "capacity"
