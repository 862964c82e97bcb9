"""Micro-wishes through the sandbox: from the resident's form to the claimant's card, refusals, privacy."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from bot.delivery import DeliveryWorker
from bot.notify import send_wish_reminders
from bot.sandbox.client import inline_buttons, message_content
from models.clock import local_today
from models.audit import Actor, AuditEntry
from models.invites import redeem_invite
from models.members import Member, TelegramUser
from models.org import OrgKind, create_org_unit
from models.outbox import OutboxMessage
from models.points import PointCard
from models.wishes import (
    Satisfaction,
    Wish,
    WishCategory,
    WishStatus,
    claim_wish,
    mark_done,
    publish_wish,
    reject_wish,
    submit_wish,
    withdraw_wish,
)
from tests import factories
from tests.admin.conftest import zh

RESIDENT_NAME = "王阿姨"
RESIDENT_PHONE = "13912345678"


# --------------------------------------------------------------------------- helpers


def buttons(message: dict) -> list[str]:
    return [button["text"] for button in inline_buttons(message)]


async def tap(harness, user_id: int, text: str) -> dict:
    """Press the newest button containing ``text``; returns the answer, given once the handler is done."""
    return await harness.client.callback_answer(await harness.client.press_button(user_id, text))


async def forge(harness, user_id: int, data: str) -> dict:
    """Press a button that is not (or no longer) on any keyboard of the user's chat."""
    latest = await harness.client.last_bot_message(user_id)
    return await harness.client.callback_answer(
        await harness.client.press(user_id, latest["message_id"] if latest else 1, data, forge=True)
    )


async def double_tap(harness, user_id: int, message: dict, label: str) -> list[str]:
    """Press a button twice before the bot can answer; returns both answers' texts, in either order."""
    data = next(b["callback_data"] for b in inline_buttons(message) if label in b["text"])
    # forge: the first tap may have replaced the keyboard before the second arrives
    taps = [await harness.client.press(user_id, message["message_id"], data, forge=True) for _ in range(2)]
    return [(await harness.client.callback_answer(tap))["text"] or "" for tap in taps]


async def screen(harness, user_id: int) -> dict:
    return await harness.client.last_bot_message(user_id)


async def chat_text(harness, user_id: int) -> str:
    """Everything the user's chat has shown, buttons included."""
    return "\n".join(
        message_content(m) + " " + " ".join(buttons(m)) for m in await harness.client.transcript(user_id)
    )


async def bound_member(harness, branch, user_id: int, name: str, **values) -> Member:
    """A member whose Telegram account is linked, as /start with an invitation does it."""
    member = await factories.member(branch, name=name, **values)
    tg_user = await TelegramUser.create(id=user_id, first_name=name)
    await harness.client.user(user_id, name, started=True)
    await redeem_invite((await factories.invite(member)).code, tg_user)
    return member


async def deliver(harness) -> None:
    """Send what the outbox holds through the real delivery worker."""
    await DeliveryWorker(harness.bot, worker_id="tests", per_chat_interval=0, idle_poll=0.05).drain()


async def make_wish(harness, user_id: int, text: str, *, phone: str = "", name: str = "") -> Wish:
    """The whole form in the bot: 便民利民, 南园社区, phone and name typed or skipped."""
    await harness.client.user(user_id, "居民", started=True)
    await harness.say(user_id, "/menu")
    await tap(harness, user_id, "提交心愿")
    await harness.say(user_id, text)
    await tap(harness, user_id, "便民利民")
    await tap(harness, user_id, "南园社区")
    for answer in (phone, name):
        if answer:
            await harness.say(user_id, answer)
        else:
            await tap(harness, user_id, "跳过")
    await tap(harness, user_id, "提交")
    return await Wish.filter(resident_id=user_id).order_by("-id").first()


async def submit_in_panel(org, text: str) -> Wish:
    return await submit_wish(org.nanyuan, text, Actor.system("tests"))


async def publish_in_panel(wish: Wish) -> Wish:
    return await publish_wish(wish, Actor.system("tests"), category=wish.suggested_category,
                              service_standard="上门服务", deadline=local_today() + timedelta(days=10))


async def open_wall(harness, user_id: int) -> dict:
    await harness.say(user_id, "/menu")
    await tap(harness, user_id, "心愿墙")
    return await screen(harness, user_id)


