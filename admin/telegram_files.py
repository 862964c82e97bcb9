"""Photos members sent the bot, fetched from the Bot API when someone in the panel looks at them.

Xianfeng stores only Telegram's ``file_id`` (the photo stays with Telegram); the panel asks
the Bot API for the file (``getFile``, then the download) each time a page shows it, and, like
every page, lets no cache keep it. Without a bot token the panel cannot reach the files.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiohttp import ClientError

from locales import N_
from models.errors import DomainError, NotFound

log = logging.getLogger(__name__)

# Bots may download files up to 20 MB; a photo message is far smaller (Telegram re-encodes it).
MAX_BYTES = 20 * 1024 * 1024
TIMEOUT_SECONDS = 20

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class FilesUnavailable(DomainError):
    """The Bot API cannot be asked now: no token configured, or it does not answer."""


@dataclass(frozen=True)
class Image:
    body: bytes
    content_type: str


def image_type(body: bytes) -> str | None:
    """The image type the bytes start with; None for anything that is not an image we show."""
    for signature, content_type in _SIGNATURES:
        if body.startswith(signature):
            return content_type
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return None


async def fetch_image(bot: Bot | None, file_id: str) -> Image:
    """The image behind ``file_id``.

    NotFound when Telegram no longer has it, or it is not an image; FilesUnavailable when the
    Bot API cannot be asked (no token) or does not answer.
    """
    if bot is None:
        raise FilesUnavailable(N_("Photos are shown when the panel runs with the bot's token (BOT_TOKEN)."))
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            file = await bot.get_file(file_id)
            if not file.file_path or (file.file_size or 0) > MAX_BYTES:
                raise NotFound(N_("Telegram no longer has this photo."))
            body = await bot.download_file(file.file_path, io.BytesIO(), timeout=TIMEOUT_SECONDS)
    except TelegramBadRequest as error:  # an expired or unknown file_id
        log.info("photo %s: %s", file_id[:16], error.message)
        raise NotFound(N_("Telegram no longer has this photo.")) from error
    except (TelegramAPIError, ClientError, TimeoutError) as error:  # network, 5xx, a revoked token
        log.warning("photo %s: the Bot API did not answer: %r", file_id[:16], error)
        raise FilesUnavailable(N_("Telegram cannot be reached right now: try again in a moment.")) from error
    data = body.getvalue()
    content_type = image_type(data)
    if content_type is None:  # never serve from the panel's origin what a browser might run
        raise NotFound(N_("This file is not a photo the panel can show."))
    return Image(data, content_type)
