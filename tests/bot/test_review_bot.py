"""Defects found in review of the bot, each pinned by a flow through the sandbox."""

from __future__ import annotations

import asyncio

from bot.pledge_texts import current_year
from bot.sandbox.client import inline_buttons, message_content
from models.audit import Actor
from models.invites import redeem_invite
from models.members import Member, TelegramUser
from models.org import OrgKind, create_org_unit
from models.pledges import ItemKind, PledgeItem, add_item, pledge_for
from models.wishes import Wish, WishStatus, claim_wish, reject_wish, submit_wish
from tests import factories

YEAR = current_year()
APOLOGY = "系统出了点问题"


# --------------------------------------------------------------------------- helpers


def buttons(message: dict) -> list[str]:
    return [button["text"] for button in inline_buttons(message)]


def button_data(message: dict, text: str) -> str:
    return next(b["callback_data"] for b in inline_buttons(message) if text in b["text"])


async def tap(harness, user_id: int, text: str) -> dict:
    return await harness.client.callback_answer(await harness.client.press_button(user_id, text))


async def forge(harness, user_id: int, data: str, message_id: int | None = None) -> dict:
    if message_id is None:
        latest = await harness.client.last_bot_message(user_id)
        message_id = latest["message_id"] if latest else 1
    return await harness.client.callback_answer(
        await harness.client.press(user_id, message_id, data, forge=True)
    )


async def double_tap(harness, user_id: int, message: dict, label: str) -> list[dict]:
    """Press a button twice before the bot can answer; returns both answers."""
    data = button_data(message, label)
    taps = [await harness.client.press(user_id, message["message_id"], data, forge=True) for _ in range(2)]
    return [await harness.client.callback_answer(query) for query in taps]


async def screen(harness, user_id: int) -> dict:
    return await harness.client.last_bot_message(user_id)


async def chat_text(harness, user_id: int) -> str:
    return "\n".join(
        message_content(m) + " " + " ".join(buttons(m)) for m in await harness.client.transcript(user_id)
    )


async def bound_member(harness, branch, user_id: int, name: str, **values) -> Member:
    member = await factories.member(branch, name=name, **values)
    tg_user = await TelegramUser.create(id=user_id, first_name=name)
    await harness.client.user(user_id, name, started=True)
    await redeem_invite((await factories.invite(member)).code, tg_user)
    return member


# --------------------------------------------------------------------------- HTML in refusals


async def test_invite_refusal_naming_the_member_shows_the_name_literally(harness, org):
    """InviteError carries the member's name; it went into an HTML message unescaped."""
    name = "a & b <c>"
    member = await factories.member(org.nanyuan_1, name=name)
    invite = await factories.invite(member)
    first = await harness.client.start(7801, "王", code=invite.code)
    assert name in message_content(await harness.client.wait_for_bot_message(7801, after_message_id=first))

    again = await harness.client.start(7801, "王", code=invite.code)  # the link opened a second time
    reply = await harness.client.wait_for_bot_message(7801, after_message_id=again)
    assert APOLOGY not in reply["text"]
    assert f"已绑定到 {name}" in reply["text"]


# --------------------------------------------------------------------------- menu screens


async def test_double_tap_on_menu_buttons_is_not_an_error(harness, org):
    await bound_member(harness, org.nanyuan_1, 7811, "李建国")
    await harness.say(7811, "/help")
    answers = await double_tap(harness, 7811, await screen(harness, 7811), "主菜单")
    assert not any(APOLOGY in (answer["text"] or "") for answer in answers)

    menu = await screen(harness, 7811)
    answers = await double_tap(harness, 7811, menu, "帮助")
    assert not any(APOLOGY in (answer["text"] or "") for answer in answers)

    await harness.say(7811, "/language")
    answers = await double_tap(harness, 7811, await screen(harness, 7811), "简体中文")
    assert not any(APOLOGY in (answer["text"] or "") for answer in answers)


async def test_menu_button_on_a_message_the_bot_cannot_reach_sends_the_menu_anew(harness, org):
    """A button of a message Telegram no longer gives us (InaccessibleMessage: no edit_text)."""
    await bound_member(harness, org.nanyuan_1, 7821, "李建国")
    await harness.say(7821, "/menu")
    before = (await screen(harness, 7821))["message_id"]
    for data in ("m:home", "m:help", "m:profile", "m:lang"):
        answer = await forge(harness, 7821, data, message_id=999_999)
        assert APOLOGY not in (answer["text"] or ""), data
    newer = [m for m in await harness.client.bot_messages(7821) if m["message_id"] > before]
    assert len(newer) == 4


# --------------------------------------------------------------------------- dangling conversations


