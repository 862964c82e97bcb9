"""A secretary imports a member and invites them; the member binds in the sandbox chat page.

The whole product runs in-process exactly as `xianfeng run` starts it (sandbox, bot, panel,
scheduler); Chromium drives the panel and the chat page.
"""

from __future__ import annotations

from models.members import Member, TelegramUser
from tests.e2e.conftest import log_in_first_admin

CSV = "姓名,支部,党员类型,电话,特长\n林小红,东风街道/南园社区/第一支部,退休,13811112222,舞蹈\n"


async def test_import_invite_bind_and_menu(page, product, tmp_path):
    running = product
    admin = await log_in_first_admin(page, running)

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
