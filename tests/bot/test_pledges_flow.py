"""Public pledges through the sandbox: writing, review round trips, keeping, every refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot import notify_pledges
from bot.callbacks import PledgeAction, PledgeCallback
from bot.delivery import DeliveryWorker
from bot.pledge_texts import current_year
from bot.sandbox.client import inline_buttons, message_content
from models import pledges
from models.admins import Role
from models.audit import Actor, AuditEntry
from models.invites import redeem_invite
from models.members import Member, TelegramUser
from models.outbox import OutboxMessage
from models.pledges import (
    MAX_ITEMS,
    ItemKind,
    Pledge,
    PledgeItem,
    PledgeProgress,
    PledgeStatus,
    add_item,
    approve,
    example_target_date,
    pledge_for,
    publish,
    return_for_revision,
    submit,
)
from models.scope import Scope
from tests import factories

YEAR = current_year()
GUIDANCE = "请把<实事承诺>写具体 & 写明时间"


# --------------------------------------------------------------------------- helpers


def buttons(message: dict) -> list[str]:
    return [button["text"] for button in inline_buttons(message)]


def button_data(message: dict, text: str) -> str:
    return next(b["callback_data"] for b in inline_buttons(message) if text in b["text"])


async def tap(harness, user_id: int, text: str) -> dict:
    """Press the newest button containing ``text``; returns the answer, given once the handler is done."""
    return await harness.client.callback_answer(await harness.client.press_button(user_id, text))


async def forge(harness, user_id: int, data: str) -> dict:
    """Press a button that is not (or no longer) on any keyboard of the user's chat."""
    latest = await harness.client.last_bot_message(user_id)
    return await harness.client.callback_answer(
        await harness.client.press(user_id, latest["message_id"] if latest else 1, data, forge=True)
    )


async def press(harness, user_id: int, message: dict, data: str) -> str:
    """Press ``data`` on ``message`` even if the keyboard has changed since (a quick second tap)."""
    return await harness.client.press(user_id, message["message_id"], data, forge=True)


async def screen(harness, user_id: int) -> dict:
    return await harness.client.last_bot_message(user_id)


async def send(harness, user_id: int, text: str) -> dict:
    return await harness.say(user_id, text)


async def reply_to(harness, user_id: int, message_id: int) -> str:
    return message_content(await harness.client.wait_for_bot_message(user_id, after_message_id=message_id))


async def bound_member(
    harness, branch, user_id: int, name: str = "潘明顺", language_code: str | None = None, **values,
) -> Member:
    """A member whose Telegram account is linked, as /start with an invitation does it."""
    member = await factories.member(branch, name=name, **values)
    tg_user = await TelegramUser.create(id=user_id, first_name=name, language_code=language_code)
    await harness.client.user(user_id, name, started=True)
    await redeem_invite((await factories.invite(member)).code, tg_user)
    return member


async def open_pledge(harness, user_id: int) -> dict:
    await send(harness, user_id, "/menu")
    await tap(harness, user_id, "我的承诺")
    return await screen(harness, user_id)


async def secretary(org) -> Scope:
    return await Scope.of(await factories.admin("secretary", Role.BRANCH_SECRETARY, org.nanyuan_1))


async def submitted_pledge(member: Member, *texts: str) -> Pledge:
    me = Actor(member=member)
    pledge = await pledge_for(member, YEAR, me)
    for text in texts:
        await add_item(pledge, ItemKind.PRACTICAL, text, me)
    return await submit(pledge, me)


async def deliver(harness) -> None:
    await DeliveryWorker(harness.bot, worker_id="tests", per_chat_interval=0, idle_poll=0.05).drain()


async def submits(pledge: Pledge) -> int:
    return await AuditEntry.filter(action="pledge.submit", object_id=str(pledge.id)).count()


# --------------------------------------------------------------------------- writing


