"""A team leader's notice to the team, through the sandbox: members get it in private (after the
real delivery worker drains the outbox), the linked group gets it without names; non-leaders,
bad input, a leader stepped down meanwhile and a double tap on "Send" are handled."""

from __future__ import annotations

from bot.callbacks import TeamAction, TeamCallback
from bot.sandbox.client import inline_buttons, message_content
from models.audit import AuditEntry
from models.outbox import OutboxMessage
from models.teams import TeamMembership, demote_leader, link_group
from tests import factories
from tests.bot.test_community_flow import in_service, open_community
from tests.bot.test_community_journey import bot_texts, deliver
from tests.bot.test_wishes_flow import buttons, double_tap, forge, screen, tap

LEADER, FIRST, SECOND, NEIGHBOUR = 9951, 9952, 9953, 9954


async def team_with_members(harness, org):
    scope = await factories.scope_of(org.nanyuan)
    leader = await in_service(harness, org, LEADER, "张队长")
    team = await factories.team(org.nanyuan, scope, leader=leader)
    for user_id, name in ((FIRST, "李队员"), (SECOND, "王队员")):
        await factories.team_member(team, await in_service(harness, org, user_id, name), scope)
    await in_service(harness, org, NEIGHBOUR, "赵邻居")  # same community, not in the team
    return team, leader, scope


async def open_notice(harness, user_id: int = LEADER) -> dict:
    await open_community(harness, user_id)
    await tap(harness, user_id, "志愿服务队")
    await tap(harness, user_id, "义诊服务队")
    await tap(harness, user_id, "全队通知")
    return await screen(harness, user_id)


async def notices_in(harness, chat_id: int) -> list[str]:
    return [text for text in await bot_texts(harness, chat_id) if "📢" in text]


async def test_leader_sends_a_notice_to_members_and_the_group(harness, org):
    team, leader, scope = await team_with_members(harness, org)
    unlinked = await factories.in_service_member(org.nanyuan_1, "孙未绑", residence_community=org.nanyuan.id)
    await factories.team_member(team, unlinked, scope)  # in the team, no Telegram account
    group = (await harness.client.create_group("义诊群", member_ids=[LEADER, FIRST], with_bot=True,
                                               by_user_id=LEADER))["id"]
    await link_group(team, group, leader)

    ask = await open_notice(harness)
    assert "500" in ask["text"] and "3 名队员" in ask["text"] and "群" in ask["text"]
    team_screen = await harness.client.message(LEADER, ask["message_id"] - 1)  # asked below it
    assert "义诊服务队" in team_screen["text"] and inline_buttons(team_screen) == []
    preview = await harness.say(LEADER, "<b>明天</b>早上8点在社区门口集合")
    assert "<b>明天</b>早上8点在社区门口集合" in preview["text"]  # escaped, so shown as written
    assert "发送" in " ".join(buttons(preview))
    assert "已发送" in (await tap(harness, LEADER, "发送"))["text"]
    done = await screen(harness, LEADER)
    assert "已发送给 2 名队员" in done["text"] and "群" in done["text"] and "1 名队员" in done["text"]

    await deliver(harness)
    for user_id in (FIRST, SECOND):
        [notice] = await notices_in(harness, user_id)
        assert "张队长" in notice and "义诊服务队" in notice
        assert "<b>明天</b>早上8点在社区门口集合" in notice
    assert not await notices_in(harness, NEIGHBOUR)
    assert "张队长" not in "".join(await notices_in(harness, LEADER))  # the leader gets no copy
    [in_group] = await notices_in(harness, group)
    assert "义诊服务队" in in_group and "早上8点在社区门口集合" in in_group
    for name in ("张队长", "李队员", "王队员", "孙未绑"):  # no personal data in the group
        assert name not in in_group
    entry = await AuditEntry.get(action="team.notice")
    assert entry.actor_member_id == leader.id and entry.object_id == str(team.id)
    assert entry.after == {"text": "<b>明天</b>早上8点在社区门口集合"}


