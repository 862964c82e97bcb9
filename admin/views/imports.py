"""Member import (.xlsx, .csv): every line valid, or nothing imported and all problems listed."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from admin.auth import current_actor, current_scope
from admin.excel import xlsx_response
from admin.i18n import gettext_of, translate
from admin.labels import MEMBER_FIELD_LABELS
from admin.templating import render
from locales import N_
from models.importer import MAX_BYTES, ImportFailed, import_members, template_rows

UPLOAD_FIELD = "file"


@dataclass(frozen=True)
class Problem:
    line: int | None  # None: the file as a whole (unreadable, header wrong, ...)
    column: str
    message: str


def _problems(failure: ImportFailed, gettext) -> list[Problem]:
    return [
        Problem(
            line=error.line or None,
            column=gettext(MEMBER_FIELD_LABELS.get(error.field, error.field))
            if error.field
            else "",
            message=error.error.render(gettext),
        )
        for error in failure.errors
    ]


def _upload_page(
    request: web.Request, context: dict | None = None, *, status: int = 200
) -> web.Response:
    context = {
        "max_mb": MAX_BYTES // 1024 // 1024,
        "error": None,
        "problems": None,
        **(context or {}),
    }
    return render(request, "imports/upload.html", context, status=status)


async def import_page(request: web.Request) -> web.StreamResponse:
    current_scope(request).require_write()
    return _upload_page(request)


async def import_file(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    upload = (await request.post()).get(UPLOAD_FIELD)
    if not isinstance(upload, web.FileField) or not upload.filename:
        return _upload_page(
            request, {"error": translate(request, N_("Choose a file to upload."))}, status=422
        )
    try:
        members = await import_members(
            upload.filename, upload.file.read(), current_actor(request), scope=scope
        )
    except ImportFailed as failure:
        gettext = gettext_of(request)
        return _upload_page(
            request,
            {
                "filename": upload.filename,
                "error": failure.render(gettext),
                "problems": _problems(failure, gettext),
            },
            status=422,
        )
    return render(request, "imports/done.html", {"members": members})


async def template(request: web.Request) -> web.StreamResponse:
    header, *examples = template_rows()
    return await xlsx_response(request, "members-template.xlsx", header, examples)