async def test_write_from_template_edit_delete_survive_restart_and_submit_once(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 9101, member_type="retired")
    intro = await open_pledge(harness, 9101)
    assert str(YEAR) in intro["text"] and "从模板开始" in " ".join(buttons(intro))
    assert not await Pledge.exists(member_id=member.id)  # looking creates nothing

    await tap(harness, 9101, "从模板开始")
    choice = await screen(harness, 9101)
    assert buttons(choice)[0].startswith("⭐") and "五个一" in buttons(choice)[0]  # own member type first
    await tap(harness, 9101, "五个一")
    preview = message_content(await screen(harness, 9101))
    assert "草稿" in preview and "1. 【政治承诺】当好联络员" in preview and "5. 【实事承诺】" in preview

    await tap(harness, 9101, "添加一条")
    await tap(harness, 9101, "实事承诺")
    await send(harness, 9101, "每周三帮<b>李奶奶</b>买菜 & 取药")
    date_prompt = await screen(harness, 9101)
    end_of_year = button_data(date_prompt, "年底前")
    taps = [await press(harness, 9101, date_prompt, end_of_year) for _ in range(2)]
    second = await harness.client.callback_answer(taps[1])
    assert "已经添加" in second["text"] or "按钮已失效" in second["text"]  # during the first tap, or after it
    preview = message_content(await harness.client.wait_for_edit(9101, date_prompt["message_id"]))
    assert "已添加" in preview and "6. 【实事承诺】每周三帮<b>李奶奶</b>买菜 & 取药" in preview  # shown literally
    assert f"{YEAR}-12-31" in preview and "7. " not in preview

    await tap(harness, 9101, "第 1 条")
    await tap(harness, 9101, "修改内容")
    assert "第 1 条已修改" in (await send(harness, 9101, "认真学习党的理论，按时参加组织生活"))["text"]
    await tap(harness, 9101, "第 2 条")
    await tap(harness, 9101, "删除")
    await tap(harness, 9101, "确认删除")
    assert "已删除" in message_content(await screen(harness, 9101))
    texts = await PledgeItem.filter(pledge__member_id=member.id).values_list("text", flat=True)
    assert len(texts) == 5 and texts[0] == "认真学习党的理论，按时参加组织生活"
    assert not any("管好一栋楼" in text for text in texts)

    await harness.restart_bot()  # memory FSM storage is gone; the draft is in the database
    preview = message_content(await open_pledge(harness, 9101))
    assert "认真学习党的理论" in preview and "<b>李奶奶</b>" in preview and "草稿" in preview

    await tap(harness, 9101, "提交审核")
    confirm = await screen(harness, 9101)
    data = button_data(confirm, "确认提交")
    first, second = [await press(harness, 9101, confirm, data) for _ in range(2)]
    answers = [await harness.client.callback_answer(query) for query in (first, second)]
    assert "已经提交" in answers[1]["text"]
    pledge = await Pledge.get(member_id=member.id)
    assert pledge.status == PledgeStatus.SUBMITTED and await submits(pledge) == 1
    assert "待审核" in message_content(await screen(harness, 9101))