async def outbox(kind: str) -> list[OutboxMessage]:
    return await OutboxMessage.filter(kind=kind).order_by("id")


# --------------------------------------------------------------------------- the whole journey


async def test_wish_from_resident_to_card(harness, org):
    claimant = await bound_member(harness, org.nanyuan_1, 8101, "李建国", residence_community=org.nanyuan.id)
    await bound_member(harness, org.nanyuan_2, 8102, "赵志红", residence_community=org.nanyuan.id)

    wish = await make_wish(harness, 8001, "家里水管漏水，请人帮忙修",
                           phone=RESIDENT_PHONE, name=RESIDENT_NAME)
    assert wish.status == WishStatus.COLLECTED and wish.community_id == org.nanyuan.id
    assert wish.suggested_category == WishCategory.CONVENIENCE
    assert (wish.resident_name, wish.contact_phone) == (RESIDENT_NAME, RESIDENT_PHONE)
    assert "待审核" in message_content(await screen(harness, 8001))

    await publish_in_panel(wish)
    other_wall = await open_wall(harness, 8102)  # opened before the claim: goes stale
    wall = await open_wall(harness, 8101)
    assert "水管漏水" in wall["text"] and "上门服务" in wall["text"]

    answer = await tap(harness, 8101, "认领第 1 条")
    assert "感谢" in answer["text"]
    card = await screen(harness, 8101)
    assert RESIDENT_NAME in card["text"] and RESIDENT_PHONE in card["text"]
    assert "通知" in card["text"]  # the resident uses the bot
    assert (await Wish.get(id=wish.id)).claimant_id == claimant.id

    # The other member's wall was stale: refused, and the wish disappears from it.
    claim = inline_buttons(other_wall)[0]["callback_data"]
    answer = await harness.client.callback_answer(
        await harness.client.press(8102, other_wall["message_id"], claim)
    )
    assert answer["show_alert"] and "已被认领" in answer["text"]
    refreshed = await harness.client.message(8102, other_wall["message_id"])
    assert "水管漏水" not in message_content(refreshed)

    wish_screen = (await screen(harness, 8101))["message_id"]
    await tap(harness, 8101, "填写进展")
    # The question comes below the wish, which stays to read without its buttons: the answer
    # brings a fresh screen, and a tap on the old one would only be refused.
    assert (await screen(harness, 8101))["message_id"] != wish_screen
    assert inline_buttons(await harness.client.message(8101, wish_screen)) == []
    await harness.say(8101, "已约好周六上门")
    saved = message_content(await screen(harness, 8101))
    assert "进展已保存" in saved and f"• {local_today().isoformat()} 已约好周六上门" in saved  # dated
    answer = await tap(harness, 8101, "标记完成")
    assert "居民确认" in answer["text"]
    assert (await Wish.get(id=wish.id)).status == WishStatus.DONE

    await deliver(harness)
    resident_chat = await chat_text(harness, 8001)
    assert "李建国" in resident_chat and "已约好周六上门" in resident_chat
    done_message = await screen(harness, 8001)
    assert "办好" in done_message["text"] and "满意" in " ".join(buttons(done_message))

    await tap(harness, 8001, "基本满意")
    wish = await Wish.get(id=wish.id)
    assert (wish.status, wish.satisfaction, wish.confirmed_by) == (
        WishStatus.FULFILLED, Satisfaction.BASIC, "resident")
    assert await PointCard.filter(member_id=claimant.id, source="wish", source_id=wish.id).count() == 1
    assert "基本满意" in message_content(await harness.client.message(8001, done_message["message_id"]))

    await deliver(harness)
    thanked = message_content(await screen(harness, 8101))
    assert "积分卡" in thanked and "今年已获 1 张积分卡；12 月 31 日前再获 6 张" in thanked  # and the standing

    # Privacy: the resident's name and phone reached the claimant only.
    assert RESIDENT_NAME not in wall["text"] and RESIDENT_PHONE not in wall["text"]
    other_member_saw = await chat_text(harness, 8102)
    assert RESIDENT_NAME not in other_member_saw and RESIDENT_PHONE not in other_member_saw
    assert not await OutboxMessage.filter(text__contains=RESIDENT_PHONE).exists()


