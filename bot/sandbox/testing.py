"""Helpers for tests and benchmarks that run aiogram against the sandbox."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from .server import SandboxServer


class QuickCloseSession(AiohttpSession):
    """``AiohttpSession`` without the 250 ms pause on close (there is no TLS on loopback)."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def sandbox_bot(server: SandboxServer | str, token: str | None = None) -> Bot:
    """An aiogram ``Bot`` talking to the sandbox (a running server or its base URL).

    Uses ``DefaultBotProperties(parse_mode=ParseMode.HTML)`` like the product.
    Close it with ``await bot.session.close()``.
    """
    if isinstance(server, SandboxServer):
        base, token = server.url, token or server.token
    else:
        base = server
        if token is None:
            raise ValueError("a token is needed when only the URL is given")
    return Bot(
        token,
        session=QuickCloseSession(api=TelegramAPIServer.from_base(base)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
