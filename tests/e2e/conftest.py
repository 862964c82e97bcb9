"""Browser journeys: Playwright driving Debian's Chromium (TEST_CHROMIUM=/usr/bin/chromium)."""

from __future__ import annotations

import os
from contextlib import AsyncExitStack

import pytest
import pytest_asyncio

from models.demo import load_demo
from xianfeng.runtime import Running, start
from xianfeng.settings import Settings

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture
def chromium_path() -> str:
    path = os.environ.get("TEST_CHROMIUM")
    if not path:
        pytest.skip("TEST_CHROMIUM is not set: browser journeys need a Chromium binary (CI sets it)")
    if not os.path.exists(path):
        pytest.skip(f"TEST_CHROMIUM={path} does not exist")
    return path


@pytest_asyncio.fixture
async def browser(chromium_path):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture
async def page(browser):
    context = await browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()


@pytest_asyncio.fixture
async def product(tmp_path):
    """The whole product in-process, as `xianfeng run` starts it (sandbox, bot, panel,
    scheduler), with the demo district loaded."""
    settings = Settings(
        _env_file=None, database_url=f"sqlite://{tmp_path / 'journey.sqlite3'}", admin_port=0,
        sandbox_port=0, bot_token=None, redis_url=None, default_locale="zh_Hans",
    )
    async with AsyncExitStack() as stack:
        running = await start(settings, stack)
        await load_demo()
        yield running


async def log_in_first_admin(page, running: Running) -> str:
    """Log ``page`` into the panel as the first-run administrator; returns the panel's base URL."""
    admin = running.admin_url.rstrip("/")
    await page.goto(f"{admin}/login")
    await page.fill("#field-username", running.first_admin.username)
    await page.fill("#field-password", running.first_admin.password)
    await page.click("main form[action$='/login'] button[type=submit]")
    await page.wait_for_url(f"{admin}/members**")
    return admin
