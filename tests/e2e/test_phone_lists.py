"""Panel lists on a phone: each row becomes a card of "label value" lines.

In a 390 px wide table of eight columns, names and units came out a character a line; the
phone layout must keep a name on one line, say which field each value is, and never make the
page wider than the screen. On a desktop the same list stays a table.
"""

from __future__ import annotations

from models.activities import Activity, SignUp
from models.audit import AuditEntry
from tests.e2e.conftest import log_in_first_admin

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 900}

#: (page, column holding a person's name, that column's label)
LISTS = [("/members", "name", "姓名"), ("/pledges", "owner", "党员 / 支部"), ("/points/awards", "name", "姓名")]


async def _layout(page, url: str, column: str) -> dict:
    await page.goto(url)
    return await page.evaluate(
        """(column) => {
            const cells = [...document.querySelectorAll(`table.stack td[data-column="${column}"]`)];
            const names = cells.map((td) => td.querySelector("a"));
            return {
                rows: cells.length,
                display: cells.length ? getComputedStyle(cells[0]).display : null,
                label: cells.length ? getComputedStyle(cells[0], "::before").content : null,
                lines: Math.max(0, ...names.map((a) => a.getClientRects().length)),
                pageWidth: document.documentElement.scrollWidth,
            };
        }""",
        column,
    )


async def _logged_in(browser, running, viewport: dict, locale: str = "zh-CN"):
    context = await browser.new_context(locale=locale, viewport=viewport, is_mobile=viewport is PHONE)
    page = await context.new_page()
    await log_in_first_admin(page, running)
    return context, page


async def test_a_list_on_a_phone_is_a_card_per_row(browser, product):
    context, page = await _logged_in(browser, product, PHONE)
    admin = product.admin_url.rstrip("/")
    try:
        for path, column, label in LISTS:
            layout = await _layout(page, admin + path, column)
            assert layout["rows"] > 0, path
            assert layout["display"] == "block", (path, layout)
            assert layout["label"] == f'"{label}"', (path, layout)
            assert layout["lines"] == 1, (path, layout)  # 刘东桂兰 on one line, not four
            assert layout["pageWidth"] <= PHONE["width"], (path, layout)
    finally:
        await context.close()


async def test_a_long_label_on_a_phone_stays_inside_its_line(browser, product):
    """English labels such as "Entered on the member's behalf" take several lines at 37% of
    a phone's width; each used to run into the lines below it, over their labels."""
    entry = await AuditEntry.filter(action="member.create").order_by("id").first()
    context, page = await _logged_in(browser, product, PHONE, locale="en-US")
    admin = product.admin_url.rstrip("/")
    try:
        for path in ("/pledges", "/audit", f"/audit/{entry.id}"):
            await page.goto(admin + path)
            spilling = await page.evaluate(
                """() => [...document.querySelectorAll("table.stack tbody td")]
                    .filter((td) => td.getClientRects().length)
                    .filter((td) => td.scrollHeight > td.clientHeight + 1)
                    .map((td) => td.dataset.label)"""
            )
            cells = await page.locator("table.stack tbody td").count()
            assert cells > 0 and spilling == [], (path, spilling)
            assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    finally:
        await context.close()


async def test_an_activity_roster_on_a_phone_keeps_names_on_one_line(browser, product):
    signup = await SignUp.all().order_by("id").first()
    activity = await Activity.get(id=signup.activity_id)
    context, page = await _logged_in(browser, product, PHONE)
    try:
        await page.goto(f"{product.admin_url.rstrip('/')}/community/activities/{activity.id}")
        lines = await page.evaluate(
            """() => [...document.querySelectorAll('table.roster td[data-column="member"]')].map((td) => {
                const range = document.createRange();
                range.selectNodeContents(td);
                return range.getClientRects().length;
            })"""
        )
        assert lines and set(lines) == {1}, lines
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        await context.close()


async def test_the_same_list_on_a_desktop_is_a_table(browser, product):
    context, page = await _logged_in(browser, product, DESKTOP)
    try:
        layout = await _layout(page, product.admin_url.rstrip("/") + "/members", "name")
        assert layout["rows"] > 0
        assert layout["display"] == "table-cell"
        assert layout["label"] in ("none", "normal")
    finally:
        await context.close()


async def test_filters_fold_away_on_a_phone_and_show_on_a_desktop(browser, product):
    """Seven filters filled a phone's first screen above the audit log; on a phone they wait
    behind 更多筛选条件 (open while one is in use), on a desktop they show as before."""
    admin = product.admin_url.rstrip("/")
    context, page = await _logged_in(browser, product, PHONE)
    try:
        await page.goto(admin + "/audit")
        assert await page.locator("#list-q").is_visible()  # the search stays at hand
        assert not await page.locator("#list-actor").is_visible()
        await page.locator(".more-filters > summary").click()
        assert await page.locator("#list-actor").is_visible()
        await page.goto(admin + "/audit?object=PointCard")
        assert await page.locator("#list-object").is_visible()  # in use: open
        assert "(1)" in await page.locator(".more-filters > summary").inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        await context.close()
    context, page = await _logged_in(browser, product, DESKTOP)
    try:
        await page.goto(admin + "/audit")
        assert await page.locator("#list-actor").is_visible()
        assert not await page.locator(".more-filters > summary").is_visible()
        # Still one row of fields beside the search, as before the fold.
        search, actor = [await page.locator(s).bounding_box() for s in ("#list-q", "#list-actor")]
        assert abs(search["y"] - actor["y"]) < 2
    finally:
        await context.close()


async def test_the_dashboard_figures_come_two_to_a_row_on_a_phone(browser, product):
    """Six figures one under the other took two screens before the first chart."""
    context, page = await _logged_in(browser, product, PHONE)
    try:
        await page.goto(product.admin_url.rstrip("/") + "/")
        boxes = [await item.bounding_box() for item in await page.locator(".dashboard-counts > li").all()]
        assert len(boxes) >= 4
        assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[2]["y"] > boxes[0]["y"] + boxes[0]["height"] - 2
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        await context.close()

