"""A member is told in the bot when someone else records a contribution card for them or
revokes one, with where they now stand for the award."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.sandbox.client import message_content
from models.activities import Activity, SignUp
from models.admins import Role
from models.audit import Actor
from models.clock import current_year
from models.outbox import OutboxMessage
from models.points import CardSource, PointCard, award_card
from models.signups import sign_up
from tests import factories
from tests.admin.conftest import post_form, zh
from tests.bot.test_pledges_flow import bound_member, buttons, deliver, screen, tap

AWARD = "奉献奖"


def standing(count: int) -> str:
    return zh("{count} cards this year; {needed} more for the {award} by 31 December.",
              count=count, needed=7 - count, award=AWARD)


async def told(harness, user_id: int) -> tuple[str, dict]:
    await deliver(harness)
    message = await screen(harness, user_id)
    return message_content(message), message


async def test_a_card_issued_then_revoked_in_the_panel_is_told_with_the_standing(harness, org, panel):
    member = await bound_member(harness, org.nanyuan_1, 9981, residence_community=org.nanyuan.id)
    await factories.admin("nanyuan", Role.COMMUNITY_SECRETARY, org.nanyuan)
    browser = await panel(harness.bot, "nanyuan")

    issued = await post_form(browser, "/points/new", "/points/new",
                             {"member": str(member.id), "reason": "协助整理<档案> & 台账"})
    assert issued.status == 303
    card = await PointCard.get(member_id=member.id)
    text, message = await told(harness, 9981)
    assert "⭐ 您获得了一张奉献积分卡。" in text
    assert "书记发放：协助整理<档案> & 台账" in text  # what the secretary typed, literally
    assert standing(1) in text and buttons(message) == ["⭐ 我的积分"]
    await tap(harness, 9981, "我的积分")
    assert "协助整理" in message_content(await screen(harness, 9981))

    page = f"/points/{card.id}"
    assert (await post_form(browser, page, f"{page}/revoke", {"reason": "重复<发放>"})).status == 303
    again = await post_form(browser, page, f"{page}/revoke", {"reason": "再撤一次"})
    assert again.status != 303  # refused: a card is revoked once
    text, _ = await told(harness, 9981)
    assert "您的一张奉献积分卡已被撤销。" in text and "重复<发放>" in text and standing(0) in text
    assert await OutboxMessage.filter(kind="card.revoked").count() == 1
    assert await OutboxMessage.filter(kind="card.recorded").count() == 1

    # A refused form tells nobody; a member without Telegram is not told either.
    blank = await post_form(browser, "/points/new", "/points/new", {"member": str(member.id), "reason": " "})
    assert blank.status == 422
    offline = await factories.member(org.nanyuan_1, name="没绑定")
    issued = await post_form(browser, "/points/new", "/points/new", {"member": str(offline.id), "reason": "帮忙"})
    assert issued.status == 303 and await PointCard.filter(member_id=offline.id).count() == 1
    assert await OutboxMessage.filter(kind="card.recorded").count() == 1


async def test_the_seventh_card_is_told_as_the_award_and_attendance_as_its_activity(harness, org, panel):
    member = await bound_member(harness, org.nanyuan_1, 9982, residence_community=org.nanyuan.id)
    scope = await factories.scope_of(org.nanyuan, "nanyuan")
    for number in range(6):
        await award_card(member, CardSource.MANUAL, None, Actor.system("tests"), reason=f"第 {number + 1} 次")
    activity = await factories.activity(scope, org.nanyuan, starts_at=datetime.now(UTC) + timedelta(days=1),
                                        title="周四义诊<量血压>")
    await sign_up(activity, member)
    await Activity.filter(id=activity.id).update(starts_at=datetime.now(UTC) - timedelta(minutes=5))
    signup = await SignUp.get(member_id=member.id)

    browser = await panel(harness.bot, "nanyuan")
    page = f"/community/activities/{activity.id}"
    marked = await post_form(browser, page, f"{page}/signups/{signup.id}/attendance", {"status": "attended"})
    assert marked.status == 303
    text, _ = await told(harness, 9982)
    assert "参加活动：周四义诊<量血压>" in text
    assert zh("🎉 {count} cards this year: you have earned the {award} for {year}. Thank you!",
              count=7, award=AWARD, year=current_year()) in text
    # Marked again (refused: attended is final) or excused: nothing more is told.
    again = await post_form(browser, page, f"{page}/signups/{signup.id}/attendance", {"status": "excused"})
    assert again.status == 422
    assert await OutboxMessage.filter(kind="card.recorded").count() == 1
