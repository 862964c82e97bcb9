"""Login, logout, sessions, throttling and redirects after login."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from yarl import URL

from models.admins import AdminSession, LoginAttempt, record_login_attempt
from tests import factories
from tests.admin.conftest import csrf_token, login, post_form


async def test_login_opens_a_session_and_lands_on_the_member_list(make_client, admin):
    await admin("branch1")
    client = await make_client()
    response = await login(client, "branch1")
    assert response.status == 303
    assert response.headers["Location"] == "/members"
    assert await AdminSession.filter(user=await admin("branch1")).count() == 1

    page = await client.get("/members")
    assert page.status == 200
    assert "branch1" in await page.text()


async def test_logout_deletes_the_session_so_the_old_cookie_is_useless(make_client, admin):
    await admin("branch1")
    client = await make_client()
    await login(client, "branch1")
    stolen = client.session.cookie_jar.filter_cookies(client.make_url("/"))["xf_session"].value

    response = await post_form(client, "/members", "/logout")
    assert response.status == 303
    assert response.headers["Location"] == "/login"
    assert await AdminSession.filter(user=await admin("branch1")).count() == 0

    thief = await make_client(cookies={"xf_session": stolen})
    response = await thief.get("/members", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"].startswith("/login")


async def test_an_expired_session_or_a_deactivated_user_is_sent_to_login(make_client, admin):
    user = await admin("branch1")
    client = await make_client()
    await login(client, "branch1")
    assert (await client.get("/members", allow_redirects=False)).status == 200

    await AdminSession.filter(user=user).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    response = await client.get("/members", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"].startswith("/login")

    await AdminSession.filter(user=user).update(expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert (await client.get("/members", allow_redirects=False)).status == 200
    user.is_active = False
    await user.save(update_fields=["is_active"])
    response = await client.get("/members", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"].startswith("/login")


async def test_logging_in_again_replaces_the_previous_session(make_client, admin):
    await admin("branch1")
    client = await make_client()
    await login(client, "branch1")
    first = client.session.cookie_jar.filter_cookies(client.make_url("/"))["xf_session"].value

    await login(client, "branch1")
    second = client.session.cookie_jar.filter_cookies(client.make_url("/"))["xf_session"].value
    assert second != first
    assert await AdminSession.filter(user=await admin("branch1")).count() == 1
    replay = await make_client(cookies={"xf_session": first})
    assert (await replay.get("/members", allow_redirects=False)).status == 302


async def test_wrong_password_is_refused(make_client, admin):
    await admin("branch1")
    client = await make_client()
    response = await login(client, "branch1", "not the password")
    assert response.status == 200
    assert "用户名或密码错误" in await response.text()
    assert "xf_session" not in response.cookies
    assert await AdminSession.all().count() == 0
    assert await LoginAttempt.filter(username="branch1", success=False).count() == 1


async def test_unknown_user_gets_the_same_answer(make_client, admin):
    await admin("branch1")  # someone exists, just not "nobody"
    client = await make_client()
    response = await login(client, "nobody")
    assert response.status == 200
    assert "用户名或密码错误" in await response.text()
    assert "xf_session" not in response.cookies


async def test_five_failures_for_a_user_block_even_the_right_password(make_client, admin, settings):
    await admin("branch1")
    client = await make_client()
    for _ in range(settings.login_max_failures):
        assert (await login(client, "branch1", "wrong password!")).status == 200

    response = await login(client, "branch1")
    assert response.status == 429
    assert "登录失败次数过多" in await response.text()
    assert "xf_session" not in response.cookies
    assert await AdminSession.all().count() == 0


async def test_failures_from_other_addresses_count_for_the_user_name(make_client, admin, settings):
    await admin("branch1")
    for number in range(settings.login_max_failures):
        await record_login_attempt("branch1", f"203.0.113.{number}", success=False)
    response = await login(await make_client(), "branch1")
    assert response.status == 429


async def test_failures_from_one_address_block_it_for_every_user(make_client, admin, settings):
    await admin("nanyuan")
    client = await make_client()
    for number in range(settings.login_max_failures):
        await login(client, f"guess{number}", "wrong password!")
    response = await login(client, "nanyuan")
    assert response.status == 429
    assert await AdminSession.all().count() == 0


async def test_pages_redirect_to_login_and_back(make_client, admin):
    await admin("branch1")
    client = await make_client()
    response = await client.get("/members?q=%E5%BC%A0", allow_redirects=False)
    assert response.status == 302
    location = URL(response.headers["Location"])
    assert location.path == "/login"
    assert location.query["next"] == "/members?q=%E5%BC%A0"

    page = await client.get(location)
    assert 'name="next" value="/members?q=%E5%BC%A0"' in await page.text()
    response = await login(client, "branch1", next=location.query["next"])
    assert response.headers["Location"] == "/members?q=%E5%BC%A0"


async def test_next_pointing_to_another_site_is_ignored(make_client, admin):
    await admin("branch1")
    for target in (
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        client = await make_client()
        page = await client.get("/login", params={"next": target})
        assert 'name="next" value="/members"' in await page.text()
        response = await login(client, "branch1", next=target)
        assert response.status == 303
        assert response.headers["Location"] == "/members", target


async def test_session_cookie_flags(make_client, admin):
    await admin("branch1")
    response = await login(await make_client(), "branch1")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("xf_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in tests; see the https test below


async def test_cookies_are_secure_when_the_panel_is_served_over_https(make_client, admin, settings):
    await admin("branch1")
    settings.admin_public_url = "https://panel.example.org"
    client = await make_client()
    page = await client.get("/login")
    assert "Secure" in page.headers["Set-Cookie"]  # the login form's CSRF cookie
    # The cookie jar will not send a Secure cookie over http, so post the token by hand.
    response = await client.post(
        "/login",
        data={
            "username": "branch1",
            "password": factories.PASSWORD,
            "csrf_token": csrf_token(await page.text()),
        },
        cookies={"xf_csrf": page.cookies["xf_csrf"].value},
        allow_redirects=False,
    )
    assert response.status == 303
    assert "Secure" in response.headers["Set-Cookie"]


async def test_home_is_the_dashboard(as_user):
    client = await as_user("branch1")
    response = await client.get("/", allow_redirects=False)
    assert response.status == 200
    assert 'class="dashboard-counts"' in await response.text()
