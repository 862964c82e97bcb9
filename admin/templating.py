"""The Jinja2 environment and the one way views render a page."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from admin.i18n import locale_of, template_gettext, translations_of
from admin.keys import SCOPE, SETTINGS, USER
from admin.labels import LABELS, audit_action_label
from admin.security import csrf_token
from locales import LANGUAGE_NAMES

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def localtime(value: datetime | None, tz: tzinfo) -> str:
    """Times are stored in UTC and shown in the configured TIMEZONE."""
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def setup_templates(app: web.Application) -> jinja2.Environment:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["localtime"] = partial(localtime, tz=app[SETTINGS].tz)
    env.globals["labels"] = LABELS
    env.globals["languages"] = LANGUAGE_NAMES
    env.globals["zip"] = zip
    env.globals["audit_action_label"] = audit_action_label
    app[aiohttp_jinja2.static_root_key] = "/static"
    return env


def render(
    request: web.Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> web.Response:
    locale = locale_of(request)
    base = {
        "request": request,
        "gettext": template_gettext(translations_of(request)),
        "locale": locale,
        "html_lang": locale.replace("_", "-"),
        "csrf_token": lambda: csrf_token(request),
        "user": request.get(USER),
        "scope": request.get(SCOPE),
    }
    return aiohttp_jinja2.render_template(
        template, request, {**base, **(context or {})}, status=status
    )
