"""The sandbox application and a runner for it.

:func:`create_sandbox_app` builds the aiohttp application (bot side, user
side, chat page); :class:`SandboxServer` runs it on a loopback port::

    async with SandboxServer() as sandbox:
        bot = Bot(sandbox.token, session=AiohttpSession(api=sandbox.api_server),
                  default=DefaultBotProperties(parse_mode=ParseMode.HTML))
        print(sandbox.chat_page_url)
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from .actions import UserActions
from .api import BotApi
from .state import DEFAULT_BOT_FIRST_NAME, DEFAULT_BOT_ID, DEFAULT_BOT_USERNAME, SandboxState
from .userside import UserSideApi
from .webhook import WebhookDelivery, is_loopback_host

STATIC_DIR = Path(__file__).with_name("static")
STATE_KEY = web.AppKey("sandbox_state", SandboxState)
API_KEY = web.AppKey("sandbox_bot_api", BotApi)
ACTIONS_KEY = web.AppKey("sandbox_actions", UserActions)
DELIVERY_KEY = web.AppKey("sandbox_webhook_delivery", WebhookDelivery)
MAX_UPLOAD = 60 * 1024 * 1024

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def _is_loopback_remote(remote: str | None) -> bool:
    if remote is None:
        return True  # unix socket
    try:
        return ipaddress.ip_address(remote.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@web.middleware
async def _guard(request: web.Request, handler: Any) -> web.StreamResponse:
    """Loopback only: refuse other peers and foreign Host headers (DNS rebinding)."""
    if not _is_loopback_remote(request.remote):
        return web.json_response({"error": "the sandbox only serves loopback clients"}, status=403)
    host = request.host.rsplit(":", 1)[0] if not request.host.startswith("[") else request.host.split("]")[0] + "]"
    if request.host and not is_loopback_host(host):
        return web.json_response({"error": "unexpected Host header"}, status=421)
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


async def _page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(
        STATIC_DIR / "chat.html",
        headers={
            "Content-Security-Policy": PAGE_CSP,
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-store",
        },
    )


def create_sandbox_app(
    state: SandboxState | None = None,
    *,
    webhook_retry_base: float = 0.2,
    webhook_retry_max: float = 5.0,
) -> web.Application:
    """The whole sandbox as an aiohttp application (run it on loopback only)."""
    state = state if state is not None else SandboxState()
    api = BotApi(state)
    actions = UserActions(state)
    delivery = WebhookDelivery(state, api, retry_base=webhook_retry_base, retry_max=webhook_retry_max)
    app = web.Application(client_max_size=MAX_UPLOAD, middlewares=[_guard])
    app[STATE_KEY] = state
    app[API_KEY] = api
    app[ACTIONS_KEY] = actions
    app[DELIVERY_KEY] = delivery
    app.router.add_route("*", "/bot{token}/{method}", api.handle)
    app.router.add_get("/file/bot{token}/{path:.+}", api.download)
    UserSideApi(state, actions).add_routes(app)
    app.router.add_get("/", _page)
    app.router.add_get("/chat", _page)
    app.router.add_static("/sandbox/static", STATIC_DIR, show_index=False)

    async def webhook_worker(app: web.Application):  # type: ignore[no-untyped-def]
        state.closing = False
        await delivery.start()
        yield
        await delivery.stop()

    async def release_long_polls(app: web.Application) -> None:
        state.close()

    async def server_header(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = "xianfeng-sandbox"

    app.on_response_prepare.append(server_header)
    app.cleanup_ctx.append(webhook_worker)
    app.on_shutdown.append(release_long_polls)
    return app


class SandboxServer:
    """Runs the sandbox on a loopback port (``port=0`` picks a free one)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = DEFAULT_BOT_FIRST_NAME,
        bot_id: int = DEFAULT_BOT_ID,
        enforce_limits: bool = False,
        global_rate: int = 30,
        per_chat_interval: float = 1.0,
        group_per_minute: int = 20,
        group_privacy: bool = True,
        webhook_retry_base: float = 0.2,
        webhook_retry_max: float = 5.0,
        state: SandboxState | None = None,
    ) -> None:
        if not is_loopback_host(host):
            raise ValueError(f"the sandbox runs on loopback only, not on {host!r}")
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        self.state = state or SandboxState(
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            bot_id=bot_id,
            enforce_limits=enforce_limits,
            global_rate=global_rate,
            per_chat_interval=per_chat_interval,
            group_per_minute=group_per_minute,
            group_privacy=group_privacy,
        )
        self.app = create_sandbox_app(
            self.state, webhook_retry_base=webhook_retry_base, webhook_retry_max=webhook_retry_max
        )
        #: User-side actions in Python (same as the HTTP user side).
        self.actions: UserActions = self.app[ACTIONS_KEY]
        self.webhook_delivery: WebhookDelivery = self.app[DELIVERY_KEY]
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Start listening; afterwards :attr:`url` and :attr:`port` are known."""
        if self._runner is not None:
            return
        runner = web.AppRunner(
            self.app, handler_cancellation=True, access_log=None, shutdown_timeout=2.0
        )
        await runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            bind_host = "127.0.0.1" if self.host == "localhost" else self.host.strip("[]")
            sock.bind((bind_host, self._requested_port))
            sock.listen(128)
            sock.setblocking(False)
            self.port = sock.getsockname()[1]
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()  # closes the webhook delivery's HTTP session
            raise
        self._runner = runner

    async def stop(self) -> None:
        """Release long polls, stop the webhook worker and close the port."""
        if self._runner is None:
            return
        self.state.close()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8081``."""
        if self.port is None:
            raise RuntimeError("the sandbox server is not started")
        host = f"[{self.host.strip('[]')}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_server(self) -> TelegramAPIServer:
        """Give it to ``AiohttpSession(api=...)`` so aiogram talks to the sandbox."""
        return TelegramAPIServer.from_base(self.url)

    @property
    def chat_page_url(self) -> str:
        """The web chat page."""
        return f"{self.url}/"

    @property
    def user_api_url(self) -> str:
        """Base of the user-side JSON API (what :class:`SandboxClient` needs is :attr:`url`)."""
        return f"{self.url}/sandbox/api"

    @property
    def token(self) -> str:
        """A token the sandbox accepts, for the configured bot id."""
        return f"{self.state.bot_id}:sandbox-token"

    def deep_link(self, code: str) -> str:
        """The chat page's stand-in for ``https://t.me/<bot>?start=<code>``."""
        return f"{self.chat_page_url}?start={quote(code, safe='')}"
