"""Operations endpoints: ``/healthz`` (liveness), ``/readyz`` (readiness), ``/metrics``
(Prometheus), and the request id of every panel request.

The panel serves all three without login, CSRF or session (``ops_middleware`` answers them
before the other middlewares run). ``/metrics`` on the panel needs ``METRICS_TOKEN`` (sent as
``Authorization: Bearer …``) and answers 404 when none is configured. ``METRICS_PORT`` starts
the same three routes on an internal listener (``METRICS_HOST``, default loopback) in any
process, e.g. ``xianfeng bot`` which has no panel; there ``/metrics`` is open unless a token
is configured.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from tortoise import Tortoise

from bot.metrics import OUTBOX_ROWS
from models.outbox import OutboxStatus, status_counts
from xianfeng.logging import request_id_var
from xianfeng.settings import Settings

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID = web.RequestKey("request_id", str)
OPS_SETTINGS = web.AppKey("ops_settings", Settings)
METRICS_OPEN = web.AppKey("metrics_open", bool)  # the internal listener: open without a token
CHECK_TIMEOUT = 3.0

# A caller's id is kept when it looks like one (a proxy's, a load balancer's); else we make one.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _ops(handler: Handler) -> Handler:
    handler.ops = True  # type: ignore[attr-defined]
    handler.public = True  # type: ignore[attr-defined]
    return handler


@_ops
async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers. Touches nothing else."""
    return web.json_response({"status": "ok"})


async def _check_database() -> None:
    connection = Tortoise.get_connection("default")
    await asyncio.wait_for(connection.execute_query("SELECT 1"), CHECK_TIMEOUT)


async def _check_redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT)
    try:
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT)
    finally:
        await client.aclose()


async def readiness(settings: Settings) -> tuple[bool, dict[str, str]]:
    """Each dependency as ``ok`` or ``unavailable``; Redis only when ``REDIS_URL`` is set."""
    checks: dict[str, Callable[[], Awaitable[None]]] = {"database": _check_database}
    if settings.redis_url:
        checks["redis"] = lambda: _check_redis(settings.redis_url)
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await check()
        except Exception as error:  # noqa: BLE001 - any failure means "not ready"
            log.warning("readiness: %s unavailable: %s: %s", name, type(error).__name__, error)
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    return all(value == "ok" for value in results.values()), results


@_ops
async def readyz(request: web.Request) -> web.Response:
    """Readiness: 200 when the database (and Redis, when configured) answer, else 503 naming
    the failing part (details go to the log, not to the unauthenticated caller)."""
    ready, checks = await readiness(request.app[OPS_SETTINGS])
    return web.json_response(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


def _authorized(request: web.Request, token: str | None) -> bool:
    if token is None:
        return request.app.get(METRICS_OPEN, False)
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


async def refresh_outbox_gauge() -> None:
    try:
        counts = await asyncio.wait_for(status_counts(), CHECK_TIMEOUT)
    except Exception as error:  # noqa: BLE001 - the other metrics are still worth serving
        log.warning("metrics: outbox counts unavailable: %s: %s", type(error).__name__, error)
        return
    for status in OutboxStatus:
        OUTBOX_ROWS.labels(status.value).set(counts.get(status, 0))


@_ops
async def metrics(request: web.Request) -> web.Response:
    token = request.app[OPS_SETTINGS].metrics_token
    if not _authorized(request, token):
        if token is None:
            raise web.HTTPNotFound()  # not exposed on the panel without a token
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    await refresh_outbox_gauge()
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_ops_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/healthz", healthz, name="healthz", allow_head=True)
    router.add_get("/readyz", readyz, name="readyz", allow_head=True)
    router.add_get("/metrics", metrics, name="metrics")


def _request_id(request: web.Request) -> str:
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    return sent if _REQUEST_ID_RE.match(sent) else uuid.uuid4().hex


@web.middleware
async def ops_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: gives the request its id (log context and ``X-Request-ID``) and answers the
    operations routes directly, past session, CSRF and locale middlewares."""
    request_id = _request_id(request)
    request[REQUEST_ID] = request_id
    token = request_id_var.set(request_id)
    try:
        route_handler = request.match_info.handler
        if getattr(route_handler, "ops", False):
            return await route_handler(request)
        return await handler(request)
    finally:
        request_id_var.reset(token)


async def add_request_id_header(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every response, error pages and redirects included."""
    request_id = request.get(REQUEST_ID)
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id


def setup_ops(app: web.Application, settings: Settings) -> None:
    """Request ids and the operations routes on an application (the panel or the listener)."""
    app[OPS_SETTINGS] = settings
    app.middlewares.insert(0, ops_middleware)
    app.on_response_prepare.append(add_request_id_header)
    add_ops_routes(app.router)


def create_ops_app(settings: Settings) -> web.Application:
    """The internal listener of ``METRICS_PORT``: only the operations routes."""
    app = web.Application()
    app[METRICS_OPEN] = True
    setup_ops(app, settings)
    return app


async def start_ops_listener(settings: Settings) -> web.AppRunner:
    """Start the ``METRICS_PORT`` listener; the caller cleans the returned runner up."""
    runner = web.AppRunner(create_ops_app(settings), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.metrics_host, settings.metrics_port).start()
    except BaseException:
        await runner.cleanup()
        raise
    log.info("operations endpoints on http://%s:%s/ (/healthz /readyz /metrics)",
             settings.metrics_host, runner.addresses[0][1])
    return runner
