"""Photos members sent with their progress entries, shown to whoever may see the pledge."""

from __future__ import annotations

from aiohttp import web

from admin.auth import current_scope
from admin.errors import error_page
from admin.forms import path_id
from admin.keys import FILES_BOT
from admin.telegram_files import FilesUnavailable, fetch_image
from models.pledges import progress_photo


async def progress_photo_view(request: web.Request) -> web.StreamResponse:
    pledge = await current_scope(request).pledge(path_id(request, "pledge_id"))
    entry = await progress_photo(pledge, path_id(request, "entry_id"))
    try:
        image = await fetch_image(request.app.get(FILES_BOT), entry.photo_file_id)
    except FilesUnavailable as error:
        return error_page(request, 503, error)
    return web.Response(body=image.body, content_type=image.content_type)
