"""Process wiring: start the bot, the panel, the scheduler (and the sandbox) on one loop."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import os
import signal
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.types import User
from aiohttp import web

from admin.app import create_admin_app
from bot.app import create_bot, create_dispatcher, create_storage
from bot.delivery import DeliveryWorker
from bot.sandbox import SandboxServer
from bot.sandbox.state import DEFAULT_BOT_USERNAME
from bot.webhook import WebhookServer, wait_for_tasks
from locales import N_, gettext, set_default_locale
from models import clock
from models.bootstrap import FirstAdmin, ensure_first_admin
from models.db import cannot_open, close_db, init_db, require_current_schema
from models.errors import DomainError
from models.locks import Leadership, scheduler_lock
from xianfeng.backup import hold_app_lock
from xianfeng.scheduler import create_scheduler
from xianfeng.settings import Settings

log = logging.getLogger("xianfeng")

# A port taken (Xianfeng already running, most often), an address not of this machine, a
# port below 1024: the setting to change. Not a client's connection error (also an OSError).
_BIND_ERRORS = {errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES}


class CannotListen(DomainError):
    """A port Xianfeng is configured to listen on cannot be opened."""


class BotApiUnavailable(DomainError):
    """The Bot API refuses the token or cannot be reached when the bot starts."""


async def bot_identity(bot: Bot, api_url: str | None) -> User:
    """``getMe``, the bot's first request: a wrong token or no way to Telegram said in words."""
    try:
        return await bot.get_me()
    except (TelegramUnauthorizedError, TelegramNotFound) as error:
        raise BotApiUnavailable(
            N_("The Bot API refuses BOT_TOKEN ({reason}): check the token @BotFather gave you."),
            reason=error.message) from error
    except TelegramNetworkError as error:
        raise BotApiUnavailable(
            N_("Cannot reach the Bot API at {url}: {reason}. Check this machine's connection to "
               "Telegram, or TELEGRAM_API_URL."),
            url=api_url or "https://api.telegram.org", reason=error.message) from error


@contextlib.contextmanager
def listening(setting: str, host: str, port: int | None):
    """Say which setting to change when opening ``host:port`` fails."""
    try:
        yield
    except OSError as error:
        if error.errno not in _BIND_ERRORS:
            raise
        raise CannotListen(
            N_("Cannot listen on {address} ({setting}): {reason}. Is Xianfeng already running? "
               "Stop it, or set {setting} to a free port."),
            address=f"{host}:{port}", setting=setting,
            reason=os.strerror(error.errno)) from error


@dataclass
class Running:
    """What a started process exposes (used by the console banner and by tests)."""

    admin_url: str | None = None
    sandbox: SandboxServer | None = None
    bot_username: str | None = None
    first_admin: FirstAdmin | None = None
    ready_seconds: float = 0.0
    polling: asyncio.Task | None = None
    bot: Bot | None = None
    dispatcher: Dispatcher | None = None
    webhook: WebhookServer | None = None
    delivery: DeliveryWorker | None = None
    leadership: Leadership | None = None
    extras: dict = field(default_factory=dict)


def bot_endpoint(settings: Settings, sandbox: SandboxServer | None) -> tuple[str, str | None]:
    """The token and Bot API base URL to use: the sandbox's when it runs, else the configured ones."""
    if sandbox is not None:
        return sandbox.token, sandbox.url
    return settings.bot_token, settings.telegram_api_url


