"""The client's address and scheme behind reverse proxies we trust (``TRUSTED_PROXIES``).

Behind nginx, a load balancer or a container network's proxy, every request comes from
the proxy: the per-address login throttle would then count all users as one, and a
TLS-terminating proxy hides that the user is on https. With ``TRUSTED_PROXIES`` (addresses
or networks, comma-separated) a request whose peer is one of them is taken as coming from
the address in ``X-Forwarded-For`` — the right-most one that is not itself a trusted proxy:
anything to its left is whatever the client wrote, never believed — and by the scheme in
``X-Forwarded-Proto``. A request from any other peer is taken as it is, headers ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from admin.security import Handler
from xianfeng.settings import Network

Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, forwarded_for: str, networks: tuple[Network, ...]) -> str | None:
    """The client's address: ``peer`` unless it is a trusted proxy that says who it forwards for."""
    if peer is None or not _trusted(peer, networks):
        return peer
    client = peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        client = hop
        if not _trusted(hop, networks):
            break
    return client


def forwarded_middleware(networks: tuple[Network, ...]) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not networks or not _trusted(request.remote or "", networks):
            return await handler(request)
        changes: dict[str, str] = {}
        forwarded_for = ",".join(request.headers.getall("X-Forwarded-For", []))
        if (remote := client_address(request.remote, forwarded_for, networks)) != request.remote:
            changes["remote"] = remote
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        if proto in ("http", "https") and proto != request.scheme:
            changes["scheme"] = proto
        return await handler(request.clone(**changes) if changes else request)

    return middleware
