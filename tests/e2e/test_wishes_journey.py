"""In Chromium: a community secretary reviews a paper wish, publishes it, and finds it on the
public wish wall that residents are shown (and that prints without the page's controls)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from admin.app import create_admin_app
from locales import gettext
from models.admins import Role
from models.audit import Actor
from models.clock import local_today
from models.wishes import Wish, WishStatus, submit_wish
from tests import factories
from xianfeng.settings import Settings

WISH_TEXT = "想请人教我用智能手机挂号"


def zh(message: str, **params: object) -> str:
    return gettext("zh_Hans", message).format(**params)


async def test_secretary_publishes_a_paper_wish_and_finds_it_on_the_public_wall(org, page):
    secretary = await factories.admin("nanyuan", Role.COMMUNITY_SECRETARY, org.nanyuan)
    await submit_wish(org.nanyuan, WISH_TEXT, Actor(admin=secretary), resident_name="王阿姨",
                      contact_phone="13700000000", proxy=True)
    settings = Settings(_env_file=None, secret_key="e2e-secret", default_locale="zh_Hans",
                        admin_public_url=None)
    runner = web.AppRunner(create_admin_app(settings, bot_username="xianfeng_test_bot"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    try:
        # The review queue asks for a login first, then opens.
        await page.goto(f"{base}/wishes/review")
        await page.fill("input[name=username]", "nanyuan")
        await page.fill("input[name=password]", factories.PASSWORD)
        await page.click("form[action='/login'] button[type=submit]")
        await page.wait_for_url(f"{base}/wishes/review")
        await page.click(f"td[data-column=text] a:text('{WISH_TEXT}')")

        # Publish: kind of help, service standard, deadline.
        deadline = (local_today() + timedelta(days=7)).isoformat()
        await page.select_option("select[name=category]", "convenience")
        await page.fill("textarea[name=service_standard]", "上门教学一次，教会为止")
        await page.fill("input[name=deadline]", deadline)
        await page.click("form[action$='/publish'] button[type=submit]")
        await page.wait_for_selector(f".wish-badge:text('{zh('On the wish wall')}')")
        wish = await Wish.get(text=WISH_TEXT)
        assert wish.status == WishStatus.PUBLISHED and wish.deadline.isoformat() == deadline

        # The list page shares the community's public wall.
        await page.goto(f"{base}/wishes")
        wall_link = await page.get_attribute("#walls a[target=_blank]", "href")
        assert wall_link.startswith(f"{base}/public/wall/")

        # A resident opens it: no login, no personal data.
        resident = await page.context.browser.new_context(locale="zh-CN")
        wall = await resident.new_page()
        try:
            await wall.goto(wall_link)
            await wall.wait_for_selector(f".wall-card .wall-text:text('{WISH_TEXT}')")
            card = await wall.inner_text(".wall-card")
            assert zh("Convenience services") in card and zh("Open") in card and deadline in card
            html = await wall.content()
            assert "王阿姨" not in html and "13700000000" not in html
            assert await wall.is_visible(".wall-languages")
            await wall.emulate_media(media="print")
            assert not await wall.is_visible(".wall-languages")
        finally:
            await resident.close()
    finally:
        await runner.cleanup()