async def test_confirm_first_then_rate_and_double_taps(harness, org):
    claimant = await bound_member(harness, org.nanyuan_1, 8111, "李建国", residence_community=org.nanyuan.id)
    await harness.client.user(8011, "居民", started=True)
    wish = await factories.published_wish(org.nanyuan, resident=await TelegramUser.create(id=8011))
    wall = await open_wall(harness, 8111)

    answers = await double_tap(harness, 8111, wall, "认领第 1 条")
    assert sorted("感谢" in text for text in answers) == [False, True]
    assert sorted("已经认领" in text for text in answers) == [False, True]
    assert await AuditEntry.filter(action="wish.claim", object_id=str(wish.id)).count() == 1

    await tap(harness, 8111, "标记完成")
    answer = await forge(harness, 8111, f"wm:d:{wish.id}")  # "done" again from a stale card
    assert answer["show_alert"] and "不在办理中" in answer["text"]

    await deliver(harness)
    notification = await screen(harness, 8011)
    answers = await double_tap(harness, 8011, notification, "确认已实现")
    assert sorted("已经确认过" in text for text in answers) == [False, True]
    assert await PointCard.filter(member_id=claimant.id).count() == 1
    assert len(await outbox("wish.fulfilled")) == 1

    await tap(harness, 8011, "不满意")
    assert (await Wish.get(id=wish.id)).satisfaction == Satisfaction.UNSATISFIED
    assert "不满意" in message_content(await screen(harness, 8011))


async def test_the_resident_says_not_done_yet_and_the_claimant_carries_on(harness, org):
    claimant = await bound_member(harness, org.nanyuan_1, 8121, "李建国", residence_community=org.nanyuan.id)
    await harness.client.user(8021, "居民", started=True)
    wish = await factories.published_wish(org.nanyuan, resident=await TelegramUser.create(id=8021))
    wall = await open_wall(harness, 8121)
    await tap(harness, 8121, "认领第 1 条")
    await tap(harness, 8121, "标记完成")
    await deliver(harness)
    notification = await screen(harness, 8021)
    assert "还没办好" in " ".join(buttons(notification))

    answers = await double_tap(harness, 8021, notification, "还没办好")
    assert sorted("不需要确认" in text for text in answers) == [False, True]  # the second tap
    wish = await Wish.get(id=wish.id)
    assert (wish.status, wish.claimant_id, wish.done_at) == (WishStatus.CLAIMED, claimant.id, None)
    assert "已转告" in message_content(await harness.client.message(8021, notification["message_id"]))
    assert await AuditEntry.filter(action="wish.not_done", object_id=str(wish.id)).count() == 1
    assert not await PointCard.filter(member_id=claimant.id).exists()
    # The old confirmation buttons are stale now: no card from them.
    assert "不需要确认" in (await forge(harness, 8021, f"wy:{wish.id}:"))["text"]
    assert not await PointCard.filter(member_id=claimant.id).exists()

    await deliver(harness)
    assert "还没有办好" in message_content(await screen(harness, 8121))
    # Still the claimant's: they finish it, and the resident is asked again.
    await harness.say(8121, "/menu")
    await tap(harness, 8121, "我认领的心愿")
    await tap(harness, 8121, "第 1 条")
    await tap(harness, 8121, "标记完成")
    await deliver(harness)
    await tap(harness, 8021, "确认已实现")
    assert (await Wish.get(id=wish.id)).status == WishStatus.FULFILLED
    assert await PointCard.filter(member_id=claimant.id).count() == 1


async def test_only_the_resident_can_say_not_done(harness, org):
    claimant = await bound_member(harness, org.nanyuan_1, 8131, "李建国", residence_community=org.nanyuan.id)
    wish = await factories.published_wish(org.nanyuan, resident=await TelegramUser.create(id=8031))
    await claim_wish(wish, claimant)
    await mark_done(wish, claimant)
    answer = await forge(harness, 8131, f"wn:{wish.id}")  # the claimant forging the resident's button
    assert "按钮" in answer["text"]
    assert (await Wish.get(id=wish.id)).status == WishStatus.DONE


# --------------------------------------------------------------------------- the resident's side


