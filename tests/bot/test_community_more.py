"""Community service in the bot, continued: withdrawing a report, and paged lists."""

from __future__ import annotations

from models.posts import PostClaim, ServicePost, claim_post, create_post
from models.registration import Registration, RegistrationStatus, register
from models.audit import Actor
from tests import factories
from tests.bot.test_community_flow import confirmed, in_service, open_community
from tests.bot.test_wishes_flow import buttons, double_tap, forge, screen, tap


# --------------------------------------------------------------------------- withdrawing a report


async def test_withdraw_a_pending_report_after_confirming(harness, org):
    member = await in_service(harness, org, 9801, "钱一")
    await register(Actor(member=member), org.nanyuan, skills="电工")
    home = await open_community(harness, 9801)
    assert any("撤回报到" in b for b in buttons(home))
    await tap(harness, 9801, "撤回报到")
    ask = await screen(harness, 9801)
    assert "南园社区" in ask["text"] and "岗位" not in ask["text"]  # pending: no posts to leave
    await tap(harness, 9801, "不，保留")  # changed their mind
    assert (await Registration.get(member_id=member.id)).status == RegistrationStatus.PENDING

    await tap(harness, 9801, "撤回报到")
    answers = await double_tap(harness, 9801, await screen(harness, 9801), "是的，撤回")
    assert "已撤回" in " ".join(answers) and "按钮" in " ".join(answers)  # the second tap is stale
    registration = await Registration.get(member_id=member.id)
    assert registration.status == RegistrationStatus.WITHDRAWN and registration.withdrawn_at
    # Back home: they may report again; the old confirm button is stale.
    assert any("到居住社区报到" in b for b in buttons(await screen(harness, 9801)))
    assert "按钮" in (await forge(harness, 9801, "c:wy"))["text"]
    assert "按钮" in (await forge(harness, 9801, "c:w"))["text"]


async def test_withdraw_a_confirmed_report_leaves_its_posts(harness, org):
    member, scope = await confirmed(harness, org, 9811, "钱二")
    post = await create_post(scope, org.nanyuan, name="楼栋长")
    await claim_post(post, member)
    await open_community(harness, 9811)
    await tap(harness, 9811, "撤回报到")
    assert "岗位" in (await screen(harness, 9811))["text"]  # confirmed: they are warned
    answer = await tap(harness, 9811, "是的，撤回")
    assert "已撤回" in answer["text"]
    assert (await Registration.get(member_id=member.id)).status == RegistrationStatus.WITHDRAWN
    claim = await PostClaim.get(member_id=member.id)
    assert claim.left_at is not None and claim.leave_reason
    assert (await ServicePost.get(id=post.id)).taken == 0
    assert not any("服务岗位" in b for b in buttons(await screen(harness, 9811)))


async def test_no_withdraw_without_a_report(harness, org):
    await in_service(harness, org, 9821, "钱三")
    retired = await factories.member(org.nanyuan_1, "老钱")  # not bound: nothing to do with the bot
    assert not any("撤回" in b for b in buttons(await open_community(harness, 9821)))
    assert "按钮" in (await forge(harness, 9821, "c:w"))["text"]
    assert "按钮" in (await forge(harness, 9821, "c:wy"))["text"]
    assert not await Registration.exists()
    assert retired.id
