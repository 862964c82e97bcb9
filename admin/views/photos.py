"""Photos members sent the bot with progress entries (pledges) and notes (wishes), shown to
whoever may see the pledge or the wish."""

from __future__ import annotations

from aiohttp import web

from admin.auth import current_scope
from admin.errors import error_page
from admin.forms import path_id
from admin.keys import FILES_BOT
from admin.telegram_files import FilesUnavailable, fetch_image
from models import pledges, wishes


async def pledge_progress_photo(request: web.Request) -> web.StreamResponse:
    pledge = await current_scope(request).pledge(path_id(request, "pledge_id"))
    entry = await pledges.progress_photo(pledge, path_id(request, "entry_id"))
    return await _photo(request, entry.photo_file_id)


async def wish_note_photo(request: web.Request) -> web.StreamResponse:
    wish = await current_scope(request).wish(path_id(request, "wish_id"))
    note = await wishes.note_photo(wish, path_id(request, "note_id"))
    return await _photo(request, note.photo_file_id)


async def _photo(request: web.Request, file_id: str) -> web.StreamResponse:
    try:
        image = await fetch_image(request.app.get(FILES_BOT), file_id)
    except FilesUnavailable as error:
        return error_page(request, 503, error)
    return web.Response(body=image.body, content_type=image.content_type)


def photos_shown(request: web.Request) -> bool:
    """Whether the panel can fetch photos (else pages say why they show none)."""
    return FILES_BOT in request.app
