"""The whole community-service journey through the sandbox, with the clock in the test's hands:
report → confirmed → claim a post → join a team (the leader approves in the bot) → sign up →
the reminder arrives in private and in the team's linked group (the outbox drained by the real
delivery worker) → "I can't come" → the waiting member is promoted and told → check-in by
code → a card in the points ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery import DeliveryWorker
from bot.notify_community import activity_created, registration_confirmed, send_activity_reminders
from bot.sandbox.client import message_content
from models.activities import Activity, SignUp, SignUpStatus
from models.outbox import OutboxMessage, OutboxStatus
from models.points import PointCard
from models.posts import PostClaim, create_post
from models.registration import Registration, RegistrationStatus, confirm_registration
from models.teams import MembershipStatus, Team, TeamMembership
from tests import factories
from tests.bot.test_community_flow import in_service, open_community
from tests.bot.test_wishes_flow import screen, tap

MEMBER, LEADER, WAITING = 9901, 9902, 9903


async def deliver(harness) -> None:
    """Drain the outbox with the real worker; groups are not paced here (see tests/delivery)."""
    worker = DeliveryWorker(harness.bot, worker_id="journey", per_chat_interval=0, per_group_interval=0,
                            idle_poll=0.05)
    await worker.drain()


async def bot_texts(harness, chat_id: int) -> list[str]:
    return [message_content(m) for m in await harness.client.transcript(chat_id) if m["from_bot"]]


async def test_from_report_to_card(harness, org):
    member = await in_service(harness, org, MEMBER, "李明")
    leader = await in_service(harness, org, LEADER, "张队长")
    waiting = await in_service(harness, org, WAITING, "王候补")
    scope = await factories.scope_of(org.nanyuan)

    # 1. The member reports to the home community in the bot; the secretary confirms.
    await open_community(harness, MEMBER)
    await tap(harness, MEMBER, "到居住社区报到")
    await tap(harness, MEMBER, "南园社区")
    await harness.say(MEMBER, "水电维修")
    await tap(harness, MEMBER, "便民利民")
    await tap(harness, MEMBER, "提交报到")
    registration = await Registration.get(member_id=member.id)
    await registration_confirmed(await confirm_registration(registration, scope))  # as the panel does
    assert registration.status == RegistrationStatus.CONFIRMED
    await deliver(harness)
    assert "已确认您的报到" in (await screen(harness, MEMBER))["text"]

    # 2. Claim a service post.
    await create_post(scope, org.nanyuan, name="楼道联络员")
    await open_community(harness, MEMBER)
    await tap(harness, MEMBER, "服务岗位")
    await tap(harness, MEMBER, "认领：楼道联络员")
    assert await PostClaim.filter(member_id=member.id, left_at=None).count() == 1

    # 3. The team's leader links its group (a non-leader cannot); the member asks to join and the
    #    leader approves in the bot.
    team = await factories.team(org.nanyuan, scope, leader=leader)
    await factories.team_member(team, waiting, scope)
    group = (await harness.client.create_group("义诊服务队群", member_ids=[LEADER, WAITING], with_bot=True,
                                               by_user_id=LEADER))["id"]

    async def say_in_group(user_id: int, text: str) -> dict:
        sent = await harness.client.send_text(user_id, text, chat_id=group)
        return await harness.client.wait_for_bot_message(group, after_message_id=sent)

    assert "队长" in (await say_in_group(WAITING, "/link"))["text"]
    assert (await Team.get(id=team.id)).group_chat_id is None
    assert "已绑定" in (await say_in_group(LEADER, "/link"))["text"]
    assert (await Team.get(id=team.id)).group_chat_id == group

    await open_community(harness, MEMBER)
    await tap(harness, MEMBER, "志愿服务队")
    await tap(harness, MEMBER, "义诊服务队")
    await tap(harness, MEMBER, "申请加入")
    await deliver(harness)
    assert "李明" in (await screen(harness, LEADER))["text"]
    await tap(harness, LEADER, "入队申请")
    await tap(harness, LEADER, "✅ 李明")
    assert (await TeamMembership.get(team_id=team.id, member_id=member.id)).status == MembershipStatus.ACTIVE
    await deliver(harness)
    assert "已成为" in (await screen(harness, MEMBER))["text"]

    # 4. A team activity with one seat, announced in the group; the member signs up first.
    starts = datetime.now(UTC) + timedelta(days=3)
    activity = await factories.activity(scope, org.nanyuan, team=team, starts_at=starts, capacity=1,
                                        title="周四义诊", place="社区卫生站")
    await activity_created(activity)  # as the panel does after creating it
    for user_id in (MEMBER, WAITING):
        await open_community(harness, user_id)
        await tap(harness, user_id, "近期活动")
        await tap(harness, user_id, "周四义诊")
        await tap(harness, user_id, "✋ 报名")
    statuses = {s.member_id: s.status for s in await SignUp.filter(activity_id=activity.id)}
    assert statuses == {member.id: SignUpStatus.REGISTERED, waiting.id: SignUpStatus.WAITLISTED}

    # 5. The clock reaches the 2-hour reminder: the member and the group are reminded, once.
    assert await send_activity_reminders(starts - timedelta(hours=25)) == 0  # not yet: the team's 24 h
    due = starts - timedelta(hours=1, minutes=30)
    assert await send_activity_reminders(due) == 2  # the member (the waiting one has no seat) and the group
    assert await send_activity_reminders(due) == 0  # a second run sends nothing twice
    await deliver(harness)
    assert await OutboxMessage.filter(status__in=[OutboxStatus.QUEUED, OutboxStatus.RETRY]).count() == 0
    reminder = await screen(harness, MEMBER)
    assert "提醒" in reminder["text"] and "周四义诊" in reminder["text"]
    in_group = await bot_texts(harness, group)
    assert any("新活动" in text and "周四义诊" in text for text in in_group)
    assert any("即将开始" in text and "社区卫生站" in text for text in in_group)
    for name in ("李明", "张队长", "王候补"):  # no personal data in the group
        assert not any(name in text for text in in_group)

    # 6. "I can't come": the seat goes to the waiting member, who is told.
    assert "已取消报名" in (await tap(harness, MEMBER, "我去不了"))["text"]
    promoted = await SignUp.get(activity_id=activity.id, member_id=waiting.id)
    assert promoted.status == SignUpStatus.REGISTERED
    await deliver(harness)
    assert "有名额空出" in (await screen(harness, WAITING))["text"]

    # 7. The day comes (the activity now starts in 10 minutes): check in with the venue's code.
    soon = datetime.now(UTC) + timedelta(minutes=10)
    await Activity.filter(id=activity.id).update(starts_at=soon, ends_at=soon + timedelta(hours=2))
    await tap(harness, WAITING, "查看活动")
    await tap(harness, WAITING, "签到")
    assert "签到成功" in (await harness.say(WAITING, activity.checkin_code))["text"]
    assert (await SignUp.get(id=promoted.id)).status == SignUpStatus.ATTENDED

    # 8. One card in the points ledger, for this activity; none for the member who could not come.
    [card] = await PointCard.filter(member_id=waiting.id)
    assert card.amount == 1
    assert not await PointCard.filter(member_id=member.id).exists()
