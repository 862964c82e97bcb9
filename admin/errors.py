"""Translated error pages; no traceback ever reaches the browser, every error is logged."""

from __future__ import annotations

import logging

from aiohttp import web

from admin.i18n import gettext_of
from admin.keys import USER
from admin.security import Handler
from admin.templating import render
from locales import N_
from models.errors import DomainError, NotFound, PermissionDenied
from models.importer import MAX_BYTES

log = logging.getLogger(__name__)

TITLES = {
    400: N_("This cannot be done"),
    403: N_("Access denied"),
    404: N_("Page not found"),
    405: N_("This action is not allowed here"),
    413: N_("The upload is too large"),
    429: N_("Too many requests"),
    500: N_("Something went wrong"),
}
MESSAGES = {
    400: DomainError(N_("The request could not be understood.")),
    403: DomainError(N_("You do not have the rights for this page.")),
    404: DomainError(N_("The page does not exist, or it is outside your organisation.")),
    405: DomainError(N_("This address cannot be used this way.")),
    413: DomainError(N_("The file is larger than {size} MB."), size=MAX_BYTES // 1024 // 1024),
    429: DomainError(N_("Too many requests. Please wait a few minutes and try again.")),
    500: DomainError(N_("The error has been recorded. Please try again later.")),
}


def error_page(request: web.Request, status: int, error: DomainError | None = None) -> web.Response:
    fallback = 500 if status >= 500 else 400
    if error is None:
        error = MESSAGES.get(status, MESSAGES[fallback])
    context = {
        "status": status,
        "title": TITLES.get(status, TITLES[fallback]),
        "message": error.render(gettext_of(request)),
    }
    return render(request, "error.html", context, status=status)


def _who(request: web.Request) -> str:
    user = request.get(USER)
    return user.username if user is not None else "-"


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFound as error:
        log.info("404 %s %s (%s)", request.method, request.path, _who(request))
        return error_page(request, 404, error)
    except PermissionDenied as error:
        log.warning(
            "403 %s %s (%s): %s", request.method, request.path, _who(request), error.message
        )
        return error_page(request, 403, error)
    except DomainError as error:
        # A refused action the view did not handle itself, e.g. revoking an invite already used.
        log.info("400 %s %s (%s): %s", request.method, request.path, _who(request), error.message)
        return error_page(request, 400, error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # redirects
        log.info("%s %s %s (%s)", exc.status, request.method, request.path, _who(request))
        response = error_page(request, exc.status)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("500 %s %s (%s)", request.method, request.path, _who(request))
        return error_page(request, 500)
