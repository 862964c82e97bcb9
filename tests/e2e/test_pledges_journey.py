"""A branch secretary returns a member's pledge with guidance, then approves the revised one;
a photo a member sent with a progress entry shows on the pledge's page.

The panel runs on a real port against the test database; Chromium drives it like a secretary.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from aiohttp import web

from admin.app import create_admin_app
from bot.sandbox.media import TINY_PNG
from models.admins import Role
from models.audit import Actor
from models.clock import current_year
from models.members import TelegramUser
from models.outbox import OutboxMessage
from models.pledges import (
    ItemKind,
    Pledge,
    PledgeItem,
    PledgeProgress,
    PledgeStatus,
    add_item,
    pledge_for,
    submit,
)
from tests import factories
from tests.e2e.conftest import log_in_first_admin
from xianfeng.settings import Settings


@asynccontextmanager
async def serving(app: web.Application):
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def test_return_with_guidance_then_approve_the_revision(db, page, tmp_path):
    org = await factories.org_tree()
    await factories.admin("secretary", Role.BRANCH_SECRETARY, org.nanyuan_1)
    member = await factories.member(org.nanyuan_1, "王秀英")
    await TelegramUser.create(id=7001, first_name="秀英", member=member)
    me = Actor(member=member)
    pledge = await pledge_for(member, current_year(), me)
    await add_item(pledge, ItemKind.PRACTICAL, "多做好事", me)
    await submit(pledge, me)

    settings = Settings(_env_file=None, secret_key="journey", default_locale="zh_Hans")
    app = create_admin_app(settings, bot_username="xianfeng_test_bot")
    async with serving(app) as panel:
        await page.goto(f"{panel}/login")
        await page.fill("#field-username", "secretary")
        await page.fill("#field-password", factories.PASSWORD)
        await page.click("main button[type=submit]")
        await page.wait_for_url(f"{panel}/members**")

        await page.click("nav.main-nav >> text=承诺")
        await page.click("nav.sub-nav >> text=待我审核")
        await page.click("td[data-column=owner] >> text=王秀英")
        await page.wait_for_url(f"{panel}/pledges/{pledge.id}")

        # Returning needs guidance: without it the field says so and nothing changes.
        await page.click("button:has-text('退回修改')")
        await page.wait_for_selector("#error-guidance >> text=请填写内容")
        await page.fill("#field-guidance", "实事承诺请写具体：帮谁、做什么、多久一次。")
        await page.click("button:has-text('退回修改')")
        await page.wait_for_selector(".badges >> text=退回修改")
        assert "实事承诺请写具体" in await page.inner_text("#history")
        await page.screenshot(path=str(tmp_path / "returned.png"), full_page=True)

        # The member revises the pledge in the bot and submits it again.
        await add_item(pledge, ItemKind.PRACTICAL, "每周三帮李奶奶买菜", me)
        await submit(pledge, me)

        await page.click("nav.sub-nav >> text=待我审核")
        await page.click("td[data-column=owner] >> text=王秀英")
        assert "每周三帮李奶奶买菜" in await page.inner_text(".pledge-items")
        await page.click("#actions button:has-text('通过')")
        await page.wait_for_selector(".badges >> text=审核通过")
        await page.screenshot(path=str(tmp_path / "approved.png"), full_page=True)

    await pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.APPROVED and pledge.times_returned == 1
    kinds = await OutboxMessage.filter(chat_id=7001).order_by("id").values_list("kind", flat=True)
    assert kinds == ["pledge.returned", "pledge.approved"]
    assert await Pledge.filter(status=PledgeStatus.SUBMITTED).count() == 0


async def test_a_photo_sent_with_a_progress_entry_shows_on_the_pledge_page(page, product):
    """The photo comes from the sandbox's Bot API through the panel, past its CSP, into Chromium."""
    item = await PledgeItem.filter(pledge__status=PledgeStatus.PUBLISHED).order_by("id").first()
    stored = product.sandbox.state.store_file(TINY_PNG, folder="photos", mime_type="image/png", extension="jpg")
    await PledgeProgress.create(pledge_id=item.pledge_id, item=item, text="走访了 3 户独居老人",
                                photo_file_id=stored.file_id)
    admin = await log_in_first_admin(page, product)
    await page.goto(f"{admin}/pledges/{item.pledge_id}")
    photo = page.locator(".progress-photo img")
    await photo.scroll_into_view_if_needed()
    await photo.wait_for()
    loaded = await photo.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)")
    assert loaded == 1  # TINY_PNG is 1×1: the panel served it and the browser drew it
