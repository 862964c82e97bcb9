"""In Chromium: at the end of the year a secretary picks a community on the leaderboard, opens
its roll of honour (光荣榜) and prints it: one A4 page, the award earner named."""

from __future__ import annotations

import re

from locales import gettext
from models.clock import current_year
from tests.e2e.conftest import log_in_first_admin

AWARD_EARNER = "刘南桂兰"  # the demo's member past the award, in 南园社区


def zh(message: str, **params: object) -> str:
    return gettext("zh_Hans", message).format(**params)


async def test_the_roll_of_honour_of_a_community_prints_on_one_a4_page(product, page):
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