async def test_in_december_next_years_pledge_is_written_beside_this_years(harness, org, monkeypatch):
    monkeypatch.setattr(pledges, "local_today", lambda: date(YEAR, 12, 1))
    member = await bound_member(harness, org.nanyuan_1, 9111)
    this_year = await open_pledge(harness, 9111)
    assert f"我的 {YEAR} 年承诺" in this_year["text"]
    await tap(harness, 9111, f"我的 {YEAR + 1} 年承诺 ➡️")
    next_year = await screen(harness, 9111)
    assert f"我的 {YEAR + 1} 年承诺" in next_year["text"] and "添加一条" in " ".join(buttons(next_year))
    assert f"⬅️ 我的 {YEAR} 年承诺" in buttons(next_year)
    assert not await Pledge.exists(member_id=member.id)  # looking creates nothing

    await tap(harness, 9111, "添加一条")
    await tap(harness, 9111, "实事承诺")
    await send(harness, 9111, "每月陪独居老人聊一次天")
    refused = (await send(harness, 9111, f"{YEAR}-12-20"))["text"]  # a day of this year
    assert f"{YEAR + 1} 年" in refused
    assert "已添加" in (await send(harness, 9111, f"{YEAR + 1}-06-30"))["text"]
    pledge = await Pledge.get(member_id=member.id)
    assert pledge.year == YEAR + 1 and pledge.status == PledgeStatus.DRAFT
    item = await PledgeItem.get(pledge=pledge)
    assert (item.text, item.target_date) == ("每月陪独居老人聊一次天", date(YEAR + 1, 6, 30))

    await tap(harness, 9111, f"⬅️ 我的 {YEAR} 年承诺")  # back to this year's, still unwritten
    back = await screen(harness, 9111)
    assert f"我的 {YEAR} 年承诺" in back["text"] and "从模板开始" in " ".join(buttons(back))
    assert f"我的 {YEAR + 1} 年承诺 ➡️" in buttons(back)
    assert await Pledge.filter(member_id=member.id).count() == 1


async def test_next_years_pledge_waits_for_december(harness, org, monkeypatch):
    monkeypatch.setattr(pledges, "local_today", lambda: date(YEAR, 11, 30))
    member = await bound_member(harness, org.nanyuan_1, 9112)
    intro = await open_pledge(harness, 9112)
    assert not any("➡️" in text or "⬅️ 我的" in text for text in buttons(intro))
    for action in (PledgeAction.OPEN, PledgeAction.ADD, PledgeAction.TEMPLATES):
        answer = await forge(harness, 9112, PledgeCallback(action=action, year=YEAR + 1).pack())
        assert answer["show_alert"] and "按钮已失效" in answer["text"], action
    assert not await Pledge.exists(member_id=member.id)


async def test_last_years_pledge_is_one_tap_away(harness, org, monkeypatch):
    monkeypatch.setattr(pledges, "local_today", lambda: date(YEAR, 3, 1))
    member = await bound_member(harness, org.nanyuan_1, 9113)
    me = Actor(member=member)
    await add_item(await pledge_for(member, YEAR - 1, me), ItemKind.DUTY, "去年的承诺：按时交纳党费", me)
    await pledge_for(member, YEAR - 3, me)
    intro = await open_pledge(harness, 9113)
    assert f"我的 {YEAR} 年承诺" in intro["text"] and f"⬅️ 我的 {YEAR - 1} 年承诺" in buttons(intro)
    await tap(harness, 9113, f"⬅️ 我的 {YEAR - 1} 年承诺")
    last_year = message_content(await screen(harness, 9113))
    assert f"我的 {YEAR - 1} 年承诺" in last_year and "去年的承诺：按时交纳党费" in last_year
    assert f"我的 {YEAR} 年承诺 ➡️" in buttons(await screen(harness, 9113))
    # Two years back has no pledge: the button leads past it, and a forged one is stale.
    assert f"⬅️ 我的 {YEAR - 3} 年承诺" in buttons(await screen(harness, 9113))
    assert not any(str(YEAR - 2) in text for text in buttons(await screen(harness, 9113)))
    answer = await forge(harness, 9113, PledgeCallback(action=PledgeAction.OPEN, year=YEAR - 2).pack())
    assert answer["show_alert"] and "按钮已失效" in answer["text"]


