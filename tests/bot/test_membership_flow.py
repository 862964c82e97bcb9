"""Invite → bind → menu, every refusal, language switch, restart — through the sandbox over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from models.audit import Actor
from models.invites import Invite, revoke_invite
from models.members import TelegramUser
from tests import factories


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_invite_binds_account_and_shows_menu(harness, org):
    member = await factories.member(org.nanyuan_1, name="潘明顺")
    invite = await factories.invite(member)

    message_id = await harness.client.send_text(7001, f"/start {invite.code}")
    greeting, menu = await harness.replies(7001, message_id, 2)

    assert "潘明顺" in greeting["text"]
    assert "绑定" in greeting["text"]  # Simplified Chinese by default
    assert any("我的信息" in text for text in buttons(menu))
    tg_user = await TelegramUser.get(id=7001)
    assert tg_user.member_id == member.id
    assert (await Invite.get(id=invite.id)).used_at is not None


async def test_member_name_is_html_escaped(harness, org):
    member = await factories.member(org.nanyuan_1, name="<b>李</b>&")
    invite = await factories.invite(member)
    message_id = await harness.client.send_text(7002, f"/start {invite.code}")
    greeting, _ = await harness.replies(7002, message_id, 2)
    assert "<b>李</b>&" in greeting["text"]  # shown literally, not as markup


async def test_start_without_code_explains_and_binds_nothing(harness, org):
    reply = await harness.say(7003, "/start")
    assert "邀请链接" in reply["text"]
    assert not any("我的信息" in text for text in buttons(reply))
    assert (await TelegramUser.get(id=7003)).member_id is None


async def test_refusals_bind_nothing(harness, org):
    used_by_other = await factories.invite(await factories.member(org.nanyuan_1, name="甲"))
    expired = await factories.invite(await factories.member(org.nanyuan_1, name="乙"), days=-1)
    revoked = await factories.invite(await factories.member(org.nanyuan_1, name="丙"))
    await revoke_invite(revoked, Actor.system("tests"))

    first = await harness.client.send_text(7010, f"/start {used_by_other.code}")
    await harness.replies(7010, first, 2)

    cases = {
        "/start NOSUCHCODE123": "无效",
        "/start bad*code": "无效",
        f"/start {used_by_other.code}": "已被使用",
        f"/start {expired.code}": "已过期",
        f"/start {revoked.code}": "已被撤回",
    }
    for user_offset, (text, expected) in enumerate(cases.items(), start=1):
        reply = await harness.say(7010 + user_offset, text)
        assert expected in reply["text"], (text, reply["text"])
        assert (await TelegramUser.get(id=7010 + user_offset)).member_id is None


async def test_bound_account_cannot_take_another_members_code(harness, org):
    mine = await factories.invite(await factories.member(org.nanyuan_1, name="甲"))
    other_member = await factories.member(org.nanyuan_1, name="乙")
    theirs = await factories.invite(other_member)
    first = await harness.client.send_text(7020, f"/start {mine.code}")
    await harness.replies(7020, first, 2)

    reply = await harness.say(7020, f"/start {theirs.code}")

    assert "已绑定" in reply["text"]
    assert (await Invite.get(id=theirs.id)).used_at is None
    assert not await TelegramUser.filter(member_id=other_member.id).exists()


async def test_member_already_bound_elsewhere_is_refused(harness, org):
    member = await factories.member(org.nanyuan_1, name="甲")
    first_invite = await factories.invite(member)
    first = await harness.client.send_text(7030, f"/start {first_invite.code}")
    await harness.replies(7030, first, 2)
    second_invite = await factories.invite(member)  # reissued while still bound

    reply = await harness.say(7031, f"/start {second_invite.code}")

    assert "另一个" in reply["text"]
    assert (await TelegramUser.get(id=7031)).member_id is None


async def test_language_follows_telegram_then_saved_choice(harness, org):
    await harness.client.user(7040, "Ann", language_code="en")
    reply = await harness.say(7040, "/start")
    assert "invitation link" in reply["text"]

    await harness.client.user(7041, "陳", language_code="zh-hant")
    reply = await harness.say(7041, "/start")
    assert "邀請" in reply["text"]

    reply = await harness.say(7040, "/language")
    assert "English" in " ".join(buttons(reply))
    callback = await harness.client.press_button(7040, "繁體中文")
    await harness.client.callback_answer(callback)
    assert (await TelegramUser.get(id=7040)).locale == "zh_Hant"
    edited = await harness.client.message(7040, reply["message_id"])
    assert "繁體中文" in edited["text"]

    reply = await harness.say(7040, "/help")
    assert "語言" in reply["text"]  # the saved choice beats Telegram's language_code
    assert "/cancel — 取消目前操作" in reply["text"]
    assert "微心願" in reply["text"] and "邀請連結" in reply["text"]  # a resident's help


async def test_a_members_help_is_about_the_programmes(harness, org):
    from tests.bot.test_wishes_flow import bound_member

    await bound_member(harness, org.nanyuan_1, 7045, "党员")
    reply = await harness.say(7045, "/help")
    assert "参与社区各项活动" in reply["text"] and "支部书记" in reply["text"]
    assert "/cancel — 取消当前操作" in reply["text"] and "微心愿" not in reply["text"]


async def test_menu_language_button(harness, org):
    reply = await harness.say(7050, "/menu")
    await harness.client.callback_answer(await harness.client.press_button(7050, "语言"))
    await harness.client.callback_answer(await harness.client.press_button(7050, "English"))
    assert (await TelegramUser.get(id=7050)).locale == "en"
    edited = await harness.client.message(7050, reply["message_id"])
    assert "Main menu" in edited["text"]


async def test_binding_survives_bot_restart(harness, org):
    member = await factories.member(org.nanyuan_1, name="吴敏")
    invite = await factories.invite(member)
    first = await harness.client.send_text(7060, f"/start {invite.code}")
    await harness.replies(7060, first, 2)

    await harness.restart_bot()

    reply = await harness.say(7060, "/menu")
    assert "吴敏" in reply["text"]
    await harness.client.press_button(7060, "我的信息")
    profile = await harness.client.wait_for_bot_message(7060, after_message_id=0, contains="第一支部")
    assert "南园社区" in profile["text"]


async def test_stale_and_forged_buttons_get_a_clear_answer(harness, org):
    reply = await harness.say(7070, "/start")
    forged = await harness.client.press(7070, reply["message_id"], "m:profile", forge=True)
    answer = await harness.client.callback_answer(forged)
    assert answer["show_alert"] and "绑定" in answer["text"]

    garbage = await harness.client.press(7070, reply["message_id"], "zz:nothing", forge=True)
    answer = await harness.client.callback_answer(garbage)
    assert "按钮" in answer["text"]

    bad_locale = await harness.client.press(7070, reply["message_id"], "l:xx", forge=True)
    answer = await harness.client.callback_answer(bad_locale)
    assert "按钮" in answer["text"]
    assert (await TelegramUser.get(id=7070)).locale is None


async def test_non_text_message_gets_help(harness, org):
    await harness.client.send_sticker(7080)
    reply = await harness.client.wait_for_bot_message(7080)
    assert "/help" in reply["text"]


async def test_expiry_is_checked_at_redemption_time(harness, org):
    member = await factories.member(org.nanyuan_1, name="甲")
    invite = await factories.invite(member)
    await Invite.filter(id=invite.id).update(expires_at=datetime.now(UTC))
    reply = await harness.say(7090, f"/start {invite.code}")
    assert "已过期" in reply["text"]


async def test_a_crash_in_a_handler_gets_a_translated_apology(harness, org, monkeypatch, caplog):
    def broken(*_):
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.handlers.menu.help_text", broken)
    await harness.client.user(7100, "Ann", language_code="en")
    reply = await harness.say(7100, "/help")
    assert "Sorry, something went wrong" in reply["text"]
    assert "boom" not in reply["text"]
    assert any("boom" in str(record.exc_info) for record in caplog.records if record.exc_info)


async def test_writing_to_the_bot_again_clears_unreachable(harness, org):
    await harness.say(7110, "/start")
    await TelegramUser.filter(id=7110).update(unreachable_since=datetime.now(UTC))
    await harness.say(7110, "/menu")
    assert (await TelegramUser.get(id=7110)).unreachable_since is None


async def test_a_membership_update_does_not_clear_unreachable(org):
    from aiogram.types import Update

    from bot.middlewares import TelegramUserMiddleware

    since = datetime.now(UTC)
    await TelegramUser.create(id=7120, first_name="Ann", unreachable_since=since)
    blocked = Update.model_validate({
        "update_id": 1,
        "my_chat_member": {
            "chat": {"id": 7120, "type": "private", "first_name": "Ann"},
            "from": {"id": 7120, "is_bot": False, "first_name": "Ann"},
            "date": 0,
            "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True, "first_name": "B"}},
            "new_chat_member": {"status": "kicked", "until_date": 0,
                                "user": {"id": 1, "is_bot": True, "first_name": "B"}},
        },
    })
    seen = {}

    async def handler(event, data):
        seen.update(data)

    await TelegramUserMiddleware()(handler, blocked, {"event_from_user": blocked.my_chat_member.from_user})
    assert seen["tg_user"].id == 7120
    assert (await TelegramUser.get(id=7120)).unreachable_since == since