async def test_my_wishes_and_withdraw(harness, org):
    wish = await make_wish(harness, 8021, "想学用智能手机")
    assert (wish.resident_name, wish.contact_phone) == ("", None)

    await harness.say(8021, "/menu")
    await tap(harness, 8021, "我的心愿")
    listing = await screen(harness, 8021)
    assert "想学用智能手机" in listing["text"] and "待审核" in listing["text"]
    await tap(harness, 8021, "撤回第 1 条")
    assert "确定要撤回" in message_content(await screen(harness, 8021))
    await tap(harness, 8021, "确定撤回")
    assert "已撤回" in message_content(await screen(harness, 8021))
    assert (await Wish.get(id=wish.id)).status == WishStatus.WITHDRAWN

    answer = await forge(harness, 8021, f"wo:wy:{wish.id}")  # the confirmation again, stale
    assert answer["show_alert"] and "不能撤回" in answer["text"]
    answer = await forge(harness, 8021, f"wo:w:{wish.id}")
    assert "不能撤回" in answer["text"]


async def test_claimed_wish_cannot_be_withdrawn_and_others_cannot_touch_it(harness, org):
    resident = await TelegramUser.create(id=8031)
    await harness.client.user(8031, "居民")
    wish = await factories.published_wish(org.nanyuan, resident=resident)
    await harness.say(8031, "/menu")
    await tap(harness, 8031, "我的心愿")
    await tap(harness, 8031, "撤回第 1 条")
    await claim_wish(wish, await factories.member(org.nanyuan_1, residence_community=org.nanyuan.id))

    answer = await tap(harness, 8031, "确定撤回")
    assert answer["show_alert"] and "已有党员认领" in answer["text"]
    assert (await Wish.get(id=wish.id)).status == WishStatus.CLAIMED

    await harness.client.user(8032, "别人")
    for data in (f"wo:wy:{wish.id}", f"wy:{wish.id}:satisfied", f"wz:{wish.id}:satisfied"):
        answer = await forge(harness, 8032, data)
        assert answer["show_alert"] and "按钮" in answer["text"], data
    assert (await Wish.get(id=wish.id)).status == WishStatus.CLAIMED


async def test_form_refuses_bad_input_and_keeps_its_place(harness, org):
    await harness.client.user(8041, "居民")
    await harness.say(8041, "/menu")
    await tap(harness, 8041, "提交心愿")

    await harness.client.send_sticker(8041)
    assert "文字" in (await harness.client.wait_for_bot_message(8041))["text"]
    await harness.client.send_photo(8041)
    assert "文字" in (await harness.client.wait_for_bot_message(8041))["text"]
    await harness.client.send_voice(8041)
    assert "文字" in (await harness.client.wait_for_bot_message(8041))["text"]
    assert "请填写" in (await harness.say(8041, "\u3164"))["text"]  # looks blank
    # How long the text is, against the limit: the member knows how much to cut.
    assert zh("At most {count} characters; this has {length}.", count=500, length=501) in (
        await harness.say(8041, "长" * 501))["text"]

    assert "哪一类" in (await harness.say(8041, "字" * 500))["text"]  # the limit itself is fine
    assert "按钮" in (await harness.say(8041, "便民利民"))["text"]  # a button step wants a button
    await tap(harness, 8041, "不确定")
    await tap(harness, 8041, "南园社区")
    assert "电话号码" in (await harness.say(8041, "打我手机"))["text"]
    kept, asked = await say_twice(harness, 8041, "+86 139-1234-5678")
    assert "+86 139-1234-5678" in kept["text"] and "称呼" in asked["text"]
    assert "最多 50 个字，现有 51 个字。" in (await harness.say(8041, "名" * 51))["text"]
    summary = await harness.say(8041, "<b>王</b>")
    assert "<b>王</b>" in summary["text"]  # escaped by the bot, so shown literally
    assert "不确定" in summary["text"]

    await tap(harness, 8041, "提交")
    wish = await Wish.get(resident_id=8041)
    assert wish.suggested_category is None and wish.contact_phone == "+86 139-1234-5678"
    assert len(wish.text) == 500


