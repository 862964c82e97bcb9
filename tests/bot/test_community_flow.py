"""Community service through the sandbox: reporting, service posts, activities, reminders, teams."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.callbacks import (
    ActivityAction,
    ActivityCallback,
    JoinDecision,
    PostAction,
    PostCallback,
    RegCommunityChoice,
)
from bot.notify_community import registration_confirmed, send_activity_reminders
from bot.sandbox.client import inline_buttons, message_content
from models.activities import Activity, SignUp, SignUpStatus, cancel_activity
from models.attendance import checkin_hours
from models.audit import Actor
from models.outbox import OutboxMessage
from models.points import PointCard
from models.posts import PostClaim, create_post
from models.registration import Registration, RegistrationStatus, confirm_registration
from models.teams import MembershipStatus, TeamMembership
from tests import factories
from tests.bot.test_wishes_flow import (
    bound_member,
    buttons,
    deliver,
    double_tap,
    forge,
    screen,
    tap,
)


async def in_service(harness, org, user_id: int, name: str, **values):
    return await bound_member(harness, org.nanyuan_1, user_id, name, member_type="in_service",
                              residence_community=org.nanyuan.id, **values)


async def open_community(harness, user_id: int) -> dict:
    await harness.say(user_id, "/menu")
    await tap(harness, user_id, "社区服务")
    return await screen(harness, user_id)


async def confirmed(harness, org, user_id: int, name: str):
    member = await in_service(harness, org, user_id, name)
    scope = await factories.scope_of(org.nanyuan, f"sec{user_id}")
    await factories.confirmed_registration(member, org.nanyuan, scope)
    return member, scope


def later(**delta) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


# --------------------------------------------------------------------------- reporting


async def test_report_to_the_community_and_be_confirmed(harness, org):
    member = await in_service(harness, org, 9101, "周明")
    home = await open_community(harness, 9101)
    assert "还没有到居住社区报到" in home["text"] and any("报到" in b for b in buttons(home))

    await tap(harness, 9101, "到居住社区报到")
    choice = await screen(harness, 9101)
    assert buttons(choice)[0] == "南园社区"  # the residence community first
    await tap(harness, 9101, "南园社区")
    await harness.client.send_sticker(9101)
    assert "文字" in (await harness.client.wait_for_bot_message(9101))["text"]
    assert "200" in (await harness.say(9101, "长" * 201))["text"]
    kinds = await harness.say(9101, "全科医生")
    assert "全科医生" in kinds["text"]
    await tap(harness, 9101, "医疗保健")
    await tap(harness, 9101, "法律援助")
    await tap(harness, 9101, "法律援助")  # toggled off again
    assert "✅ 医疗保健" in buttons(await screen(harness, 9101))
    answer = await tap(harness, 9101, "提交报到")
    assert "南园社区" in answer["text"]

    registration = await Registration.get(member_id=member.id)
    assert (registration.community_id, registration.skills, registration.service_kinds,
            registration.status) == (org.nanyuan.id, "全科医生", ["health"], RegistrationStatus.PENDING)
    status = await screen(harness, 9101)
    assert "社区确认您的报到后" in status["text"]
    assert not any("到居住社区报到" in b for b in buttons(status))

    scope = await factories.scope_of(org.nanyuan)
    await registration_confirmed(await confirm_registration(registration, scope))
    await registration_confirmed(registration)  # a second call queues nothing new
    assert await OutboxMessage.filter(kind="registration.confirmed").count() == 1
    await deliver(harness)
    assert "已确认您的报到" in (await screen(harness, 9101))["text"]
    assert "服务岗位" in " ".join(buttons(await open_community(harness, 9101)))



async def test_cancel_at_the_community_choice_takes_its_buttons_away(harness, org):
    await in_service(harness, org, 9109, "周明")
    await open_community(harness, 9109)
    await tap(harness, 9109, "到居住社区报到")
    choice = await screen(harness, 9109)
    assert "南园社区" in buttons(choice)
    await harness.say(9109, "/cancel")
    shown = {m["message_id"]: m for m in await harness.client.bot_messages(9109)}
    assert buttons(shown[choice["message_id"]]) == []

async def test_reporting_refuses_forged_and_repeated_buttons(harness, org):
    await in_service(harness, org, 9111, "孙丽")
    retired = await bound_member(harness, org.nanyuan_1, 9112, "老王")
    # Retired members do not report: no button, and a forged tap is stale.
    assert not any("报到" in b for b in buttons(await open_community(harness, 9112)))
    assert "按钮" in (await forge(harness, 9112, "c:r"))["text"]
    assert not await Registration.filter(member_id=retired.id).exists()

    await open_community(harness, 9111)
    await tap(harness, 9111, "到居住社区报到")
    # A branch is not a community.
    assert "按钮" in (await forge(harness, 9111, RegCommunityChoice(community_id=org.nanyuan_1.id).pack()))["text"]
    assert "按钮" in (await harness.say(9111, "南园社区"))["text"]  # a button step wants a button
    await tap(harness, 9111, "新风社区")
    await tap(harness, 9111, "跳过")
    await tap(harness, 9111, "提交报到")
    assert (await Registration.get(member_id__not=retired.id)).community_id == org.xinfeng.id
    # The form's buttons are stale once it is submitted.
    assert "按钮" in (await forge(harness, 9111, "c:ok"))["text"]
    assert await Registration.all().count() == 1


# --------------------------------------------------------------------------- service posts


async def test_claim_posts_and_leave_one_with_a_reason(harness, org):
    member, scope = await confirmed(harness, org, 9201, "吴刚")
    await create_post(scope, org.nanyuan, name="楼栋长", capacity=1)
    await create_post(scope, org.nanyuan, name="政策宣传员")
    other = await create_post(await factories.scope_of(org.xinfeng, "xf"), org.xinfeng, name="新风岗位")

    await open_community(harness, 9201)
    await tap(harness, 9201, "服务岗位")
    posts = await screen(harness, 9201)
    assert "楼栋长" in posts["text"] and "新风岗位" not in posts["text"]
    answer = await tap(harness, 9201, "认领：楼栋长")
    assert "楼栋长" in answer["text"]
    await tap(harness, 9201, "认领：政策宣传员")
    assert await PostClaim.filter(member_id=member.id, left_at=None).count() == 2
    # A post of another community, a forged id: stale.
    for item in (other.id, 99999):
        data = PostCallback(action=PostAction.CLAIM, item_id=item).pack()
        assert "按钮" in (await forge(harness, 9201, data))["text"]

    # The capacity-1 post is full for the next member.
    await confirmed(harness, org, 9202, "郑洁")
    await open_community(harness, 9202)
    await tap(harness, 9202, "服务岗位")
    full = await PostClaim.get(member_id=member.id, post__name="楼栋长")
    data = PostCallback(action=PostAction.CLAIM, item_id=full.post_id).pack()
    assert "人数已满" in (await forge(harness, 9202, data))["text"]

    await tap(harness, 9201, "我的岗位")
    my_posts = (await screen(harness, 9201))["message_id"]
    await tap(harness, 9201, "退出：楼栋长")
    assert inline_buttons(await harness.client.message(9201, my_posts)) == []  # asked below it
    await harness.client.send_sticker(9201)
    assert "文字" in (await harness.client.wait_for_bot_message(9201))["text"]
    assert "300" in (await harness.say(9201, "因" * 301))["text"]
    assert "已退出岗位" in (await harness.say(9201, "工作调动"))["text"]
    await full.refresh_from_db()
    assert (full.left_at is not None, full.leave_reason) == (True, "工作调动")
    # Leaving again with the old button: stale; another member's claim: stale.
    data = PostCallback(action=PostAction.LEAVE, item_id=full.id).pack()
    assert "按钮" in (await forge(harness, 9201, data))["text"]
    assert "按钮" in (await forge(harness, 9202, data))["text"]


async def test_posts_need_a_confirmed_report(harness, org):
    await in_service(harness, org, 9211, "冯涛")
    await open_community(harness, 9211)
    assert not (await forge(harness, 9211, "c:p"))["text"]
    assert "确认" in (await screen(harness, 9211))["text"]


# --------------------------------------------------------------------------- activities


async def test_sign_up_waitlist_cancel_promote_and_check_in(harness, org):
    scope = await factories.scope_of(org.nanyuan)
    first = await in_service(harness, org, 9301, "陈一")
    second = await in_service(harness, org, 9302, "陈二")
    activity = await factories.activity(scope, org.nanyuan, starts_at=later(minutes=20), capacity=1,
                                        title="周四义诊")

    await open_community(harness, 9301)
    await tap(harness, 9301, "近期活动")
    assert "周四义诊" in (await screen(harness, 9301))["text"]
    await tap(harness, 9301, "周四义诊")
    view = await screen(harness, 9301)
    answers = await double_tap(harness, 9301, view, "报名")
    assert sorted(answers) == ["您已经报名了该活动。", "报名成功，活动见！"]
    assert await SignUp.filter(activity_id=activity.id, member_id=first.id).count() == 1

    await open_community(harness, 9302)
    await tap(harness, 9302, "近期活动")
    await tap(harness, 9302, "周四义诊")
    answer = await tap(harness, 9302, "✋ 报名")
    assert "候补名单第1位" in answer["text"]
    assert "候补第1位" in (await screen(harness, 9302))["text"]

    answer = await tap(harness, 9301, "取消报名")
    assert "已取消报名" in answer["text"]
    promoted = await SignUp.get(activity_id=activity.id, member_id=second.id)
    assert promoted.status == SignUpStatus.REGISTERED
    assert await OutboxMessage.filter(kind="activity.promoted").count() == 1
    await deliver(harness)
    assert "有名额空出" in (await screen(harness, 9302))["text"]

    # Check in with the code: wrong code, sticker, then the right one. The title (typed by a
    # secretary) is shown literally, not read as HTML.
    await Activity.filter(id=activity.id).update(title="周四义诊<量血压>")
    await tap(harness, 9302, "查看活动")
    activity_screen = (await screen(harness, 9302))["message_id"]
    await tap(harness, 9302, "签到")
    assert inline_buttons(await harness.client.message(9302, activity_screen)) == []
    assert "“周四义诊<量血压>”" in message_content(await screen(harness, 9302))
    await harness.client.send_sticker(9302)
    assert "文字" in (await harness.client.wait_for_bot_message(9302))["text"]
    assert "签到码" in (await harness.say(9302, "000000" if activity.checkin_code != "000000" else "111111"))["text"]
    checked_in = (await harness.say(9302, activity.checkin_code))["text"]
    assert "签到成功" in checked_in and "今年已获 1 张积分卡；12 月 31 日前再获 6 张即可获得奉献奖" in checked_in
    assert (await SignUp.get(id=promoted.id)).status == SignUpStatus.ATTENDED
    assert await PointCard.filter(member_id=second.id).count() == 1
    assert not await OutboxMessage.filter(kind="card.recorded").exists()  # told in the answer


async def test_check_in_is_offered_in_its_hours_and_the_screen_says_when(harness, org):
    """Days ahead, a 📍 Check in button only led to "check-in is open from …" after the member
    had typed a code: now the screen says when, and the button comes with the hours."""
    scope = await factories.scope_of(org.nanyuan)
    await in_service(harness, org, 9331, "钱早")
    activity = await factories.activity(scope, org.nanyuan, starts_at=later(days=2), title="后天义诊")
    await open_community(harness, 9331)
    await tap(harness, 9331, "近期活动")
    await tap(harness, 9331, "后天义诊")
    await tap(harness, 9331, "✋ 报名")
    view = await screen(harness, 9331)
    hours = checkin_hours(activity)
    assert f"签到时间为 {hours['opens']} 至 {hours['closes']}" in view["text"]
    assert not any("签到" in label for label in buttons(view))
    answer = await forge(harness, 9331, ActivityCallback(action=ActivityAction.CHECK_IN,
                                                         activity_id=activity.id).pack())
    assert answer["show_alert"] and hours["opens"] in answer["text"]

    # From 30 minutes before the start: the button, and no hours line.
    await Activity.filter(id=activity.id).update(starts_at=later(minutes=20), ends_at=later(hours=2))
    await tap(harness, 9331, "近期活动")
    await tap(harness, 9331, "后天义诊")
    view = await screen(harness, 9331)
    assert "签到时间为" not in view["text"] and any("签到" in label for label in buttons(view))
    # The forged tap before started nothing: a code typed now is not taken as a check-in.
    assert "没有看懂" in (await harness.say(9331, activity.checkin_code))["text"]


async def test_activity_buttons_refuse_foreign_cancelled_and_started(harness, org):
    member = await in_service(harness, org, 9311, "林三")
    nanyuan = await factories.scope_of(org.nanyuan)
    xinfeng = await factories.scope_of(org.xinfeng, "xf")
    foreign = await factories.activity(xinfeng, org.xinfeng, starts_at=later(days=1))
    cancelled = await factories.activity(nanyuan, org.nanyuan, starts_at=later(days=1), title="取消的")
    await cancel_activity(cancelled, Actor(admin=nanyuan.user), "下雨", scope=nanyuan)
    started = await factories.activity(nanyuan, org.nanyuan, starts_at=later(minutes=-10),
                                       now=later(days=-1), title="已开始")
    await open_community(harness, 9311)

    def data(action, activity):
        return ActivityCallback(action=action, activity_id=activity.id).pack()

    assert "按钮" in (await forge(harness, 9311, data(ActivityAction.SIGN_UP, foreign)))["text"]
    assert "按钮" in (await forge(harness, 9311, data(ActivityAction.VIEW, foreign)))["text"]
    assert "按钮" in (await forge(harness, 9311, "ca:s:99999"))["text"]
    assert "已取消" in (await forge(harness, 9311, data(ActivityAction.SIGN_UP, cancelled)))["text"]
    assert "已经开始" in (await forge(harness, 9311, data(ActivityAction.SIGN_UP, started)))["text"]
    # Cancelling or checking in without a sign-up: stale.
    assert "按钮" in (await forge(harness, 9311, data(ActivityAction.CANCEL, started)))["text"]
    assert "按钮" in (await forge(harness, 9311, data(ActivityAction.CHECK_IN, started)))["text"]
    assert not await SignUp.filter(member_id=member.id).exists()


async def test_reminder_buttons(harness, org):
    scope = await factories.scope_of(org.nanyuan)
    coming = await in_service(harness, org, 9321, "赵来")
    absent = await in_service(harness, org, 9322, "赵缺")
    waiting = await in_service(harness, org, 9323, "赵等")
    activity = await factories.activity(scope, org.nanyuan, starts_at=later(days=3), capacity=2)
    for user_id in (9321, 9322, 9323):
        await open_community(harness, user_id)
        await tap(harness, user_id, "近期活动")
        await tap(harness, user_id, "周四义诊")
        await tap(harness, user_id, "✋ 报名")

    now = activity.starts_at - timedelta(hours=1)
    assert await send_activity_reminders(now) == 2
    assert await send_activity_reminders(now) == 0  # a second run queues nothing
    await deliver(harness)
    reminder = await screen(harness, 9321)
    assert "提醒" in reminder["text"] and "周四义诊" in reminder["text"]
    assert "活动见" in (await tap(harness, 9321, "我会准时参加"))["text"]
    assert "已取消报名" in (await tap(harness, 9322, "我去不了"))["text"]
    statuses = {s.member_id: s.status for s in await SignUp.filter(activity_id=activity.id)}
    assert statuses == {coming.id: SignUpStatus.REGISTERED, absent.id: SignUpStatus.CANCELLED,
                        waiting.id: SignUpStatus.REGISTERED}
    assert await OutboxMessage.filter(kind="activity.promoted").count() == 1
    # The tapped-away reminder's button is stale now.
    assert "按钮" in (await forge(harness, 9322, ActivityCallback(
        action=ActivityAction.NOT_COMING, activity_id=activity.id).pack()))["text"]


# --------------------------------------------------------------------------- teams


async def test_join_a_team_and_the_leader_decides(harness, org):
    scope = await factories.scope_of(org.nanyuan)
    leader = await in_service(harness, org, 9401, "队长甲")
    joiner = await in_service(harness, org, 9402, "队员乙")
    outsider = await bound_member(harness, org.xinfeng_1, 9403, "新风丙", residence_community=org.xinfeng.id)
    team = await factories.team(org.nanyuan, scope, leader=leader)

    await open_community(harness, 9402)
    await tap(harness, 9402, "志愿服务队")
    await tap(harness, 9402, "义诊服务队")
    assert "已发送给队长" in (await tap(harness, 9402, "申请加入"))["text"]
    assert "已申请加入" in (await forge(harness, 9402, f"ct:j:{team.id}"))["text"]  # a second tap
    assert await TeamMembership.filter(member_id=joiner.id).count() == 1
    await deliver(harness)
    assert "申请加入" in (await screen(harness, 9401))["text"]

    # Someone of another community cannot see or join the team; a non-leader cannot decide.
    assert "按钮" in (await forge(harness, 9403, f"ct:j:{team.id}"))["text"]
    request = await TeamMembership.get(member_id=joiner.id)
    assert "按钮" in (await forge(harness, 9402, JoinDecision(membership_id=request.id, approve=True).pack()))["text"]
    assert not await TeamMembership.filter(member_id=outsider.id).exists()

    await tap(harness, 9401, "入队申请")
    assert "队员乙" in (await screen(harness, 9401))["text"]
    assert "已同意" in (await tap(harness, 9401, "✅ 队员乙"))["text"]
    assert (await TeamMembership.get(id=request.id)).status == MembershipStatus.ACTIVE
    await deliver(harness)
    assert "已成为" in (await screen(harness, 9402))["text"]

    await open_community(harness, 9402)
    await tap(harness, 9402, "志愿服务队")
    await tap(harness, 9402, "义诊服务队")
    assert "已退出" in (await tap(harness, 9402, "退出服务队"))["text"]
    assert (await TeamMembership.get(id=request.id)).status == MembershipStatus.LEFT


async def test_community_buttons_are_for_members(harness, org):
    await harness.client.user(9501, "居民", started=True)
    await harness.say(9501, "/menu")
    assert "邀请" in (await forge(harness, 9501, "m:cs"))["text"]
    assert "邀请" in (await forge(harness, 9501, "ca:s:1"))["text"]
    assert message_content(await screen(harness, 9501))


async def test_leader_records_attendance(harness, org):
    scope = await factories.scope_of(org.nanyuan)
    leader = await in_service(harness, org, 9601, "队长丁")
    volunteer = await in_service(harness, org, 9602, "队员戊")
    await in_service(harness, org, 9603, "邻居己")  # same community, not in the team
    team = await factories.team(org.nanyuan, scope, leader=leader)
    await factories.team_member(team, volunteer, scope)
    soon = await factories.activity(scope, org.nanyuan, team=team, starts_at=later(minutes=20), title="义诊今天")
    later_one = await factories.activity(scope, org.nanyuan, team=team, starts_at=later(days=2), title="义诊下周")

    await open_community(harness, 9602)
    await tap(harness, 9602, "近期活动")
    await tap(harness, 9602, "义诊今天")
    await tap(harness, 9602, "✋ 报名")
    signup = await SignUp.get(activity_id=soon.id, member_id=volunteer.id)
    early = await SignUp.create(activity_id=later_one.id, member_id=volunteer.id,
                                status=SignUpStatus.REGISTERED, active_key=f"{later_one.id}:{volunteer.id}")
    # The team's activity is not open to the community; the volunteer sees no roster button.
    assert "按钮" in (await forge(harness, 9603, ActivityCallback(
        action=ActivityAction.SIGN_UP, activity_id=soon.id).pack()))["text"]
    assert not any("出勤" in b for b in buttons(await screen(harness, 9602)))
    assert "按钮" in (await forge(harness, 9602, ActivityCallback(
        action=ActivityAction.ROSTER, activity_id=soon.id).pack()))["text"]
    assert "按钮" in (await forge(harness, 9602, f"cm:{signup.id}:attended"))["text"]
    assert "按钮" in (await forge(harness, 9602, f"ct:a:{team.id}"))["text"]

    await open_community(harness, 9601)
    await tap(harness, 9601, "志愿服务队")
    await tap(harness, 9601, "义诊服务队")
    assert "您：队长" in (await screen(harness, 9601))["text"]
    await tap(harness, 9601, "服务队活动")
    await tap(harness, 9601, "义诊下周")  # in two days: no attendance buttons yet, and why
    roster = await screen(harness, 9601)
    assert "30 分钟" in roster["text"] and not any("出勤" in b for b in buttons(roster))
    await tap(harness, 9601, "服务队活动")
    await tap(harness, 9601, "义诊今天")
    assert "队员戊" in (await screen(harness, 9601))["text"]
    assert "已记录" in (await tap(harness, 9601, "1 ✅ 出勤"))["text"]
    assert (await SignUp.get(id=signup.id)).status == SignUpStatus.ATTENDED
    assert await PointCard.filter(member_id=volunteer.id).count() == 1
    await deliver(harness)
    told = message_content(await screen(harness, 9602))
    assert "您获得了一张奉献积分卡" in told and "参加活动：义诊今天" in told and "今年已获 1 张积分卡" in told
    refused = await tap(harness, 9601, "1 ❌ 缺席")  # attended is final
    assert refused["show_alert"] and (await SignUp.get(id=signup.id)).status == SignUpStatus.ATTENDED
    assert "30" in (await forge(harness, 9601, f"cm:{early.id}:no_show"))["text"]  # too early
    assert (await SignUp.get(id=early.id)).status == SignUpStatus.REGISTERED


async def test_link_a_team_group(harness, org):
    from models.teams import Team

    scope = await factories.scope_of(org.nanyuan)
    leader = await in_service(harness, org, 9701, "队长庚")
    await in_service(harness, org, 9702, "队员辛")
    team = await factories.team(org.nanyuan, scope, leader=leader)
    group = await harness.client.create_group("义诊群", member_ids=[9701, 9702, 9703], with_bot=True,
                                              by_user_id=9701)
    chat_id = group["id"]

    async def say_in_group(user_id: int, text: str) -> dict:
        sent = await harness.client.send_text(user_id, text, chat_id=chat_id)
        return await harness.client.wait_for_bot_message(chat_id, after_message_id=sent)

    assert "队长" in (await say_in_group(9702, "/link"))["text"]  # not a leader
    assert "邀请" in (await say_in_group(9703, "/link"))["text"]  # not a member
    assert (await Team.get(id=team.id)).group_chat_id is None
    assert "已绑定义诊服务队" in (await say_in_group(9701, "/link"))["text"]
    assert (await Team.get(id=team.id)).group_chat_id == chat_id
    # Other text in the group gets no answer: the private routers ignore groups.
    sent = await harness.client.send_text(9702, "/menu", chat_id=chat_id)
    assert "已绑定" in (await say_in_group(9701, "/link"))["text"]  # answered after /menu was ignored
    assert not any("菜单" in message_content(m) for m in await harness.client.transcript(chat_id)
                   if m["from_bot"] and m["message_id"] > sent)

    await harness.client.remove_bot_from_group(chat_id, 9701)
    for _ in range(50):
        if (await Team.get(id=team.id)).group_chat_id is None:
            break
        await asyncio.sleep(0.05)
    assert (await Team.get(id=team.id)).group_chat_id is None
