"""In Chromium: at the end of the year a secretary picks a community on the leaderboard, opens
its roll of honour (光荣榜) and prints it: one A4 page, the award earner named. Then shares it
by a public link, which opens in a browser that is not logged in."""

from __future__ import annotations

import re

from locales import gettext
from models.clock import current_year
from tests.e2e.conftest import log_in_first_admin

AWARD_EARNER = "刘南桂兰"  # the demo's member past the award, in 南园社区


def zh(message: str, **params: object) -> str:
    return gettext("zh_Hans", message).format(**params)


async def test_the_roll_of_honour_of_a_community_prints_on_one_a4_page_and_is_shared(product, page, browser):
    admin = await log_in_first_admin(page, product)
    await page.goto(f"{admin}/points/leaderboard")
    await page.select_option("select[name=community]", label="南园社区")
    await page.click("form.list-controls button[type=submit]")
    await page.wait_for_selector(f"td[data-column=name] a:text('{AWARD_EARNER}')")

    async with page.context.expect_page() as opened:
        await page.click(f"a:text('{zh('Printable roll of honour')}')")
    roll = await opened.value
    await roll.wait_for_load_state()
    assert await roll.inner_text("h1") == zh("Roll of honour: {award}, {year}",
                                             award=zh("Dedication award"), year=current_year())
    assert await roll.locator(".honour-name").all_inner_texts() == [AWARD_EARNER]
    assert "南园社区" in await roll.inner_text(".notice-org")

    await roll.emulate_media(media="print")
    pdf = await roll.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1

    await roll.close()
    await page.click(f"a:text('{zh('Share the roll of honour')}')")
    await page.click(f"#links button:text('{zh('Create a public link')}')")
    address = await page.input_value("#links input.copy")
    assert re.fullmatch(rf"{re.escape(product.admin_url.rstrip('/'))}/public/honour-roll/[\w-]+", address), address

    stranger = await browser.new_context()  # no session: whoever the link was sent to
    shared = await stranger.new_page()
    await shared.goto(address)
    assert await shared.locator(".honour-name").all_inner_texts() == [AWARD_EARNER]
    await stranger.close()
