"""Server-side sessions, the login requirement, login/logout, and who the current user is.

The ``xf_session`` cookie carries a random token; the database keeps its hash
(``models.admins``). Logging in always opens a new session (no fixation);
logging out deletes the row, so a copied cookie stops working at once.

Throttling counts failed logins per user name and per client address
(``request.remote``). Behind a reverse proxy, list it in ``TRUSTED_PROXIES`` so that
``remote`` is the client's address (``admin/proxies.py``); otherwise every request comes
from the proxy and the per-address limit applies to all users together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from aiohttp import web
from yarl import URL

from admin.forms import see_other
from admin.i18n import translate
from admin.keys import SCOPE, SESSION, SESSION_TOKEN, SETTINGS, USER
from admin.security import Handler, delete_cookie, local_path, set_cookie
from admin.templating import render
from locales import N_
from models.admins import (
    authenticate,
    close_session,
    finish_login_attempt,
    open_session,
    session_for_token,
    start_login_attempt,
)
from models.audit import Actor
from models.scope import Scope

SESSION_COOKIE = "xf_session"
HOME = "/members"

F = TypeVar("F", bound=Callable)


def public(handler: F) -> F:
    """Mark a view as reachable without logging in."""
    handler.public = True  # type: ignore[attr-defined]
    return handler


def _is_public(request: web.Request) -> bool:
    route = request.match_info.route
    return isinstance(route.resource, web.StaticResource) or getattr(route.handler, "public", False)


def login_url(request: web.Request) -> str:
    # Only a page worth returning to: after login, a POST target would be opened with GET.
    if request.method in ("GET", "HEAD") and request.path != "/":
        return str(URL("/login").with_query(next=request.path_qs))
    return "/login"


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE, "")
    session = await session_for_token(token) if token else None
    if session is not None:
        request[SESSION] = session
        request[SESSION_TOKEN] = token
        request[USER] = session.user
        request[SCOPE] = await Scope.of(session.user)
    elif not _is_public(request):
        raise web.HTTPFound(login_url(request))
    return await handler(request)


def current_scope(request: web.Request) -> Scope:
    return request[SCOPE]


def current_actor(request: web.Request) -> Actor:
    return Actor(admin=request[USER])


def _login_form(
    request: web.Request,
    *,
    username: str = "",
    next_path: str = HOME,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    return render(
        request,
        "login.html",
        {"username": username, "next": next_path, "error": error},
        status=status,
    )


async def login_page(request: web.Request) -> web.StreamResponse:
    next_path = local_path(request.query.get("next"), HOME)
    if USER in request:
        return see_other(next_path)
    return _login_form(request, next_path=next_path)


async def login(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    form = await request.post()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    next_path = local_path(form.get("next"), HOME)
    ip = request.remote or ""

    # Checked before the password: once blocked, even the right password is refused.
    window = timedelta(minutes=settings.login_window_minutes)
    attempt = await start_login_attempt(
        username, ip, max_failures=settings.login_max_failures, window=window
    )
    if attempt is None:
        error = translate(
            request,
            N_("Too many failed attempts. Please wait {minutes} minutes and try again."),
            minutes=settings.login_window_minutes,
        )
        return _login_form(request, username=username, next_path=next_path, error=error, status=429)

    user = await authenticate(username, password)
    await finish_login_attempt(attempt, success=user is not None)
    if user is None:
        error = translate(request, N_("Wrong user name or password."))
        return _login_form(request, username=username, next_path=next_path, error=error)

    if SESSION_TOKEN in request:
        await close_session(request[SESSION_TOKEN])
    token, _ = await open_session(user, timedelta(hours=settings.session_hours))
    response = see_other(next_path)
    set_cookie(response, request, SESSION_COOKIE, token, max_age=settings.session_hours * 3600)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    await close_session(request[SESSION_TOKEN])
    response = see_other("/login")
    delete_cookie(response, request, SESSION_COOKIE)
    return response
