"""The admin panel's application factory and route table."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from admin import auth, i18n, security
from admin.errors import error_middleware
from admin.keys import BOT_USERNAME, SANDBOX_CHAT_URL, SECRET_KEY, SETTINGS
from admin.templating import setup_templates
from admin.views import imports, invites, members, org
from models.importer import MAX_BYTES
from xianfeng.settings import Settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Room for the multipart envelope around an upload of MAX_BYTES; bigger bodies get a 413 page.
CLIENT_MAX_SIZE = MAX_BYTES + 256 * 1024


def create_admin_app(
    settings: Settings,
    *,
    bot_username: str | Callable[[], str],
    sandbox_chat_url: str | None = None,
) -> web.Application:
    """Build the panel. The database must already be initialised by the caller.

    ``bot_username`` may be a callable when the name is only known once the bot
    has started (getMe); it is called whenever a deep link is built.
    """
    app = web.Application(
        client_max_size=CLIENT_MAX_SIZE,
        middlewares=[
            security.csrf_cookie_middleware,
            error_middleware,
            auth.session_middleware,
            i18n.locale_middleware,
            security.csrf_middleware,
        ],
    )
    app[SETTINGS] = settings
    if settings.secret_key:
        app[SECRET_KEY] = settings.secret_key.encode()
    else:
        log.warning(
            "SECRET_KEY is not set: using a random key, login forms open before a restart expire"
        )
        app[SECRET_KEY] = secrets.token_bytes(32)
    app[BOT_USERNAME] = bot_username if callable(bot_username) else (lambda: bot_username)
    app[SANDBOX_CHAT_URL] = sandbox_chat_url or ""
    setup_templates(app)
    app.on_response_prepare.append(security.add_security_headers)
    add_routes(app.router)
    return app


async def home(request: web.Request) -> web.StreamResponse:
    # The dashboard comes later; until then the member list is the start page.
    raise web.HTTPFound("/members")


def add_routes(router: web.UrlDispatcher) -> None:
    public = auth.public
    router.add_get("/", home, name="home")
    router.add_get("/login", public(auth.login_page), name="login")
    router.add_post("/login", public(auth.login))
    router.add_post("/logout", auth.logout, name="logout")
    router.add_post("/language", public(i18n.set_language), name="language")

    router.add_get("/members", members.member_list, name="members")
    router.add_get("/members/export.xlsx", members.member_export, name="members.export")
    router.add_get("/members/new", members.new_member_form, name="member.new")
    router.add_post("/members/new", members.create_member_view)
    router.add_get(r"/members/{member_id:\d+}", members.member_detail, name="member")
    router.add_get(r"/members/{member_id:\d+}/edit", members.edit_member_form, name="member.edit")
    router.add_post(r"/members/{member_id:\d+}/edit", members.update_member_view)
    router.add_post(r"/members/{member_id:\d+}/invites", invites.issue, name="member.invite")
    router.add_get(r"/members/{member_id:\d+}/invite.png", invites.qr_code, name="member.invite_qr")

    router.add_get("/invites", invites.invite_list, name="invites")
    router.add_get("/invites/export.xlsx", invites.invite_export, name="invites.export")
    router.add_post("/invites/issue", invites.issue_many, name="invites.issue")
    router.add_post(r"/invites/{invite_id:\d+}/revoke", invites.revoke, name="invite.revoke")

    router.add_get("/org", org.org_tree, name="org")
    router.add_post("/org/units", org.add_unit, name="org.add")

    router.add_get("/import", imports.import_page, name="imports")
    router.add_post("/import", imports.import_file)
    router.add_get("/import/template.xlsx", imports.template, name="imports.template")

    router.add_static("/static/", STATIC_DIR, name="static")
