"""Links shared outside the panel are on ADMIN_PUBLIC_URL when it is set, else on the address
the request came in on."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from admin.addresses import shared_url
from admin.keys import SETTINGS
from xianfeng.settings import Settings


async def _page(_: web.Request) -> web.Response:
    return web.Response()


def request_to(public_url: str | None) -> web.Request:
    app = web.Application()
    app[SETTINGS] = Settings(_env_file=None, admin_public_url=public_url)
    app.router.add_get("/public/notice/{token}", _page, name="public.notice")
    return make_mocked_request("GET", "/pledges/notice", headers={"Host": "10.0.0.5:8080"}, app=app)


def test_a_shared_link_is_on_the_public_address_when_one_is_configured():
    request = request_to("https://dangjian.example.org/")
    assert shared_url(request, "public.notice", token="abc") == "https://dangjian.example.org/public/notice/abc"


def test_a_shared_link_is_on_the_address_in_use_without_one():
    assert shared_url(request_to(None), "public.notice", token="a b") == "http://10.0.0.5:8080/public/notice/a%20b"