async def start(
    settings: Settings, stack: AsyncExitStack, *, bot: bool = True, admin: bool = True,
    scheduler: bool = True,
) -> Running:
    """Start the requested components; everything started is registered on ``stack`` for shutdown."""
    began = time.perf_counter()
    running = Running()
    clock.configure(settings.tz)
    set_default_locale(settings.default_locale)
    url = settings.resolved_database_url
    # A shared lock on a SQLite database's lock file: `xianfeng restore` refuses while it is held.
    try:
        app_lock = await asyncio.to_thread(hold_app_lock, url)
    except OSError as error:  # the database's folder cannot be made or written
        raise cannot_open(url, error) from error
    if app_lock is not None:
        stack.callback(app_lock.close)
    # SQLite is migrated at start; PostgreSQL deployments run `xianfeng migrate` once per release.
    migrates = url.startswith("sqlite")
    await init_db(url, run_migrations=migrates)
    stack.push_async_callback(close_db)
    if not migrates:
        await require_current_schema(url)
    if settings.metrics_port is not None:  # /metrics /healthz /readyz on an internal address
        from admin.views.health import start_ops_listener

        with listening("METRICS_PORT", settings.metrics_host, settings.metrics_port):
            ops = await start_ops_listener(settings)
        stack.push_async_callback(ops.cleanup)
        running.extras["ops_port"] = ops.addresses[0][1]
    if admin:
        running.first_admin = await ensure_first_admin(settings.default_locale)

    if bot and settings.use_sandbox:
        running.sandbox = SandboxServer(host=settings.sandbox_host, port=settings.sandbox_port)
        with listening("SANDBOX_PORT", settings.sandbox_host, settings.sandbox_port):
            await running.sandbox.start()
        stack.push_async_callback(running.sandbox.stop)

    running.bot_username = settings.bot_username or (
        DEFAULT_BOT_USERNAME if settings.use_sandbox else None
    )
    if bot:
        await start_bot(settings, stack, running)

    if admin:
        app = create_admin_app(
            settings,
            bot_username=lambda: running.bot_username or DEFAULT_BOT_USERNAME,
            sandbox_chat_url=running.sandbox.chat_page_url if running.sandbox else None,
            files_bot=running.bot or panel_files_bot(settings, stack),
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, settings.admin_host, settings.admin_port)
        with listening("ADMIN_PORT", settings.admin_host, settings.admin_port):
            await site.start()
        port = runner.addresses[0][1]
        running.admin_url = settings.panel_url_on(port) + "/"

    if scheduler:
        running.leadership = await start_scheduler(settings, stack)

    running.ready_seconds = time.perf_counter() - began
    return running


def panel_files_bot(settings: Settings, stack: AsyncExitStack) -> Bot | None:
    """A Bot API client for a panel running without the bot (``xianfeng admin``): it only
    fetches the photos members sent. None without a token: the sandbox runs with the bot."""
    if not settings.bot_token:
        return None
    files_bot = create_bot(settings.bot_token, settings.telegram_api_url)
    stack.push_async_callback(files_bot.session.close)
    return files_bot


async def start_bot(settings: Settings, stack: AsyncExitStack, running: Running) -> None:
    """The bot: updates by webhook (WEBHOOK_URL) or polling, and the outbox worker.

    Shutdown (reverse order of start): stop taking updates and let the ones in flight
    finish (bounded by SHUTDOWN_TIMEOUT), then stop the outbox worker the same way
    (a send cut off goes back to the queue), then close the FSM storage and the session.
    """
    token, api_url = bot_endpoint(settings, running.sandbox)
    running.bot = bot = create_bot(token, api_url)
    stack.push_async_callback(bot.session.close)
    me = await bot_identity(bot, api_url)
    running.bot_username = me.username
    running.dispatcher = dispatcher = create_dispatcher(
        default_locale=settings.default_locale,
        storage=create_storage(settings.redis_url, key_prefix=settings.redis_key_prefix),
        redeliver_transient=settings.use_webhook,
    )
    stack.push_async_callback(dispatcher.storage.close)

    if settings.use_webhook and "delivery_worker_id" not in settings.model_fields_set:
        log.warning("DELIVERY_WORKER_ID is the host's name %r: when several bot processes run "
                    "on one host, give each its own (xianfeng bot --worker-id ID)",
                    settings.delivery_worker_id)
    worker = running.delivery = DeliveryWorker(
        bot, worker_id=settings.delivery_worker_id,
        global_rate=settings.delivery_rate, per_chat_interval=settings.delivery_per_chat_interval,
        per_group_interval=settings.delivery_per_group_interval,
        max_attempts=settings.delivery_max_attempts,
    )
    delivery = asyncio.create_task(worker.run(), name="outbox-delivery")
    stack.push_async_callback(worker.shutdown, delivery, settings.shutdown_timeout)

    if settings.use_webhook:
        running.webhook = WebhookServer(
            dispatcher, bot, url=settings.webhook_url, secret_token=settings.webhook_secret,
            host=settings.webhook_host, port=settings.webhook_port,
            path=settings.resolved_webhook_path, shutdown_timeout=settings.shutdown_timeout,
        )
        stack.push_async_callback(running.webhook.stop)
        try:
            with listening("WEBHOOK_PORT", settings.webhook_host, settings.webhook_port):
                await running.webhook.start()
        except TelegramBadRequest as error:  # setWebhook: e.g. not HTTPS, a port Telegram refuses
            raise BotApiUnavailable(
                N_("Telegram refuses the webhook {url}: {reason}. Check WEBHOOK_URL (HTTPS, on port "
                   "443, 80, 88 or 8443)."), url=settings.webhook_url, reason=error.message) from error
        return

    # Polling: a bot that used a webhook before must drop it, or getUpdates is refused.
    with contextlib.suppress(Exception):
        if (webhook := await bot.get_webhook_info()).url:
            log.warning("WEBHOOK_URL is not set: deleting the webhook %s to poll", webhook.url)
            await bot.delete_webhook()
    running.polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False), name="bot-polling"
    )

    async def stop_polling() -> None:
        with contextlib.suppress(RuntimeError):
            await dispatcher.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await running.polling
        # Updates already taken from Telegram are still being handled: let them finish.
        in_flight = getattr(dispatcher, "_handle_update_tasks", set())
        if cancelled := await wait_for_tasks(set(in_flight), settings.shutdown_timeout):
            log.warning("shutdown: %d update(s) still running after %.0f s were cancelled",
                        cancelled, settings.shutdown_timeout)

    stack.push_async_callback(stop_polling)