async def test_item_input_is_checked_and_the_step_kept(harness, org, monkeypatch):
    # Writing on 15 October: the end of June and of September have passed.
    monkeypatch.setattr(pledges, "local_today", lambda: date(YEAR, 10, 15))
    member = await bound_member(harness, org.nanyuan_1, 9201)
    await open_pledge(harness, 9201)
    await tap(harness, 9201, "添加一条")
    assert "按钮" in (await send(harness, 9201, "政治承诺"))["text"]  # a button step wants a button
    await tap(harness, 9201, "政治承诺")

    for send_other in (harness.client.send_sticker, harness.client.send_photo, harness.client.send_voice):
        assert "文字" in await reply_to(harness, 9201, await send_other(9201))
    assert "请填写" in (await send(harness, 9201, "\u3164"))["text"]  # looks blank
    assert "500" in (await send(harness, 9201, "长" * 501))["text"]
    question = (await send(harness, 9201, "字" * 500))["text"]  # the limit itself is fine
    assert "YYYY-MM-DD" in question and f"例如 {YEAR}-12-31" in question  # not a day past

    assert "YYYY-MM-DD" in (await send(harness, 9201, "下个月"))["text"]
    assert f"{YEAR} 年" in (await send(harness, 9201, f"{YEAR - 1}-09-30"))["text"]
    # A day already past is no target: the step says so and waits.
    refused = (await send(harness, 9201, f"{YEAR}-10-14"))["text"]
    assert f"{YEAR}-10-14 已经过去" in refused and f"{YEAR}-12-31" in refused
    assert await PledgeItem.filter(pledge__member_id=member.id).count() == 0
    assert "已添加" in (await send(harness, 9201, f"{YEAR}-10-15"))["text"]  # today will do
    item = await PledgeItem.get(pledge__member_id=member.id)
    assert (item.kind, len(item.text), item.target_date) == (ItemKind.POLITICAL, 500, date(YEAR, 10, 15))


def test_the_example_date_is_never_already_past():
    assert example_target_date(2026, date(2026, 3, 1)) == date(2026, 9, 30)
    assert example_target_date(2026, date(2026, 9, 30)) == date(2026, 9, 30)
    assert example_target_date(2026, date(2026, 10, 1)) == date(2026, 12, 31)


async def test_a_full_pledge_takes_no_more_items_and_still_fits_a_message(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 9301)
    pledge = await pledge_for(member, YEAR, Actor(member=member))
    for number in range(MAX_ITEMS):
        await add_item(pledge, ItemKind.DUTY, f"第{number}条" + "很长的承诺" * 99, Actor(member=member))

    preview = await open_pledge(harness, 9301)
    assert "12. 【履职承诺】" in preview["text"] and "…" in preview["text"]  # cut to fit Telegram's limit
    assert "添加一条" not in " ".join(buttons(preview))
    answer = await forge(harness, 9301, f"p:a:{YEAR}")
    assert answer["show_alert"] and "最多 12 条" in answer["text"]
    assert "没有看懂" in (await send(harness, 9301, "再加一条"))["text"]  # no step was started
    assert await PledgeItem.filter(pledge=pledge).count() == MAX_ITEMS

    await tap(harness, 9301, "第 12 条")
    item_page = await harness.client.wait_for_edit(9301, preview["message_id"], contains="第 12 条")
    assert "很长的承诺" * 99 in message_content(item_page)  # the item's own page shows it all


