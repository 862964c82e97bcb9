"""TRUSTED_PROXIES: the client's address and scheme from a proxy we trust, and only from it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from admin.proxies import client_address
from models.admins import LoginAttempt
from tests.admin.conftest import csrf_token
from tests.factories import PASSWORD
from xianfeng.settings import Settings, parse_networks

PROXIES = parse_networks("127.0.0.1, 10.0.0.0/8")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a proxy: its header is ignored
        ("127.0.0.1", "", "127.0.0.1"),  # a proxy that says nothing
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        # The client wrote the left part; the right-most address that is not a proxy is the client.
        ("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3", "198.51.100.1"),
        ("127.0.0.1", "10.1.2.3, 10.4.5.6", "10.1.2.3"),  # only proxies: the farthest one
        ("127.0.0.1", "not-an-address", "not-an-address"),
    ],
)
def test_client_address(peer, forwarded_for, client):
    assert client_address(peer, forwarded_for, PROXIES) == client


def test_a_mistyped_proxy_list_fails_at_start():
    with pytest.raises(ValidationError):
        Settings(_env_file=None, trusted_proxies="10.0.0.0/33")
    assert Settings(_env_file=None, trusted_proxies="").trusted_proxy_networks == ()


@pytest.fixture
def settings(request) -> Settings:
    """The panel's settings; ``indirect`` parametrisation gives its TRUSTED_PROXIES (the test
    client connects from 127.0.0.1: listing it makes the client stand for a proxy)."""
    return Settings(
        _env_file=None, secret_key="test-secret-key", default_locale="zh_Hans", admin_public_url=None,
        trusted_proxies=getattr(request, "param", ""),
    )


async def login_via(client, username: str, password: str = PASSWORD, **headers: str):
    """Log in like a browser whose requests pass a proxy adding ``headers``."""
    page = await client.get("/login", headers=headers)
    form = {"username": username, "password": password, "csrf_token": csrf_token(await page.text())}
    return await client.post("/login", data=form, headers=headers, allow_redirects=False)


def from_address(address: str, **headers: str) -> dict[str, str]:
    return {"X-Forwarded-For": address, **headers}


@pytest.mark.parametrize("settings", ["127.0.0.1"], indirect=True)
async def test_behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own(
    settings, make_client, admin
):
    await admin("branch1")
    client = await make_client()
    for number in range(settings.login_max_failures):
        response = await login_via(client, f"guess{number}", "wrong!", **from_address("198.51.100.7"))
        assert response.status == 200
    response = await login_via(client, "another", "wrong!", **from_address("198.51.100.7"))
    assert response.status == 429  # that address is blocked
    response = await login_via(client, "branch1", **from_address("198.51.100.8"))
    assert response.status == 303  # another user behind the same proxy is not
    assert set(await LoginAttempt.all().values_list("ip", flat=True)) == {"198.51.100.7", "198.51.100.8"}


async def test_without_trusted_proxies_the_headers_change_nothing(settings, make_client, admin):
    await admin("branch1")
    client = await make_client()
    for number in range(settings.login_max_failures):
        await login_via(client, f"guess{number}", "wrong!", **from_address(f"198.51.100.{number}"))
    response = await login_via(client, "branch1", **from_address("198.51.100.99", **{"X-Forwarded-Proto": "https"}))
    assert response.status == 429  # every attempt came from 127.0.0.1
    page = await (await make_client()).get("/login", headers={"X-Forwarded-Proto": "https"})
    assert not page.cookies["xf_csrf"]["secure"]


@pytest.mark.parametrize("settings", ["127.0.0.1"], indirect=True)
async def test_the_scheme_a_trusted_proxy_reports_makes_cookies_secure(settings, make_client):
    client = await make_client()
    page = await client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert page.cookies["xf_csrf"]["secure"] and page.cookies["xf_csrf"]["httponly"]
    page = await client.get("/login")  # the proxy reached over plain http
    assert not page.cookies["xf_csrf"]["secure"]
