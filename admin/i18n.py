"""The language of each request, and gettext for views and templates.

Nothing here is global: the locale is chosen per request and stored on it, and
templates receive the request's ``gettext`` in their context. With
``jinja2.ext.i18n`` installed, ``{{ _("Members") }}`` resolves ``gettext`` from that
context. Placeholders use ``str.format`` style, as in the catalogs:
``{{ _("{count} records", count=total) }}``; parameters are HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from babel.support import Translations
from markupsafe import Markup, escape

from admin.forms import see_other
from admin.keys import LOCALE, SETTINGS, USER
from admin.security import Handler, local_path, set_cookie
from locales import LOCALES, locale_from_language_code, translations

LOCALE_COOKIE = "xf_locale"
_ONE_YEAR = 365 * 24 * 3600


def choose_locale(request: web.Request) -> str:
    """The user's saved choice, else the language cookie, else Accept-Language, else the default."""
    user = request.get(USER)
    if user is not None and user.locale in LOCALES:
        return user.locale
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in LOCALES:
        return cookie
    for tag in accepted_languages(request.headers.get("Accept-Language", "")):
        locale = locale_from_language_code(tag)
        if locale is not None:
            return locale
    return request.app[SETTINGS].default_locale


def accepted_languages(header: str) -> list[str]:
    """Language tags from an Accept-Language header, most preferred first."""
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def locale_of(request: web.Request) -> str:
    # Error pages may be rendered before the middleware ran: choose without caching then.
    return request.get(LOCALE) or choose_locale(request)


def translations_of(request: web.Request) -> Translations:
    return translations(locale_of(request))


def gettext_of(request: web.Request) -> Callable[[str], str]:
    """Plain gettext for Python code, e.g. ``error.render(gettext_of(request))``."""
    return translations_of(request).gettext


def translate(request: web.Request, message: str, **params: object) -> str:
    return gettext_of(request)(message).format(**params)


def template_gettext(catalog: Translations) -> Callable[..., Markup]:
    def gettext(message: str, **params: object) -> Markup:
        text = escape(catalog.gettext(message))
        return text.format(**params) if params else text

    return gettext


@web.middleware
async def locale_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[LOCALE] = choose_locale(request)
    return await handler(request)


async def set_language(request: web.Request) -> web.StreamResponse:
    """POST: remember the chosen language in a cookie and, when logged in, on the account."""
    form = await request.post()
    response = see_other(local_path(form.get("next"), "/"))
    locale = form.get("locale")
    if locale not in LOCALES:
        return response
    set_cookie(response, request, LOCALE_COOKIE, locale, max_age=_ONE_YEAR)
    user = request.get(USER)
    if user is not None:
        user.locale = locale
        await user.save(update_fields=["locale"])
    return response
