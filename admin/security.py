"""Security headers, cookie flags, CSRF protection and safe redirect targets.

CSRF: a logged-in user's forms carry the server-side session's ``csrf_token``.
Before login there is no session, so the login and language forms use a signed
double-submit token: a random nonce in the ``xf_csrf`` cookie, and in the form
``HMAC(secret_key, nonce)``. A forged cross-site form can neither read the cookie
nor compute the HMAC.

HTTPS: cookies get ``Secure`` when the request itself is https or when
``ADMIN_PUBLIC_URL`` is an https address (the panel behind a TLS-terminating
proxy). ``X-Forwarded-Proto`` is believed only from ``TRUSTED_PROXIES``
(``admin/proxies.py`` sets the request's scheme from it): any client can send it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from yarl import URL

from admin.keys import NEW_CSRF_NONCE, SECRET_KEY, SESSION, SETTINGS
from locales import N_
from models.errors import PermissionDenied

CSRF_FIELD = "csrf_token"
CSRF_COOKIE = "xf_csrf"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

SECURITY_HEADERS = {
    "Server": "xianfeng",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook: runs for every response, streamed and static ones too."""
    response.headers.update(SECURITY_HEADERS)
    if is_https(request):
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if not _is_static(request):
        # Pages show personal data and carry CSRF tokens: never keep them in any cache.
        response.headers["Cache-Control"] = "no-store"


def _is_static(request: web.Request) -> bool:
    return isinstance(request.match_info.route.resource, web.StaticResource)


def is_https(request: web.Request) -> bool:
    public_url = request.app[SETTINGS].admin_public_url or ""
    return request.secure or public_url.startswith("https://")


def set_cookie(
    response: web.StreamResponse,
    request: web.Request,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
    )


def delete_cookie(response: web.StreamResponse, request: web.Request, name: str) -> None:
    response.del_cookie(name, path="/", httponly=True, samesite="Lax", secure=is_https(request))


def local_path(target: object, default: str) -> str:
    """``target`` when it is a path on this site, else ``default``: no open redirects."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return default
    # Browsers read "/\evil.example" as "//evil.example"; control characters are never legitimate.
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return default
    url = URL(target)
    if url.scheme or url.host:
        return default
    return target


def _login_token(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, b"login-form:" + nonce.encode(), hashlib.sha256).hexdigest()


def _valid_nonce(nonce: str | None) -> bool:
    return bool(nonce) and len(nonce) <= 64


def csrf_token(request: web.Request) -> str:
    """The token to put into this request's forms."""
    session = request.get(SESSION)
    if session is not None:
        return session.csrf_token
    nonce = request.cookies.get(CSRF_COOKIE)
    if not _valid_nonce(nonce):
        nonce = request.get(NEW_CSRF_NONCE)
        if nonce is None:
            nonce = request[NEW_CSRF_NONCE] = secrets.token_urlsafe(32)
    return _login_token(request.app[SECRET_KEY], nonce)


def _csrf_valid(request: web.Request, sent: str) -> bool:
    if not sent:
        return False
    session = request.get(SESSION)
    if session is not None:
        expected = session.csrf_token
    else:
        nonce = request.cookies.get(CSRF_COOKIE)
        if not _valid_nonce(nonce):
            return False
        expected = _login_token(request.app[SECRET_KEY], nonce)
    return hmac.compare_digest(sent.encode(), expected.encode())


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in _UNSAFE_METHODS:
        form = await request.post()  # cached: the view reads the same parsed form
        sent = form.get(CSRF_FIELD)
        if not _csrf_valid(request, sent if isinstance(sent, str) else ""):
            raise PermissionDenied(
                N_(
                    "This form has expired or did not come from this site. "
                    "Please go back, reload the page and try again."
                )
            )
    return await handler(request)


@web.middleware
async def csrf_cookie_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: hand out the login-form nonce minted while rendering, error pages included."""
    response = await handler(request)
    nonce = request.get(NEW_CSRF_NONCE)
    if nonce is not None and not response.prepared:
        set_cookie(response, request, CSRF_COOKIE, nonce)
    return response
