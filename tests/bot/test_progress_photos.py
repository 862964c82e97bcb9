"""A photo a member sends the bot with a progress entry, seen by the secretaries in the panel.

The member sends it through the sandbox like any user; the panel fetches it back from the
sandbox's Bot API (getFile, then the download) with the bot's token.
"""

from __future__ import annotations

import re
from html import unescape

import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from admin.app import create_admin_app
from bot.app import create_bot
from models.admins import AdminUser, Role
from models.pledges import PledgeItem, PledgeProgress, approve
from models.scope import Scope
from tests import factories
from tests.admin.conftest import login, zh
from tests.bot.test_pledges_flow import (
    bound_member,
    reply_to,
    secretary,
    submitted_pledge,
    tap,
)
from xianfeng.settings import Settings

# A JPEG's first bytes, then anything: the sandbox keeps what it is sent, as Telegram keeps a photo.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
_PHOTO_RE = re.compile(r'<img src="(/pledges/\d+/progress/\d+/photo)"')


def settings() -> Settings:
    return Settings(_env_file=None, secret_key="test-secret-key", default_locale="zh_Hans")


@pytest_asyncio.fixture
async def panel(harness):
    """``await panel(files_bot)``: a browser logged into a panel fetching photos with that bot."""
    servers: list[TestServer] = []
    clients: list[TestClient] = []

    async def open_panel(files_bot, username: str = "secretary") -> TestClient:
        app = create_admin_app(settings(), bot_username="xianfeng_test_bot", files_bot=files_bot)
        server = TestServer(app)
        await server.start_server()
        servers.append(server)
        client = TestClient(server)
        await client.start_server()
        clients.append(client)
        assert (await login(client, username)).status == 303
        return client

    yield open_panel
    for client in clients:
        await client.close()
    for server in servers:
        await server.close()


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