async def test_non_leaders_cannot_send_notices(harness, org):
    team, _leader, _scope = await team_with_members(harness, org)
    await open_community(harness, FIRST)
    await tap(harness, FIRST, "志愿服务队")
    await tap(harness, FIRST, "义诊服务队")
    assert not any("全队通知" in b for b in buttons(await screen(harness, FIRST)))
    start = TeamCallback(action=TeamAction.NOTICE, team_id=team.id).pack()
    send = TeamCallback(action=TeamAction.NOTICE_SEND, team_id=team.id).pack()
    for user_id in (FIRST, NEIGHBOUR):
        answer = await forge(harness, user_id, start)
        assert answer["show_alert"] and "按钮" in answer["text"]
        answer = await forge(harness, user_id, send)
        assert answer["show_alert"] and "已发出或已取消" in answer["text"]
    assert "按钮" in (await forge(harness, LEADER, f"ct:n:{team.id + 100}"))["text"]  # no such team
    # The member's text afterwards is not taken as a notice.
    assert "没有看懂" in (await harness.say(FIRST, "大家好"))["text"]
    assert not await OutboxMessage.filter(kind__startswith="team.").exclude(kind="team.join_requested").exists()
    assert not await AuditEntry.filter(action="team.notice").exists()


async def test_only_text_within_the_limit_and_a_stepped_down_leader_sends_nothing(harness, org):
    team, leader, scope = await team_with_members(harness, org)
    await open_notice(harness)
    await harness.client.send_photo(LEADER)
    assert "文字" in (await harness.client.wait_for_bot_message(LEADER))["text"]
    await harness.client.send_sticker(LEADER)
    assert "文字" in (await harness.client.wait_for_bot_message(LEADER))["text"]
    assert "500" in (await harness.say(LEADER, "长" * 501))["text"]
    assert "请填写" in (await harness.say(LEADER, "\u3164"))["text"]  # looks blank
    first = await harness.say(LEADER, "字" * 500)  # the limit itself is fine
    assert "预览" in first["text"]
    # Writing again replaces the notice: the first preview's "Send" no longer sends.
    second = await harness.say(LEADER, "改成周五集合")
    assert "改成周五集合" in second["text"]
    shown = {m["message_id"]: m for m in await harness.client.bot_messages(LEADER)}
    assert buttons(shown[first["message_id"]]) == [] and "发送" in " ".join(buttons(shown[second["message_id"]]))
    stale = await double_tap(harness, LEADER, first, "发送")
    assert all("已发出或已取消" in text for text in stale)

    membership = await TeamMembership.get(team_id=team.id, member_id=leader.id)
    await demote_leader(membership, scope)  # in the panel, while the preview waits
    answer = await tap(harness, LEADER, "发送")
    assert answer["show_alert"] and "按钮" in answer["text"]
    assert not await OutboxMessage.filter(kind="team.notice").exists()
    assert not await AuditEntry.filter(action="team.notice").exists()
    # The leader's next text is no longer taken as a notice either.
    assert "没有看懂" in (await harness.say(LEADER, "还在吗"))["text"]


async def test_cancel_and_a_double_tap_on_send_sends_once(harness, org):
    team, _leader, _scope = await team_with_members(harness, org)
    await open_notice(harness)
    cancelled = await harness.say(LEADER, "不发了")
    await tap(harness, LEADER, "取消")
    assert "已取消" in (await screen(harness, LEADER))["text"]
    answer = await forge(harness, LEADER, TeamCallback(action=TeamAction.NOTICE_SEND, team_id=team.id).pack())
    assert answer["show_alert"] and "已发出或已取消" in answer["text"]
    assert "发送" in " ".join(buttons(cancelled))
    assert not await OutboxMessage.filter(kind="team.notice").exists()

    await open_notice(harness)
    preview = await harness.say(LEADER, "周六上午义诊，请准时到")
    answers = await double_tap(harness, LEADER, preview, "发送")
    assert sorted("已发出或已取消" in text for text in answers) == [False, True]
    assert any(text.startswith("已发送") for text in answers)
    await deliver(harness)
    for user_id in (FIRST, SECOND):
        assert len(await notices_in(harness, user_id)) == 1
    assert await OutboxMessage.filter(kind="team.notice").count() == 2
    assert await AuditEntry.filter(action="team.notice").count() == 1
    assert len([m for m in await harness.client.transcript(LEADER)
                if m["from_bot"] and "已发送给 2 名队员" in message_content(m)]) == 1
