"""A secretary imports a member and invites them; the member binds in the sandbox chat page.

The whole product runs in-process exactly as `xianfeng run` starts it (sandbox, bot, panel,
scheduler); Chromium drives the panel and the chat page.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from models.demo import load_demo
from models.members import Member, TelegramUser
from xianfeng.runtime import start
from xianfeng.settings import Settings

CSV = "姓名,支部,党员类型,电话,特长\n林小红,东风街道/南园社区/第一支部,退休,13811112222,舞蹈\n"


async def test_import_invite_bind_and_menu(page, tmp_path):
    settings = Settings(
        _env_file=None, database_url=f"sqlite://{tmp_path / 'journey.sqlite3'}", admin_port=0,
        sandbox_port=0, bot_token=None, redis_url=None, default_locale="zh_Hans",
    )
    async with AsyncExitStack() as stack:
        running = await start(settings, stack)
        await load_demo()
        admin = running.admin_url.rstrip("/")

        await page.goto(f"{admin}/login")
        await page.fill("#field-username", running.first_admin.username)
        await page.fill("#field-password", running.first_admin.password)
        await page.click("main form[action$='/login'] button[type=submit]")
        await page.wait_for_url(f"{admin}/members**")

        await page.goto(f"{admin}/import")
        csv_path = tmp_path / "members.csv"
        csv_path.write_text(CSV, encoding="utf-8")
        await page.set_input_files("#field-file", str(csv_path))
        await page.click("form[enctype] button[type=submit]")
        await page.wait_for_load_state()
        assert "林小红" in await page.content() or "1" in await page.inner_text("main")
        member = await Member.get(name="林小红")

        await page.goto(f"{admin}/members/{member.id}")
        await page.click("text=生成邀请")
        await page.wait_for_selector("#invite-link")
        deep_link = await page.input_value("#invite-link")
        assert deep_link.startswith(f"https://t.me/{running.bot_username}?start=")
        sandbox_link = await page.get_attribute("a:has-text('在沙盒聊天中打开')", "href")

        await page.goto(sandbox_link)
        if not await page.locator("#newUser").evaluate("details => details.open"):
            await page.click("#newUser summary")
        await page.fill("#userForm input[name=first_name]", "林小红")
        await page.select_option("#userForm select[name=language_code]", "zh-hans")
        await page.click("#userForm button[type=submit]")
        await page.click("#deepLinkSend")
        await page.wait_for_selector("#log >> text=您的 Telegram 账号已与党员身份绑定", timeout=10_000)
        await page.wait_for_selector("#log >> text=我的信息", timeout=10_000)
        await page.screenshot(path=str(tmp_path / "bound.png"))

        bound = await TelegramUser.get(member_id=member.id)
        assert bound.first_name == "林小红"
