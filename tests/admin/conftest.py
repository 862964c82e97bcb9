"""Fixtures for the panel: the app on a test server, logged-in clients per role, form helpers."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from html import unescape

import pytest
import pytest_asyncio
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook

from admin.app import create_admin_app
from locales import gettext
from models.admins import AdminUser, Role
from tests import factories
from xianfeng.settings import Settings

BOT_USERNAME = "xianfeng_test_bot"
SANDBOX_CHAT_URL = "http://127.0.0.1:8081/chat"

_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

ClientFactory = Callable[..., Awaitable[TestClient]]


def zh(message: str, **params: object) -> str:
    """The Simplified Chinese text of a message id, as the default-language pages show it."""
    text = gettext("zh_Hans", message)
    assert text != message, f"untranslated: {message}"
    return text.format(**params)


def csrf_token(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "the page has no form with a CSRF token"
    return unescape(match.group(1))


@pytest.fixture
def settings() -> Settings:
    return Settings(
        _env_file=None, secret_key="test-secret-key", default_locale="zh_Hans", admin_public_url=None
    )


@pytest_asyncio.fixture
async def make_client(db, settings) -> AsyncIterator[ClientFactory]:
    """``await make_client()``: a new browser (own cookie jar) on one shared test server."""
    app = create_admin_app(settings, bot_username=BOT_USERNAME, sandbox_chat_url=SANDBOX_CHAT_URL)
    server = TestServer(app)
    await server.start_server()
    clients: list[TestClient] = []

    async def make(**kwargs) -> TestClient:
        client = TestClient(server, **kwargs)
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
    await server.close()


async def login(client: TestClient, username: str, password: str = factories.PASSWORD, **extra):
    page = await client.get("/login")
    form = {
        "username": username,
        "password": password,
        "csrf_token": csrf_token(await page.text()),
        **extra,
    }
    return await client.post("/login", data=form, allow_redirects=False)


async def post_form(
    client: TestClient, page_url: str, action: str, data: dict | None = None, **kwargs
):
    """Open ``page_url`` like a browser, then post to ``action`` with that page's CSRF token."""
    page = await client.get(page_url)
    assert page.status == 200, page_url
    return await client.post(
        action,
        data={"csrf_token": csrf_token(await page.text()), **(data or {})},
        allow_redirects=False,
        **kwargs,
    )


async def upload(client: TestClient, filename: str, data: bytes):
    """Post ``data`` as a member import file, as the import page's form does."""
    page = await client.get("/import")
    form = FormData()
    form.add_field("csrf_token", csrf_token(await page.text()))
    form.add_field("file", data, filename=filename, content_type="application/octet-stream")
    return await client.post("/import", data=form)


# The panel users of the tests: user name -> (role, attribute of the ``org`` fixture).
ADMIN_ROLES = {
    "street": (Role.STREET_ADMIN, "street"),
    "nanyuan": (Role.COMMUNITY_SECRETARY, "nanyuan"),
    "branch1": (Role.BRANCH_SECRETARY, "nanyuan_1"),
    "staff": (Role.STAFF, "street"),
}


@pytest_asyncio.fixture
async def admin(org) -> Callable[[str], Awaitable[AdminUser]]:
    """``await admin("branch1")``: that user of ADMIN_ROLES, created on first use."""

    async def get(username: str) -> AdminUser:
        existing = await AdminUser.get_or_none(username=username)
        if existing is not None:
            return existing
        role, unit = ADMIN_ROLES[username]
        return await factories.admin(username, role, getattr(org, unit))

    return get


@pytest_asyncio.fixture
async def as_user(make_client, admin) -> Callable[[str], Awaitable[TestClient]]:
    """``await as_user("branch1")``: a new browser, logged in as that user."""

    async def logged_in(username: str) -> TestClient:
        await admin(username)
        client = await make_client()
        response = await login(client, username)
        assert response.status == 303, await response.text()
        return client

    return logged_in


_NAME_CELL_RE = re.compile(r'<td data-column="name"[^>]*><a href="/members/\d+">([^<]*)</a></td>')


def listed_names(html: str) -> list[str]:
    """Member names in the order the list page shows them."""
    return [unescape(name) for name in _NAME_CELL_RE.findall(html)]


def read_xlsx(data: bytes) -> list[list[object]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    width = max((len(row) for row in rows), default=0)
    return [
        row + [None] * (width - len(row)) for row in rows
    ]  # trailing empty cells are not stored