async def test_buttons_of_a_pledge_that_moved_on_change_nothing(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 9401)
    pledge = await pledge_for(member, YEAR, Actor(member=member))
    item = await add_item(pledge, ItemKind.DUTY, "按时交纳党费", Actor(member=member))
    old_screen = await open_pledge(harness, 9401)
    await submit(pledge, Actor(member=member))

    answer = await harness.client.callback_answer(
        await press(harness, 9401, old_screen, button_data(old_screen, "添加一条")))
    assert answer["show_alert"] and "不能再修改" in answer["text"]
    assert "待审核" in message_content(await harness.client.message(9401, old_screen["message_id"]))
    for data in (f"p:t:{YEAR}", f"p:s:{YEAR}", f"pi:e:{item.id}", f"pi:d:{item.id}", f"pi:dy:{item.id}"):
        answer = await forge(harness, 9401, data)
        assert answer["show_alert"] and "不能再修改" in answer["text"], data
    assert "已经提交" in (await forge(harness, 9401, f"p:sy:{YEAR}"))["text"]
    assert "没有看懂" in (await send(harness, 9401, "改一下"))["text"]  # no step was started

    other = await bound_member(harness, org.nanyuan_1, 9402, "赵志红")
    theirs = await add_item(
        await pledge_for(other, YEAR, Actor(member=other)), ItemKind.DUTY, "别人的", Actor(member=other))
    for data in (f"pi:o:{theirs.id}", f"pi:e:{theirs.id}", f"pi:dy:{theirs.id}",
                 "pk:duty", "pd:dec", "pt:general"):
        answer = await forge(harness, 9401, data)
        assert answer["show_alert"] and "按钮已失效" in answer["text"], data
    assert await PledgeItem.filter(id__in=[item.id, theirs.id]).count() == 2
    assert await submits(pledge) == 1

    await send(harness, 9403, "/start")  # not linked to a member
    for data in ("m:pledge", f"p:a:{YEAR}", f"pi:o:{item.id}"):
        answer = await forge(harness, 9403, data)
        assert answer["show_alert"] and "绑定" in answer["text"], data


async def test_cancel_leaves_any_step_and_keeps_the_draft(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 9501)
    pledge = await pledge_for(member, YEAR, Actor(member=member))
    await add_item(pledge, ItemKind.DUTY, "按时交纳党费", Actor(member=member))

    await open_pledge(harness, 9501)
    await tap(harness, 9501, "添加一条")
    await tap(harness, 9501, "实事承诺")
    cancelled = (await send(harness, 9501, "/cancel"))["text"]
    assert "已取消" in cancelled and "按时交纳党费" in cancelled
    assert "没有看懂" in (await send(harness, 9501, "帮邻居修车"))["text"]

    await open_pledge(harness, 9501)
    await tap(harness, 9501, "第 1 条")
    await tap(harness, 9501, "修改内容")
    await tap(harness, 9501, "取消")
    assert "已取消" in message_content(await screen(harness, 9501))
    assert "没有可以取消" in (await send(harness, 9501, "/cancel"))["text"]
    assert await PledgeItem.filter(pledge=pledge).values_list("text", flat=True) == ["按时交纳党费"]

    await open_pledge(harness, 9501)
    await tap(harness, 9501, "保存草稿")
    assert "草稿已保存" in message_content(await screen(harness, 9501))


async def test_a_proxy_entered_pledge_says_so(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 9601, can_write=False)
    scope = await secretary(org)
    by_secretary = Actor(admin=scope.user)
    pledge = await pledge_for(member, YEAR, by_secretary)
    await add_item(pledge, ItemKind.DUTY, "口述：照看楼道", by_secretary, scope=scope)
    assert "由支部书记代为录入" in message_content(await open_pledge(harness, 9601))


# --------------------------------------------------------------------------- review round trips


async def test_returned_pledge_is_revised_and_resubmitted(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 9701)
    pledge = await submitted_pledge(member, "多为社区做事", "关心邻居")
    scope = await secretary(org)
    await return_for_revision(pledge, scope, GUIDANCE)
    for _ in range(2):  # one message per return, however often the panel calls
        await notify_pledges.pledge_returned(pledge)
    assert await OutboxMessage.filter(kind="pledge.returned").count() == 1

    await deliver(harness)
    note = await screen(harness, 9701)
    assert GUIDANCE in note["text"] and "修改我的承诺" in " ".join(buttons(note))
    await tap(harness, 9701, "修改我的承诺")
    shown = message_content(await screen(harness, 9701))
    assert "退回修改" in shown and GUIDANCE in shown

    await tap(harness, 9701, "第 1 条")
    await tap(harness, 9701, "修改内容")
    await send(harness, 9701, "每月为楼里的独居老人上门服务一次")
    await tap(harness, 9701, "提交审核")
    await tap(harness, 9701, "确认提交")
    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.SUBMITTED and await submits(pledge) == 2

    await return_for_revision(pledge, scope, "再具体一些")
    await notify_pledges.pledge_returned(pledge)  # a second return is a second message
    assert await OutboxMessage.filter(kind="pledge.returned").count() == 2


