"""Browser journeys: Playwright driving Debian's Chromium (TEST_CHROMIUM=/usr/bin/chromium)."""

from __future__ import annotations

import os

import pytest
import pytest_asyncio

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
