"""Fixtures for the sandbox tests: a running sandbox, a user-side client and an aiogram Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bot.sandbox import SandboxClient, SandboxServer
from bot.sandbox.testing import sandbox_bot

BOT_ID = 4242
TOKEN = f"{BOT_ID}:TEST-token_abc"


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(webhook_retry_base=0.05, webhook_retry_max=0.2) as server:
        yield server


@pytest.fixture
async def limited_sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(enforce_limits=True) as server:
        yield server


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.url, default_timeout=3.0) as c:
        yield c


@pytest.fixture
async def bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    b = sandbox_bot(sandbox, TOKEN)
    yield b
    await b.session.close()