async def test_cancel_leaves_any_step(harness, org):
    await harness.client.user(8051, "居民")
    await harness.say(8051, "/menu")
    await tap(harness, 8051, "提交心愿")
    await harness.say(8051, "想请人陪我去医院")
    assert "已取消" in (await harness.say(8051, "/cancel"))["text"]
    assert "没有看懂" in (await harness.say(8051, "你好"))["text"]  # no longer in the form

    await harness.say(8051, "/menu")
    await tap(harness, 8051, "提交心愿")
    await tap(harness, 8051, "取消")
    assert "已取消" in message_content(await screen(harness, 8051))
    assert "没有可以取消" in (await harness.say(8051, "/cancel"))["text"]
    assert not await Wish.filter(resident_id=8051).exists()


async def say_twice(harness, user_id: int, text: str) -> list[dict]:
    """Send text; the bot's next two messages (what it kept, then the next question)."""
    return await harness.replies(user_id, await harness.client.send_text(user_id, text), 2)


async def share_button(harness, user_id: int) -> list[dict]:
    """The buttons of the reply keyboard under the user's message box ([] when none)."""
    keyboard = (await harness.client.chat(user_id))["chat"].get("reply_keyboard") or {}
    return [button for row in keyboard.get("keyboard", []) for button in row]


async def to_the_phone_step(harness, user_id: int) -> None:
    await harness.client.user(user_id, "居民")
    await harness.say(user_id, "/menu")
    await tap(harness, user_id, "提交心愿")
    await harness.say(user_id, "楼下路灯不亮了")
    await tap(harness, user_id, "不确定")
    await tap(harness, user_id, "南园社区")


async def test_the_phone_number_is_shared_with_one_tap(harness, org):
    await to_the_phone_step(harness, 8091)
    [button] = await share_button(harness, 8091)
    assert button["request_contact"] and "手机号" in button["text"]

    message_id = await harness.client.send_contact(8091, "+8613912345678")
    kept, asked = await harness.replies(8091, message_id, 2)
    assert "+8613912345678" in kept["text"] and "称呼" in asked["text"]
    assert await share_button(harness, 8091) == []  # taken away once the number is in
    assert await with_buttons(harness, 8091) == [message_content(asked)]  # and the ⏭/✖️ above it
    await tap(harness, 8091, "跳过")
    await tap(harness, 8091, "提交")
    assert (await Wish.get(resident_id=8091)).contact_phone == "+8613912345678"


async def test_skipping_or_cancelling_the_phone_takes_the_share_button_away(harness, org):
    await to_the_phone_step(harness, 8092)
    await tap(harness, 8092, "跳过")
    assert await share_button(harness, 8092) == []
    assert "不留电话" in message_content((await harness.client.transcript(8092))[-2])
    assert "称呼" in message_content(await screen(harness, 8092))

    await to_the_phone_step(harness, 8093)
    await tap(harness, 8093, "取消")
    assert await share_button(harness, 8093) == []
    assert "我的心愿" in " ".join(buttons(await screen(harness, 8093)))  # back at the menu

    await to_the_phone_step(harness, 8094)
    message_id = await harness.client.send_text(8094, "/cancel")
    cancelled, menu = await harness.replies(8094, message_id, 2)
    assert "已取消" in cancelled["text"] and await share_button(harness, 8094) == []
    assert "我的心愿" in " ".join(buttons(menu))
    assert not await Wish.filter(resident_id__in=[8092, 8093, 8094]).exists()


async def test_community_choice_is_paged_and_puts_the_members_own_first(harness, org):
    for number in range(1, 10):
        await create_org_unit(f"测试社区{number:02d}", OrgKind.COMMUNITY, org.street)
    await bound_member(harness, org.xinfeng_1, 8061, "党员", residence_community=org.xinfeng.id)
    await harness.say(8061, "/menu")
    await tap(harness, 8061, "提交心愿")
    await harness.say(8061, "想要一个体检名额")
    await tap(harness, 8061, "不确定")
    first_page = await screen(harness, 8061)
    names = buttons(first_page)
    assert names[0] == "新风社区" and "下一页 ▶️" in names and len([n for n in names if "社区" in n]) == 8

    await tap(harness, 8061, "下一页")
    second_page = buttons(await screen(harness, 8061))
    assert "◀️ 上一页" in second_page and not set(second_page) & {n for n in names if "社区" in n}

    answer = await forge(harness, 8061, f"wfu:{org.nanyuan_1.id}")  # a branch, not a community
    assert "按钮" in answer["text"]
    await tap(harness, 8061, "测试社区09")
    prompt, offer = (await harness.client.transcript(8061))[-2:]
    assert "电话" in message_content(prompt) and "手机号" in message_content(offer)