async def test_main_menu_leaves_a_conversation_so_later_text_changes_nothing(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 7831, "李建国", residence_community=org.nanyuan.id)
    wish = await claim_wish(await factories.published_wish(org.nanyuan), member)

    await harness.say(7831, "/menu")
    await tap(harness, 7831, "我认领的心愿")
    await tap(harness, 7831, "查看第 1 条")
    await tap(harness, 7831, "放弃认领")  # asks why
    await harness.say(7831, "/menu")  # changed their mind: went back to the menu
    reply = await harness.say(7831, "好的，谢谢")
    assert "没有看懂" in reply["text"]
    wish = await Wish.get(id=wish.id)
    assert wish.status == WishStatus.CLAIMED and wish.claimant_id == member.id

    # The same with the "main menu" button, in a pledge step: the item keeps its text.
    pledge = await pledge_for(member, YEAR, Actor(member=member))
    item = await add_item(pledge, ItemKind.DUTY, "按时交纳党费", Actor(member=member))
    await harness.say(7831, "/menu")
    await tap(harness, 7831, "我的承诺")
    await tap(harness, 7831, "第 1 条")
    await tap(harness, 7831, "修改内容")
    await harness.say(7831, "/help")
    await tap(harness, 7831, "主菜单")
    assert "没有看懂" in (await harness.say(7831, "随便说一句"))["text"]
    assert (await PledgeItem.get(id=item.id)).text == "按时交纳党费"


# --------------------------------------------------------------------------- quick repeats


async def test_a_typed_date_sent_twice_adds_one_item_without_an_apology(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 7841, "李建国")
    await harness.say(7841, "/menu")
    await tap(harness, 7841, "我的承诺")
    await tap(harness, 7841, "添加一条")
    await tap(harness, 7841, "实事承诺")
    await harness.say(7841, "每周帮邻居取快递")
    for _ in range(2):  # an impatient second send, before the bot answered the first
        await harness.client.send_text(7841, f"{YEAR}-12-31")
    await harness.replies(7841, (await screen(harness, 7841))["message_id"], 2)
    await asyncio.sleep(0.3)
    assert APOLOGY not in await chat_text(harness, 7841)
    assert await PledgeItem.filter(pledge__member_id=member.id).count() == 1


async def test_withdrawing_twice_does_not_claim_a_member_took_the_wish(harness, org):
    await harness.client.user(7851, "居民", started=True)
    resident = await TelegramUser.create(id=7851)
    wish = await submit_wish(org.nanyuan, "想学用智能手机", Actor.system("tests"), resident=resident)
    await harness.say(7851, "/menu")
    await tap(harness, 7851, "我的心愿")
    await tap(harness, 7851, "撤回第 1 条")
    answers = await double_tap(harness, 7851, await screen(harness, 7851), "确定撤回")
    assert (await Wish.get(id=wish.id)).status == WishStatus.WITHDRAWN
    assert not any("已有党员认领" in (answer["text"] or "") for answer in answers)
    assert not any(APOLOGY in (answer["text"] or "") for answer in answers)


# --------------------------------------------------------------------------- Telegram's 4096 characters


async def test_my_wishes_fits_a_message_with_long_rejection_reasons(harness, org):
    community = await create_org_unit("东风街道南园新村第二社区", OrgKind.COMMUNITY, org.street)
    await harness.client.user(7861, "居民", started=True)
    resident = await TelegramUser.create(id=7861)
    for number in range(10):
        wish = await submit_wish(community, f"心愿{number}" + "长" * 490, Actor.system("tests"),
                                 resident=resident)
        await reject_wish(wish, Actor.system("tests"), f"理由{number}" + "不符合条件" * 59)
    await harness.say(7861, "/menu")
    answer = await tap(harness, 7861, "我的心愿")
    assert APOLOGY not in (answer["text"] or "")
    listing = await screen(harness, 7861)
    assert "我的心愿" in listing["text"] and "理由9" in listing["text"] and "理由0" in listing["text"]


async def test_claimed_list_of_a_busy_member_fits_a_message(harness, org):
    member = await bound_member(harness, org.nanyuan_1, 7871, "李建国", residence_community=org.nanyuan.id)
    for number in range(45):
        await claim_wish(await factories.published_wish(org.nanyuan, f"心愿{number:02d}" + "长" * 200), member)
    await harness.say(7871, "/menu")
    answer = await tap(harness, 7871, "我认领的心愿")
    assert APOLOGY not in (answer["text"] or "")
    listing = await screen(harness, 7871)
    assert "心愿00" in listing["text"] and "查看第 1 条" in buttons(listing)
    assert "最近的 20 个" in listing["text"] and "心愿20" not in listing["text"]
