"""Absolute addresses of panel pages, for links shared outside the panel (a public notice, a
roll of honour, a wish wall)."""

from __future__ import annotations

from aiohttp import web

from admin.keys import SETTINGS


def shared_url(request: web.Request, route: str, **parts: str) -> str:
    """The address of ``route`` as others reach it: on ADMIN_PUBLIC_URL when one is
    configured, else on the address this request came in on."""
    base = request.app[SETTINGS].admin_public_url or str(request.url.origin())
    return base.rstrip("/") + str(request.app.router[route].url_for(**parts))