async def start_scheduler(settings: Settings, stack: AsyncExitStack) -> Leadership:
    """The scheduler runs in one process only: whichever holds the scheduler lock (a
    PostgreSQL advisory lock, or a file lock next to a SQLite database); the others try
    again every SCHEDULER_LOCK_RETRY seconds and take over when the holder is gone."""
    jobs: list = []

    def begin() -> None:
        scheduler = create_scheduler(settings)
        scheduler.start()
        jobs.append(scheduler)

    def end() -> None:
        while jobs:
            jobs.pop().shutdown(wait=False)

    leadership = Leadership(
        scheduler_lock(settings.resolved_database_url), begin, end, retry=settings.scheduler_lock_retry
    )
    leadership.begin()
    stack.push_async_callback(leadership.close)
    # Give the first try a moment so a lone process reports the scheduler as running at start.
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(leadership.changed.wait(), 2.0)
    return leadership


def banner(settings: Settings, running: Running) -> str:
    _ = lambda text: gettext(settings.default_locale, text)  # noqa: E731
    lines = [_("Xianfeng is running (ready in {seconds:.1f} s).").format(seconds=running.ready_seconds)]
    if running.admin_url:
        lines.append(_("Admin panel: {url}").format(url=running.admin_url))
    if running.first_admin is not None:
        lines.append(running.first_admin.announcement(settings.default_locale))
    if running.sandbox is not None:
        lines.append(_("Sandbox chat page (no Telegram token configured): {url}").format(
            url=running.sandbox.chat_page_url))
    elif running.bot_username:
        lines.append(_("Bot: https://t.me/{username}").format(username=running.bot_username))
    lines.append(_("Press Ctrl+C to stop."))
    return "\n".join(lines)


def freeze_startup_heap() -> None:
    """Exempt what startup built from the cyclic garbage collector.

    Imports alone leave about 250k tracked objects (aiogram's pydantic types, templates,
    catalogs) that live as long as the process, and every full collection walked them all
    again: 0.15-0.2 s each on a 2-core machine, 21 of them during one 100k-row export
    (3.9 s of its 21 s). Frozen, they are skipped; what the process allocates later is
    collected as before. Startup's own garbage is collected first; a frozen object that
    later becomes cyclic garbage is never freed, a fair price for objects built to last.
    """
    gc.collect()
    gc.freeze()


async def serve(settings: Settings, **components: bool) -> None:
    """Run until SIGINT/SIGTERM, then shut everything down in reverse order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        running = await start(settings, stack, **components)
        freeze_startup_heap()
        print(banner(settings, running), flush=True)
        waiters = [asyncio.create_task(stop.wait())]
        if running.polling is not None:
            waiters.append(running.polling)
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        log.info("shutting down")