async def test_notifications_speak_the_members_language(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 9801, language_code="en")
    pledge = await submitted_pledge(member, "Help neighbours")
    scope = await secretary(org)
    await return_for_revision(pledge, scope, "<b>More</b> & details")
    await notify_pledges.pledge_returned(pledge)
    await deliver(harness)
    note = await screen(harness, 9801)
    assert "returned for revision" in note["text"] and "<b>More</b> & details" in note["text"]
    assert buttons(note) == ["✏️ Revise my pledge"]

    unlinked = await factories.member(org.nanyuan_1, name="没绑定")
    assert await notify_pledges.pledge_returned(await submitted_pledge(unlinked, "x")) is None


# --------------------------------------------------------------------------- keeping


async def test_progress_with_a_photo_history_and_half_year_summary(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 9901)
    pledge = await submitted_pledge(member, "走访独居老人", "组织楼道清洁")
    scope = await secretary(org)
    await approve(pledge, scope)
    await notify_pledges.pledge_approved(pledge)
    await deliver(harness)
    assert "审核通过" in message_content(await screen(harness, 9901))

    await tap(harness, 9901, "我的承诺")
    await tap(harness, 9901, "第 1 条")
    await tap(harness, 9901, "记录践诺")
    assert "照片" in await reply_to(harness, 9901, await harness.client.send_sticker(9901))
    assert "说明" in await reply_to(harness, 9901, await harness.client.send_photo(9901))  # no caption
    saved = await reply_to(harness, 9901, await harness.client.send_photo(9901, caption="走访了 3 户独居老人"))
    assert "已记录" in saved and "走访了 3 户独居老人 📷" in saved
    entry = await PledgeProgress.get(pledge=pledge)
    assert entry.photo_file_id and entry.text == "走访了 3 户独居老人"

    await tap(harness, 9901, "📷")
    photo = await screen(harness, 9901)
    assert photo["kind"] == "photo" and "走访了 3 户" in message_content(photo)

    await tap(harness, 9901, "返回我的承诺")
    await tap(harness, 9901, "第 2 条")
    await tap(harness, 9901, "记录践诺")
    await send(harness, 9901, "周六组织了一次楼道大扫除")
    await tap(harness, 9901, "返回我的承诺")
    await tap(harness, 9901, "践诺记录")
    history = message_content(await screen(harness, 9901))
    assert "走访了 3 户独居老人 📷" in history and "周六组织了一次楼道大扫除" in history
    assert "半年小结" not in " ".join(buttons(await screen(harness, 9901)))

    await publish(pledge, scope)
    now = datetime.now(UTC)
    assert [await notify_pledges.send_half_year_reminders(YEAR, now) for _ in range(2)] == [1, 1]
    assert await OutboxMessage.filter(kind="pledge.half_year_reminder").count() == 1
    await deliver(harness)
    await tap(harness, 9901, "填写半年小结")
    assert "已保存" in (await send(harness, 9901, "半年来走访 12 户，组织清洁 5 次。"))["text"]
    await pledge.refresh_from_db()
    assert pledge.half_year_summary == "半年来走访 12 户，组织清洁 5 次。"
    assert await notify_pledges.send_half_year_reminders(YEAR, now) == 0  # written: nobody left to remind


