"""Photos members send the bot: with a pledge's progress entry, or with a progress note on a
wish they took on (the resident sees that one in the bot). Secretaries see both in the panel.

Members send them through the sandbox like any user; the panel fetches them back from the
sandbox's Bot API (getFile, then the download) with the bot's token.
"""

from __future__ import annotations

import re
from html import unescape

from bot.app import create_bot
from bot.sandbox.client import message_content
from models.admins import AdminUser, Role
from models.audit import AuditEntry
from models.members import TelegramUser
from models.pledges import PledgeItem, PledgeProgress, approve
from models.scope import Scope
from models.wishes import WishProgress, add_progress, claim_wish
from tests import factories
from tests.admin.conftest import zh
from tests.bot.test_pledges_flow import (
    bound_member,
    buttons,
    deliver,
    forge,
    reply_to,
    screen,
    secretary,
    submitted_pledge,
    tap,
)

# A JPEG's first bytes, then anything: the sandbox keeps what it is sent, as Telegram keeps a photo.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
_PHOTO_RE = re.compile(r'<img src="(/pledges/\d+/progress/\d+/photo)"')


async def member_sends_a_photo(harness, org, user_id: int, data: bytes, caption: str):
    """A published member's pledge with one progress entry that has ``data`` as its photo."""
    member = await bound_member(harness, org.nanyuan_1, user_id)
    pledge = await submitted_pledge(member, "走访独居老人")
    await approve(pledge, await secretary(org))
    await harness.client.send_text(user_id, "/menu")
    await harness.client.wait_for_bot_message(user_id)
    await tap(harness, user_id, "我的承诺")
    await tap(harness, user_id, "第 1 条")
    await tap(harness, user_id, "记录践诺")
    assert "已记录" in await reply_to(harness, user_id, await harness.client.send_photo(
        user_id, data, caption=caption))
    return pledge, await PledgeProgress.get(pledge=pledge)


async def test_the_secretary_sees_the_photo_the_member_sent(harness, org, panel):
    pledge, entry = await member_sends_a_photo(harness, org, 9951, JPEG, "走访了 3 户独居老人")
    browser = await panel(harness.bot)

    page = await (await browser.get(f"/pledges/{pledge.id}")).text()
    assert "走访了 3 户独居老人" in page
    photo_url = unescape(_PHOTO_RE.search(page).group(1))
    assert photo_url == f"/pledges/{pledge.id}/progress/{entry.id}/photo"
    assert f'<a class="progress-photo" href="{photo_url}">' in page

    photo = await browser.get(photo_url)
    assert photo.status == 200 and photo.content_type == "image/jpeg"
    assert await photo.read() == JPEG
    # Personal data, like every page: no cache keeps it, and the type is never sniffed.
    assert photo.headers["Cache-Control"] == "no-store" and photo.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_photo_outside_the_secretarys_organisation_or_pledge_is_not_found(harness, org, panel):
    pledge, entry = await member_sends_a_photo(harness, org, 9952, JPEG, "走访")
    other_member = await factories.member(org.nanyuan_1, name="王五")
    other = await submitted_pledge(other_member, "组织楼道清洁")
    await approve(other, await Scope.of(await AdminUser.get(username="secretary")))
    await factories.admin("xinfeng", Role.BRANCH_SECRETARY, org.xinfeng_1)
    await factories.admin("nanyuan", Role.COMMUNITY_SECRETARY, org.nanyuan)

    outsider = await panel(harness.bot, "xinfeng")
    refused = await outsider.get(f"/pledges/{pledge.id}/progress/{entry.id}/photo")
    assert refused.status == 404 and JPEG not in await refused.read()

    community = await panel(harness.bot, "nanyuan")  # the community above the branch sees it
    assert await (await community.get(f"/pledges/{pledge.id}/progress/{entry.id}/photo")).read() == JPEG
    # The entry's id under another pledge of the same organisation, or an entry with no photo.
    item = await PledgeItem.get(pledge=other)
    no_photo = await PledgeProgress.create(pledge=other, item=item, text="打扫了楼道")
    for path in (f"/pledges/{other.id}/progress/{entry.id}/photo",
                 f"/pledges/{other.id}/progress/{no_photo.id}/photo"):
        response = await community.get(path)
        assert response.status == 404, path
        assert zh("No such photo in this pledge's progress log.") in await response.text()


async def test_a_photo_telegram_cannot_give_is_said_in_words(harness, org, panel):
    pledge, entry = await member_sends_a_photo(harness, org, 9953, b"<html><script>alert(1)</script>",
                                               "不是照片")
    item = await PledgeItem.get(pledge=pledge)
    gone = await PledgeProgress.create(pledge=pledge, item=item, text="旧照片", photo_file_id="SBXexpired")
    browser = await panel(harness.bot)
    for entry_id, message in ((gone.id, "Telegram no longer has this photo."),
                              (entry.id, "This file is not a photo the panel can show.")):
        response = await browser.get(f"/pledges/{pledge.id}/progress/{entry_id}/photo")
        assert response.status == 404 and response.content_type == "text/html"
        page = await response.text()
        assert zh(message) in page and "<script>alert" not in page

    unreachable = create_bot(harness.sandbox.token, "http://127.0.0.1:9")  # nothing listens there
    try:
        offline = await panel(unreachable)
        response = await offline.get(f"/pledges/{pledge.id}/progress/{entry.id}/photo")
        assert response.status == 503
        assert zh("Telegram cannot be reached right now: try again in a moment.") in await response.text()
    finally:
        await unreachable.session.close()


