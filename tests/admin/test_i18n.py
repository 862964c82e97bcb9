"""The panel's language: default, switcher, saved choice, Accept-Language."""

from __future__ import annotations

from models.admins import AdminUser
from tests.admin.conftest import post_form


async def switch(client, locale: str, page: str = "/login"):
    return await post_form(client, page, "/language", {"locale": locale, "next": page})


async def test_switch_from_simplified_to_english_to_traditional(make_client):
    client = await make_client()
    html = await (await client.get("/login")).text()
    assert '<html lang="zh-Hans">' in html
    assert "<h1>登录</h1>" in html

    response = await switch(client, "en")
    assert response.status == 303
    assert response.headers["Location"] == "/login"
    html = await (await client.get("/login")).text()
    assert '<html lang="en">' in html
    assert "<h1>Log in</h1>" in html

    await switch(client, "zh_Hant")
    html = await (await client.get("/login")).text()
    assert '<html lang="zh-Hant">' in html
    assert "<h1>登入</h1>" in html


async def test_choice_is_saved_on_the_account(as_user):
    client = await as_user("branch1")
    await switch(client, "en", "/members")
    assert (await AdminUser.get(username="branch1")).locale == "en"
    assert "<h1>Members</h1>" in await (await client.get("/members")).text()

    # Another browser, no language cookie: the account's choice applies after login.
    other = await as_user("branch1")
    html = await (await other.get("/members")).text()
    assert "<h1>Members</h1>" in html
    assert "Branch secretary" in html  # role labels are translated too


async def test_browser_language_is_used_without_a_choice(make_client):
    client = await make_client(headers={"Accept-Language": "fr;q=1, zh-TW;q=0.9, en;q=0.8"})
    assert '<html lang="zh-Hant">' in await (await client.get("/login")).text()
    client = await make_client(headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "<h1>Log in</h1>" in await (await client.get("/login")).text()


async def test_unknown_language_is_ignored(make_client):
    client = await make_client()
    response = await switch(client, "klingon")
    assert response.status == 303
    assert '<html lang="zh-Hans">' in await (await client.get("/login")).text()


async def test_language_switch_needs_csrf(make_client):
    client = await make_client()
    await client.get("/login")
    response = await client.post("/language", data={"locale": "en", "next": "/login"})
    assert response.status == 403