# --------------------------------------------------------------------------- the wall and the claimant


async def test_wall_pages_filters_and_hides_what_is_not_claimable(harness, org):
    await bound_member(harness, org.nanyuan_1, 8071, "党员", residence_community=org.nanyuan.id)
    for number in range(6):
        await factories.published_wish(org.nanyuan, f"便民心愿{number}")
    await factories.published_wish(org.nanyuan, "法律心愿", category=WishCategory.LEGAL)
    await factories.published_wish(org.xinfeng, "别的社区的心愿")
    await submit_in_panel(org, "还没审核的心愿")
    expired = await factories.published_wish(org.nanyuan, "已过期的心愿", deadline=local_today())
    await Wish.filter(id=expired.id).update(deadline=local_today() - timedelta(days=1))

    wall = await open_wall(harness, 8071)
    assert wall["text"].count("心愿") >= 5 and "第 1 页，共 2 页" in wall["text"]
    assert len([b for b in buttons(wall) if "认领" in b]) == 5
    await tap(harness, 8071, "下一页")
    second = await screen(harness, 8071)
    assert len([b for b in buttons(second) if "认领" in b]) == 2
    everything = wall["text"] + second["text"]
    for hidden in ("别的社区", "还没审核", "已过期"):
        assert hidden not in everything

    await tap(harness, 8071, "类别")
    await tap(harness, 8071, "法律援助")
    filtered = await screen(harness, 8071)
    assert "法律心愿" in filtered["text"] and "便民心愿" not in filtered["text"]

    await forge(harness, 8071, "ww:99:")  # a page beyond the last shows the last
    assert "第 2 页，共 2 页" in message_content(await screen(harness, 8071))


async def test_stale_and_forged_claims_are_refused(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 8081, "党员", residence_community=org.nanyuan.id)
    resident = await TelegramUser.create(id=8980)
    withdrawn = await factories.published_wish(org.nanyuan, "撤回的", resident=resident)
    rejected = await submit_in_panel(org, "被拒的")
    expired = await factories.published_wish(org.nanyuan, "过期的", deadline=local_today())
    other_community = await factories.published_wish(org.xinfeng, "新风的")
    await open_wall(harness, 8081)

    await withdraw_wish(withdrawn, resident)
    await reject_wish(rejected, Actor.system("tests"), "不属于服务范围")
    await Wish.filter(id=expired.id).update(deadline=local_today() - timedelta(days=1))

    cases = {withdrawn.id: "已被认领", rejected.id: "已被认领", expired.id: "截止日期",
             other_community.id: "其他社区", 999999: "不存在"}
    for wish_id, expected in cases.items():
        answer = await forge(harness, 8081, f"wk:{wish_id}:0:")
        assert answer["show_alert"] and expected in answer["text"], (wish_id, answer["text"])
    assert not await Wish.filter(claimant_id=member.id).exists()

    # Someone else's claimed wish: neither its card nor its actions.
    taken = await factories.published_wish(org.nanyuan, "别人认领的")
    await claim_wish(taken, await factories.member(org.nanyuan_2, residence_community=org.nanyuan.id))
    for action in ("v", "p", "r", "d"):
        answer = await forge(harness, 8081, f"wm:{action}:{taken.id}")
        assert "按钮" in answer["text"], action
    assert RESIDENT_NAME not in await chat_text(harness, 8081)
    assert (await Wish.get(id=taken.id)).status == WishStatus.CLAIMED


async def test_non_members_see_no_member_items_and_cannot_claim(harness, org):
    wish = await factories.published_wish(org.nanyuan)
    menu = await harness.say(8091, "/menu")
    assert "提交心愿" in " ".join(buttons(menu)) and "心愿墙" not in " ".join(buttons(menu))

    for data in (f"wk:{wish.id}:0:", "m:wall", "m:claimed", "ww:0:", f"wm:v:{wish.id}"):
        answer = await forge(harness, 8091, data)
        assert answer["show_alert"] and "绑定" in answer["text"], data
    assert (await Wish.get(id=wish.id)).status == WishStatus.PUBLISHED
    assert RESIDENT_NAME not in await chat_text(harness, 8091)


