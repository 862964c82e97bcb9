"""CSRF, security headers, escaping and error pages."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from admin.app import create_admin_app
from models.admins import AdminSession, Role
from models.invites import Invite
from tests import factories
from tests.admin.conftest import BOT_USERNAME, csrf_token, login


async def test_login_without_csrf_token_is_refused(make_client, admin):
    await admin("branch1")
    client = await make_client()
    await client.get("/login")  # sets the CSRF cookie
    response = await client.post(
        "/login", data={"username": "branch1", "password": factories.PASSWORD}
    )
    assert response.status == 403
    assert "表单已过期" in await response.text()
    assert await AdminSession.all().count() == 0


async def test_login_with_wrong_csrf_token_is_refused(make_client, admin):
    await admin("branch1")
    client = await make_client()
    await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": "branch1",
            "password": factories.PASSWORD,
            "csrf_token": "0" * 64,
        },
    )
    assert response.status == 403
    assert await AdminSession.all().count() == 0


async def test_login_token_without_its_cookie_is_refused(make_client, admin):
    """A token copied from another browser is useless: it is bound to that browser's cookie."""
    await admin("branch1")
    victim = await make_client()
    token = csrf_token(await (await victim.get("/login")).text())
    attacker = await make_client()
    response = await attacker.post(
        "/login",
        data={
            "username": "branch1",
            "password": factories.PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status == 403


async def test_logged_in_form_without_or_with_wrong_token_is_refused(as_user, org):
    member = await factories.member(org.nanyuan_1)
    client = await as_user("branch1")
    for data in ({}, {"csrf_token": "wrong"}):
        response = await client.post(f"/members/{member.id}/invites", data=data)
        assert response.status == 403
        assert "表单已过期" in await response.text()
    assert await Invite.filter(member=member).count() == 0


async def test_another_sessions_token_is_refused(as_user, org):
    member = await factories.member(org.nanyuan_1)
    other = await as_user("nanyuan")
    foreign_token = csrf_token(await (await other.get("/members")).text())
    client = await as_user("branch1")
    response = await client.post(
        f"/members/{member.id}/invites", data={"csrf_token": foreign_token}
    )
    assert response.status == 403
    assert await Invite.filter(member=member).count() == 0


async def test_security_headers_on_every_response(make_client, admin):
    await admin("branch1")
    client = await make_client()
    await login(client, "branch1")
    for path in ("/login", "/members", "/static/admin.css", "/no-such-page"):
        response = await client.get(path)
        headers = response.headers
        assert headers["Server"] == "xianfeng", path
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "img-src 'self' data:" in csp
        assert "unsafe-inline" not in csp
    assert (await client.get("/members")).headers["Cache-Control"] == "no-store"


async def test_pages_have_no_inline_script(as_user):
    client = await as_user("street")
    for path in ("/members", "/org", "/invites", "/import", "/members/new"):
        html = await (await client.get(path)).text()
        assert "<script" not in html, path
        assert " onclick=" not in html, path
        assert " style=" not in html, path  # CSP: no inline styles either


async def test_member_names_are_escaped(as_user, org):
    member = await factories.member(org.nanyuan_1, "<script>alert(1)</script>")
    client = await as_user("branch1")
    for path in ("/members", f"/members/{member.id}", f"/members/{member.id}/edit"):
        html = await (await client.get(path)).text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert "<script>alert(1)" not in html, path


async def test_unknown_page_gives_a_translated_404(as_user):
    client = await as_user("branch1")
    response = await client.get("/no-such-page")
    assert response.status == 404
    assert "页面不存在" in await response.text()


async def test_wrong_method_gives_a_translated_405(as_user):
    client = await as_user("branch1")
    response = await client.get("/logout")
    assert response.status == 405
    assert "Allow" in response.headers
    assert "此处不允许该操作" in await response.text()


async def test_unexpected_error_shows_a_translated_page_without_traceback(
    db, org, settings, caplog
):
    await factories.admin("branch1", Role.BRANCH_SECRETARY, org.nanyuan_1)
    app = create_admin_app(settings, bot_username=BOT_USERNAME)

    async def broken(request):
        raise RuntimeError("secret internals")

    app.router.add_get("/broken", broken)
    async with TestClient(TestServer(app)) as client:
        await login(client, "branch1")
        response = await client.get("/broken")
        html = await response.text()
    assert response.status == 500
    assert "系统出错了" in html
    assert "secret internals" not in html
    assert "Traceback" not in html
    assert "secret internals" in caplog.text