async def test_without_a_bot_token_the_panel_says_why_it_shows_no_photo(harness, org, panel):
    pledge, entry = await member_sends_a_photo(harness, org, 9954, JPEG, "走访")
    browser = await panel(None)
    page = await (await browser.get(f"/pledges/{pledge.id}")).text()
    why = zh("Photos are shown when the panel runs with the bot's token (BOT_TOKEN).")
    assert "<img" not in page and unescape(why) in unescape(page)
    response = await browser.get(f"/pledges/{pledge.id}/progress/{entry.id}/photo")
    assert response.status == 503 and why in unescape(await response.text())


# --------------------------------------------------------------------------- wishes


async def test_a_photo_with_a_wish_note_reaches_the_resident_and_the_community(harness, org, panel):
    claimant = await bound_member(harness, org.nanyuan_1, 9961, residence_community=org.nanyuan.id)
    await harness.client.user(9962, "居民", started=True)
    wish = await factories.published_wish(org.nanyuan, "想请人帮忙买药", resident=await TelegramUser.create(id=9962))
    await harness.say(9961, "/menu")
    await tap(harness, 9961, "心愿墙")
    await tap(harness, 9961, "认领第 1 条")
    await tap(harness, 9961, "填写进展")
    prompt = message_content(await screen(harness, 9961))
    assert "照片" in prompt and "居民可以看到" in prompt
    assert "带说明文字的照片" in await reply_to(harness, 9961, await harness.client.send_sticker(9961))
    assert "说明文字" in await reply_to(harness, 9961, await harness.client.send_photo(9961, JPEG))
    saved = await reply_to(harness, 9961, await harness.client.send_photo(9961, JPEG, caption="药已买好<送到家>"))
    assert "进展已保存" in saved and "药已买好<送到家> 📷" in saved  # shown literally
    note = await WishProgress.get(wish_id=wish.id)
    assert note.photo_file_id and note.text == "药已买好<送到家>"
    logged = await AuditEntry.get(action="wish.progress", object_id=str(wish.id))
    assert (logged.actor_member_id, logged.org_id) == (claimant.id, org.nanyuan.id)
    assert logged.after == {"progress_note": note.text, "photo_file_id": note.photo_file_id}

    await deliver(harness)
    news = await screen(harness, 9962)
    assert "药已买好<送到家>" in message_content(news) and buttons(news) == ["📷 查看照片"]
    await tap(harness, 9962, "查看照片")
    photo = await screen(harness, 9962)
    assert photo["kind"] == "photo" and "药已买好" in message_content(photo)

    # The photo button of a note on someone else's wish, or of a note without a photo: refused.
    await wish.refresh_from_db()  # claimed in the bot since
    text_only = await add_progress(wish, claimant, "下午再去一趟")
    other = await factories.published_wish(org.nanyuan, "别人的心愿", resident=await TelegramUser.create(id=9963))
    await claim_wish(other, claimant)
    others_photo = await add_progress(other, claimant, "照片", photo_file_id=note.photo_file_id)
    for note_id in (text_only.id, others_photo.id, 999999):
        answer = await forge(harness, 9962, f"wi:{note_id}")
        assert answer["show_alert"] and "按钮" in answer["text"], note_id
    assert (await screen(harness, 9962))["message_id"] == photo["message_id"]  # nothing more sent

    await factories.admin("nanyuan", Role.COMMUNITY_SECRETARY, org.nanyuan)
    await factories.admin("xinfeng", Role.COMMUNITY_SECRETARY, org.xinfeng)
    community = await panel(harness.bot, "nanyuan")
    page = await (await community.get(f"/wishes/{wish.id}")).text()
    photo_url = f"/wishes/{wish.id}/progress/{note.id}/photo"
    assert f'<img src="{photo_url}"' in page and page.count("<img src=") == 1
    assert page.count(zh("Progress note added")) == 2  # in the wish's history, one per note
    assert await (await community.get(photo_url)).read() == JPEG
    for path in (f"/wishes/{wish.id}/progress/{text_only.id}/photo",
                 f"/wishes/{other.id}/progress/{note.id}/photo"):
        response = await community.get(path)
        assert response.status == 404
        assert zh("No such photo in this wish's progress notes.") in await response.text()
    outsider = await panel(harness.bot, "xinfeng")
    assert (await outsider.get(photo_url)).status == 404


async def test_a_claimant_is_not_told_a_resident_outside_the_bot_will_see_the_note(harness, org):
    claimant = await bound_member(harness, org.nanyuan_1, 9971, residence_community=org.nanyuan.id)
    on_paper = await factories.published_wish(org.nanyuan, "纸上收集的心愿")  # entered in the panel
    await claim_wish(on_paper, claimant)
    await harness.say(9971, "/menu")
    await tap(harness, 9971, "我认领的心愿")
    await tap(harness, 9971, "查看第 1 条")
    await tap(harness, 9971, "填写进展")
    prompt = message_content(await screen(harness, 9971))
    assert "社区可以看到" in prompt and "居民" not in prompt
