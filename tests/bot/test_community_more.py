"""Community service in the bot, continued: withdrawing a report, and paged lists."""

from __future__ import annotations

from models.audit import Actor
from models.clock import local_now
from models.posts import PostClaim, ServicePost, claim_post, create_post
from models.registration import Registration, RegistrationStatus, register
from tests import factories
from tests.bot.test_community_flow import confirmed, in_service, later, open_community
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


# --------------------------------------------------------------------------- paged lists


async def test_posts_are_paged_and_a_stale_page_shows_the_nearest(harness, org):
    member, scope = await confirmed(harness, org, 9831, "孙一")
    for number in range(1, 11):
        await create_post(scope, org.nanyuan, name=f"岗位{number:02d}")
    await open_community(harness, 9831)
    await tap(harness, 9831, "服务岗位")
    first = await screen(harness, 9831)
    claims = [b for b in buttons(first) if b.startswith("认领")]
    assert len(claims) == 8 and "下一页 ▶️" in buttons(first) and "第 1 页，共 2 页" in first["text"]
    await tap(harness, 9831, "下一页")
    second = await screen(harness, 9831)
    assert [b for b in buttons(second) if b.startswith("认领")] == ["认领：岗位09", "认领：岗位10"]
    assert "◀️ 上一页" in buttons(second) and "第 2 页，共 2 页" in second["text"]
    await tap(harness, 9831, "认领：岗位10")  # the list stays on its page
    after = await screen(harness, 9831)
    assert "岗位10 ✅" in after["text"] and "第 2 页" in after["text"]
    assert await PostClaim.filter(member_id=member.id).count() == 1

    # A stale page (the list shrank, or a forged number) shows the nearest page that exists.
    await forge(harness, 9831, "cq:p:0:0")
    assert "第 1 页，共 2 页" in (await screen(harness, 9831))["text"]
    await forge(harness, 9831, "cq:p:7:0")
    assert "第 2 页，共 2 页" in (await screen(harness, 9831))["text"]
    await forge(harness, 9831, "cq:p:-3:0")
    assert "第 1 页，共 2 页" in (await screen(harness, 9831))["text"]
    assert "按钮" in (await forge(harness, 9831, "cq:p:x:0"))["text"]  # not a page number at all


async def test_upcoming_activities_and_teams_are_paged(harness, org):
    scope = await factories.scope_of(org.nanyuan)
    await in_service(harness, org, 9841, "孙二")
    for number in range(1, 10):
        await factories.activity(scope, org.nanyuan, starts_at=later(days=number), title=f"活动{number}")
        await factories.team(org.nanyuan, scope, name=f"服务队{number}")
    await open_community(harness, 9841)
    await tap(harness, 9841, "近期活动")
    first = await screen(harness, 9841)
    assert "活动1" in first["text"] and "活动9" not in first["text"] and "下一页 ▶️" in buttons(first)
    await tap(harness, 9841, "下一页")
    second = await screen(harness, 9841)
    assert "活动9" in second["text"] and "活动1\n" not in second["text"] and any("活动9" in b for b in buttons(second))
    await tap(harness, 9841, "活动9")
    assert "活动9" in (await screen(harness, 9841))["text"]

    await open_community(harness, 9841)
    await tap(harness, 9841, "志愿服务队")
    teams = buttons(await screen(harness, 9841))
    assert len([b for b in teams if b.startswith("服务队")]) == 8
    await tap(harness, 9841, "下一页")
    assert "服务队9" in buttons(await screen(harness, 9841))
    await forge(harness, 9841, "cq:t:0:0")
    assert "服务队9" not in buttons(await screen(harness, 9841))
    await forge(harness, 9841, "cq:t:99:0")
    assert "服务队9" in buttons(await screen(harness, 9841))


async def test_the_roster_is_paged_for_the_leader_only(harness, org):
    from models.signups import sign_up

    scope = await factories.scope_of(org.nanyuan)
    leader = await in_service(harness, org, 9851, "队长孙")
    volunteer = await in_service(harness, org, 9852, "队员孙")
    team = await factories.team(org.nanyuan, scope, leader=leader)
    activity = await factories.activity(scope, org.nanyuan, team=team, starts_at=later(minutes=20),
                                        capacity=None, title="大扫除")  # attendance open
    for number in range(1, 13):
        member = await factories.member(org.nanyuan_1, f"志愿者{number:02d}")
        await factories.team_member(team, member, scope)
        await sign_up(activity, member)
    await open_community(harness, 9851)
    await tap(harness, 9851, "志愿服务队")
    await tap(harness, 9851, "义诊服务队")
    await tap(harness, 9851, "服务队活动")
    await tap(harness, 9851, "大扫除")
    first = await screen(harness, 9851)
    assert "10. 志愿者10" in first["text"] and "志愿者11" not in first["text"]
    await tap(harness, 9851, "下一页")
    second = await screen(harness, 9851)
    assert "11. 志愿者11" in second["text"] and "12 ✅" in " ".join(buttons(second))
    # A member who does not lead the team cannot page through its roster.
    await open_community(harness, 9852)
    assert "按钮" in (await forge(harness, 9852, f"cq:r:1:{activity.id}"))["text"]
    assert "按钮" in (await forge(harness, 9852, f"cq:ta:0:{team.id}"))["text"]
    assert volunteer.id


async def test_a_closed_team_shows_no_join_button_and_refuses_a_forged_one(harness, org):
    from models.teams import Team, TeamMembership

    scope = await factories.scope_of(org.nanyuan)
    member = await in_service(harness, org, 9861, "周闭")
    team = await factories.team(org.nanyuan, scope)
    await Team.filter(id=team.id).update(is_open=False)
    await open_community(harness, 9861)
    await tap(harness, 9861, "志愿服务队")
    await tap(harness, 9861, "义诊服务队")
    view = await screen(harness, 9861)
    assert "暂不接受" in view["text"] and not any("申请加入" in b for b in buttons(view))
    assert "暂不接受" in (await forge(harness, 9861, f"ct:j:{team.id}"))["text"]
    assert not await TeamMembership.filter(member_id=member.id).exists()


async def test_activities_of_one_title_have_buttons_that_say_their_day(harness, org):
    """A weekly clinic's occurrences share a title: each button says its day and time, and
    opens that occurrence."""
    scope = await factories.scope_of(org.nanyuan)
    await in_service(harness, org, 9851, "孙三")
    first = await factories.activity(scope, org.nanyuan, starts_at=later(days=1), title="周四义诊")
    second = await factories.activity(scope, org.nanyuan, starts_at=later(days=8), title="周四义诊")
    await open_community(harness, 9851)
    await tap(harness, 9851, "近期活动")
    labels = [f"{local_now(a.starts_at):%m-%d %H:%M} 周四义诊" for a in (first, second)]
    assert [b for b in buttons(await screen(harness, 9851)) if "周四义诊" in b] == labels
    await tap(harness, 9851, labels[1])
    starts = local_now(second.starts_at)
    day = "星期" + "一二三四五六日"[starts.weekday()]  # the day of the week, for older members
    assert f"{starts:%Y-%m-%d} {day} {starts:%H:%M}–" in (await screen(harness, 9851))["text"]