async def test_the_member_is_told_the_half_year_review_and_the_assessment(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 9902)
    pledge = await submitted_pledge(member, "走访独居老人")
    scope = await secretary(org)
    await approve(pledge, scope)
    await publish(pledge, scope)
    await pledges.record_half_year_review(
        pledge, scope, leader_comment="走访扎实 & <认真>", satisfied=18, basic=2, unsatisfied=0)
    for _ in range(2):  # one message per review, however often the panel calls
        await notify_pledges.pledge_half_year_reviewed(pledge)
    assert await OutboxMessage.filter(kind="pledge.half_year_reviewed").count() == 1
    await deliver(harness)
    note = message_content(await screen(harness, 9902))
    assert f"您的 {YEAR} 年承诺半年评议结果" in note and "领导点评：走访扎实 & <认真>" in note  # literally
    assert "群众评议：满意 18 人，基本满意 2 人，不满意 0 人" in note

    await tap(harness, 9902, "我的承诺")
    shown = message_content(await screen(harness, 9902))
    assert "半年评议" in shown and "领导点评：走访扎实 & <认真>" in shown and "满意 18 人" in shown

    await pledges.assess(pledge, scope, grade=pledges.Grade.EXCELLENT, satisfaction_score=95,
                         comment="群众认可<度高>")
    await notify_pledges.pledge_assessed(pledge)
    await deliver(harness)
    note = message_content(await screen(harness, 9902))
    assert f"您的 {YEAR} 年承诺年终考评结果" in note
    assert "年终考评：优秀；群众满意度 95%" in note and "评语：群众认可<度高>" in note
    await tap(harness, 9902, "我的承诺")
    shown = message_content(await screen(harness, 9902))
    assert "领导点评：走访扎实" in shown and "年终考评：优秀" in shown and "评语：群众认可<度高>" in shown


async def test_a_full_reviewed_pledge_with_the_longest_notes_fits_a_message(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 9903)
    me = Actor(member=member)
    pledge = await pledge_for(member, YEAR, me)
    for number in range(MAX_ITEMS):
        await add_item(pledge, ItemKind.PRACTICAL, f"第{number + 1}条" + "长" * 495, me)
    await submit(pledge, me)
    scope = await secretary(org)
    await approve(pledge, scope)
    await publish(pledge, scope)
    await pledges.write_half_year_summary(pledge, me, "小结" + "写" * 998)
    await pledges.record_half_year_review(
        pledge, scope, leader_comment="点评" + "好" * 998, satisfied=1, basic=0, unsatisfied=0)
    await pledges.assess(pledge, scope, grade=pledges.Grade.PASS, satisfaction_score=90,
                         comment="评语" + "佳" * 998)
    shown = message_content(await open_pledge(harness, 9903))  # the sandbox refuses over 4096, as Telegram
    assert len(shown.encode("utf-16-le")) // 2 <= 4096
    assert "第12条" in shown and "小结写" in shown and "点评好" in shown and "评语佳" in shown
    assert "满意 1 人" in shown and "年终考评：合格；群众满意度 90%" in shown


async def test_the_item_question_loses_its_cancel_button_once_answered(harness, org):
    await bound_member(harness, org.nanyuan_1, 9109)
    await open_pledge(harness, 9109)
    await tap(harness, 9109, "添加一条")
    await tap(harness, 9109, "实事承诺")
    question = await screen(harness, 9109)
    assert "取消" in " ".join(buttons(question))
    await send(harness, 9109, "每周帮邻居取快递")
    with_buttons = [m for m in await harness.client.bot_messages(9109) if buttons(m)]
    # The item question (answered) has none left; the date question that follows has its own.
    assert [m["message_id"] for m in with_buttons] == [(await screen(harness, 9109))["message_id"]]
    assert "年底前" in " ".join(buttons(with_buttons[0]))


async def test_cancel_takes_the_buttons_off_a_choice_too(harness, org):
    await bound_member(harness, org.nanyuan_1, 9110)
    await open_pledge(harness, 9110)
    await tap(harness, 9110, "从模板开始")
    choice = await screen(harness, 9110)
    assert "五个一" in " ".join(buttons(choice))
    await send(harness, 9110, "/cancel")
    shown = {m["message_id"]: m for m in await harness.client.bot_messages(9110)}
    assert buttons(shown[choice["message_id"]]) == []  # the menu below has the buttons now