async def test_every_menu_item_leads_somewhere(harness, org):
    await bound_member(harness, org.nanyuan_1, 8095, "党员", residence_community=org.nanyuan.id)
    for label, heading in (("心愿墙", "心愿墙 · 南园社区"), ("我认领的心愿", "我认领的心愿"),
                           ("提交心愿", "提交微心愿"), ("我的心愿", "我的心愿")):
        menu = await harness.say(8095, "/menu")
        await tap(harness, 8095, label)
        shown = await harness.client.message(8095, menu["message_id"])
        assert heading in shown["text"] and buttons(shown), label
        await harness.say(8095, "/cancel")


async def test_release_puts_the_wish_back_on_the_wall(harness, org):
    await bound_member(harness, org.nanyuan_1, 8201, "李建国", residence_community=org.nanyuan.id)
    await bound_member(harness, org.nanyuan_1, 8202, "赵志红", residence_community=org.nanyuan.id)
    await harness.client.user(8203, "居民", started=True)
    resident = await TelegramUser.create(id=8203)
    wish = await factories.published_wish(org.nanyuan, "帮忙买菜", resident=resident)
    await open_wall(harness, 8201)
    await tap(harness, 8201, "认领第 1 条")
    assert "等待认领" in (await open_wall(harness, 8202))["text"]  # the wall is empty for others

    await harness.say(8201, "/menu")
    await tap(harness, 8201, "我认领的心愿")
    await tap(harness, 8201, "查看第 1 条")
    await tap(harness, 8201, "放弃认领")
    await harness.client.send_sticker(8201)
    assert "文字" in (await harness.client.wait_for_bot_message(8201))["text"]
    assert "请填写" in (await harness.say(8201, "\u200b"))["text"]
    assert "300" in (await harness.say(8201, "因" * 301))["text"]
    assert "重新发布" in (await harness.say(8201, "临时出差"))["text"]

    wish = await Wish.get(id=wish.id)
    assert (wish.status, wish.claimant_id, wish.reject_reason) == (WishStatus.PUBLISHED, None, "临时出差")
    assert "帮忙买菜" in (await open_wall(harness, 8202))["text"]
    await deliver(harness)
    assert "重新发布" in message_content(await screen(harness, 8203))

    await tap(harness, 8202, "认领第 1 条")
    assert RESIDENT_NAME in message_content(await screen(harness, 8202))  # the new claimant's contact


# --------------------------------------------------------------------------- reminders


async def test_deadline_reminder_and_overdue_alert_once_each(harness, org):
    claimant = await bound_member(harness, org.nanyuan_1, 8301, "李建国", residence_community=org.nanyuan.id)
    deadline = local_today() + timedelta(days=5)
    claimed = await factories.published_wish(org.nanyuan, "陪老人看病", deadline=deadline)
    await claim_wish(claimed, claimant)
    unclaimed = await factories.published_wish(org.nanyuan, "没人认领", deadline=deadline)

    def at(day: date) -> datetime:
        return datetime.combine(day, time(9), tzinfo=UTC)

    assert (await send_wish_reminders(at(deadline - timedelta(days=3)))).reminded == 0
    run = await send_wish_reminders(at(deadline - timedelta(days=2)))
    assert run.reminded == 1
    again = await asyncio.gather(
        *(send_wish_reminders(at(deadline - timedelta(days=1))) for _ in range(2))
    )
    assert sum(r.reminded for r in again) == 0
    assert len(await outbox("wish.reminder")) == 1

    await send_wish_reminders(at(deadline))  # the deadline day itself is not overdue
    assert not await Wish.filter(overdue_alerted_at__not_isnull=True).exists()
    run = await send_wish_reminders(at(deadline + timedelta(days=1)))
    assert run.overdue == 2
    assert (await send_wish_reminders(at(deadline + timedelta(days=2)))).overdue == 0
    assert len(await outbox("wish.overdue")) == 1  # to the claimant; the unclaimed one has nobody to tell
    flagged = Wish.filter(id__in=[claimed.id, unclaimed.id], overdue_alerted_at__not_isnull=True)
    assert await flagged.count() == 2  # what the panel's "overdue" filter shows
    assert await AuditEntry.filter(action="wish.overdue").count() == 2

    await deliver(harness)
    chat = await chat_text(harness, 8301)
    assert "提醒" in chat and "超过截止日期" in chat
    await tap(harness, 8301, "查看心愿")
    assert "陪老人看病" in message_content(await screen(harness, 8301))


