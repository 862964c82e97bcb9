"""Wish notifications: one outbox row per event, in the recipient's language, escaped."""

from __future__ import annotations

from bot import notify
from models.audit import Actor
from models.invites import redeem_invite
from models.members import Member, TelegramUser
from models.outbox import OutboxMessage
from models.wishes import (
    Satisfaction,
    Wish,
    add_progress,
    claim_wish,
    confirm_fulfilled,
    mark_done,
    reject_wish,
    release_wish,
    submit_wish,
)
from tests import factories


async def bound(member: Member, user_id: int, language_code: str | None = None) -> TelegramUser:
    tg_user = await TelegramUser.create(id=user_id, language_code=language_code)
    await redeem_invite((await factories.invite(member)).code, tg_user)
    return tg_user


async def rows(kind: str) -> list[OutboxMessage]:
    return await OutboxMessage.filter(kind=kind).order_by("id")


async def test_each_event_is_queued_once_for_the_right_person(org):
    resident = await TelegramUser.create(id=501, language_code="en")
    claimant = await factories.member(org.nanyuan_1, name="李建国", residence_community=org.nanyuan.id)
    await bound(claimant, 601, "zh-hant")
    wish = await factories.published_wish(org.nanyuan, "fix <the> tap", resident=resident)

    await claim_wish(wish, claimant)
    progress = await add_progress(wish, claimant, "Saturday & Sunday")
    await mark_done(wish, claimant)
    await confirm_fulfilled(wish, Actor.system(), by_resident=resident, satisfaction=Satisfaction.SATISFIED)
    for _ in range(2):  # a repeated call for the same event queues nothing new
        await notify.wish_published(wish)
        await notify.wish_claimed(wish)
        await notify.wish_progress(wish, progress)
        await notify.wish_done(wish)
        await notify.wish_fulfilled(wish)

    assert await OutboxMessage.all().count() == 5
    for kind in ("wish.published", "wish.claimed", "wish.progress", "wish.done"):
        [row] = await rows(kind)
        assert (row.chat_id, row.telegram_user_id) == (501, 501)
        assert "fix &lt;the&gt; tap" in row.text and "<the>" not in row.text
    assert "Party member 李建国 has taken on" in (await rows("wish.claimed"))[0].text
    assert "Saturday &amp; Sunday" in (await rows("wish.progress"))[0].text

    [fulfilled] = await rows("wish.fulfilled")
    assert fulfilled.chat_id == 601
    assert "居民已確認" in fulfilled.text and "滿意" in fulfilled.text  # Traditional, from language_code


async def test_done_notification_carries_confirm_and_rating_buttons(org):
    resident = await TelegramUser.create(id=502, locale="zh_Hans", language_code="en")  # the saved choice wins
    claimant = await factories.member(org.nanyuan_1, residence_community=org.nanyuan.id)
    wish = await factories.published_wish(org.nanyuan, resident=resident)
    await claim_wish(wish, claimant)
    await mark_done(wish, claimant)

    row = await notify.wish_done(wish)

    buttons = [button for line in row.reply_markup["inline_keyboard"] for button in line]
    assert [b["text"] for b in buttons] == ["✅ 确认已实现", "😊 满意", "🙂 基本满意", "🙁 不满意", "↩️ 还没办好"]
    assert [b["callback_data"] for b in buttons] == [
        f"wy:{wish.id}:", f"wy:{wish.id}:satisfied", f"wy:{wish.id}:basic", f"wy:{wish.id}:unsatisfied",
        f"wn:{wish.id}"]


async def test_panel_events_reach_the_resident(org):
    resident = await TelegramUser.create(id=503)
    rejected = await submit_wish(org.nanyuan, "想要一台电脑", Actor.system("tests"), resident=resident)
    await reject_wish(rejected, Actor.system("tests"), "不属于<服务>范围")
    claimant = await factories.member(org.nanyuan_1, residence_community=org.nanyuan.id)
    await bound(claimant, 603)
    confirmed = await factories.published_wish(org.nanyuan, resident=resident)
    await claim_wish(confirmed, claimant)
    await mark_done(confirmed, claimant)
    await confirm_fulfilled(confirmed, Actor.system("secretary"))

    await notify.wish_rejected(rejected)
    await notify.wish_fulfilled(confirmed)

    [row] = await rows("wish.rejected")
    assert row.chat_id == 503 and "不属于&lt;服务&gt;范围" in row.text
    [row] = await rows("wish.fulfilled")
    assert row.chat_id == 603 and "社区已确认" in row.text and "积分卡" in row.text


async def test_every_release_is_told_once(org):
    resident = await TelegramUser.create(id=504)
    member = await factories.member(org.nanyuan_1, residence_community=org.nanyuan.id)
    wish = await factories.published_wish(org.nanyuan, resident=resident)
    for reason in ("出差", "生病"):
        await claim_wish(wish, member)
        await release_wish(wish, Actor(member=member), reason)
        await notify.wish_released(wish)
        await notify.wish_released(wish)
    assert len(await rows("wish.released")) == 2


async def test_nobody_to_tell_queues_nothing(org):
    claimant = await factories.member(org.nanyuan_1, residence_community=org.nanyuan.id)  # not bound
    wish = await factories.published_wish(org.nanyuan)  # entered in the panel: no resident account
    await claim_wish(wish, claimant)
    await mark_done(wish, claimant)
    await confirm_fulfilled(wish, Actor.system("secretary"))

    for event in (notify.wish_published, notify.wish_claimed, notify.wish_done, notify.wish_fulfilled):
        assert await event(wish) is None
    assert not await OutboxMessage.exists()
    assert (await Wish.get(id=wish.id)).resident_id is None