async def test_fifty_members_tap_claim_at_once_through_the_bot(harness, org):
    """The real race: 50 bound members press the wall's Claim button at the same moment."""
    users = range(8500, 8550)
    members = [
        await bound_member(harness, org.nanyuan_1, user_id, f"党员{user_id}", residence_community=org.nanyuan.id)
        for user_id in users
    ]
    wish = await factories.published_wish(org.nanyuan, "修楼道灯")
    walls = await asyncio.gather(*(open_wall(harness, user_id) for user_id in users))
    claim = f"wk:{wish.id}:0:"
    for wall in walls:
        assert any(b.get("callback_data") == claim for row in wall["reply_markup"]["inline_keyboard"] for b in row)

    presses = await asyncio.gather(
        *(harness.client.press(user_id, wall["message_id"], claim) for user_id, wall in zip(users, walls))
    )
    answers = await asyncio.gather(*(harness.client.callback_answer(press) for press in presses))

    refused = [a for a in answers if a["show_alert"] and "已被认领" in a["text"]]
    assert len(refused) == 49
    stored = await Wish.get(id=wish.id)
    assert stored.status == WishStatus.CLAIMED
    assert stored.claimant_id in {member.id for member in members}


async def with_buttons(harness, user_id: int) -> list[str]:
    """The texts of the bot's messages that still carry inline buttons, oldest first."""
    return [message_content(m) for m in await harness.client.bot_messages(user_id) if inline_buttons(m)]




async def test_an_answered_question_loses_its_buttons(harness, org):
    """A ⏭ or ✖️ left under a question answered in writing would only be refused as out of date."""
    await harness.client.user(8095, "居民")
    await harness.say(8095, "/menu")
    await tap(harness, 8095, "提交心愿")
    asked = await with_buttons(harness, 8095)
    assert len(asked) == 1 and "提交微心愿" in asked[0]
    # Refused (too long): the question is still open, its ✖️ still works.
    await harness.say(8095, "长" * 1000)
    assert await with_buttons(harness, 8095) == asked
    # Answered: only the next question has buttons.
    await harness.say(8095, "楼下路灯不亮了")
    [category] = await with_buttons(harness, 8095)
    assert "哪一类帮助" in category
    await tap(harness, 8095, "不确定")
    await tap(harness, 8095, "南园社区")
    message_id = await harness.client.send_text(8095, "13912345678")  # typed, not shared
    await harness.replies(8095, message_id, 2)
    [name] = await with_buttons(harness, 8095)  # the phone question's ⏭ and ✖️ are gone
    assert "称呼" in name
    await harness.say(8095, "王阿姨")
    [summary] = await with_buttons(harness, 8095)
    assert "请核对您的心愿" in summary
    # /cancel ends the form: its last question keeps no buttons either (the menu has its own).
    await harness.say(8095, "/cancel")
    assert [text for text in await with_buttons(harness, 8095) if "请核对" in text] == []


async def test_a_failed_button_removal_does_not_fail_the_answer(harness, org, monkeypatch, caplog):
    """Taking the buttons off is cosmetic: a 429 there must not turn the answer into an error."""
    from aiogram import Bot
    from aiogram.exceptions import TelegramRetryAfter

    async def flooded(self, **kwargs):
        raise TelegramRetryAfter(method=None, message="Too Many Requests", retry_after=5)

    await harness.client.user(8096, "居民")
    await harness.say(8096, "/menu")
    await tap(harness, 8096, "提交心愿")
    monkeypatch.setattr(Bot, "edit_message_reply_markup", flooded)
    reply = await harness.say(8096, "楼下路灯不亮了")
    assert "哪一类帮助" in reply["text"]  # the form went on, no apology
    assert "could not take the buttons off" in caplog.text
    await tap(harness, 8096, "不确定")
    assert "南园社区" in " ".join(buttons(await screen(harness, 8096)))
