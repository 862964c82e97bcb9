"""The one-process product: sandbox, bot, panel and scheduler start together and stop cleanly."""

from __future__ import annotations

import asyncio
import gc
import os
import re
import signal
import sys
import weakref
from contextlib import AsyncExitStack

import aiohttp
import pytest

from bot.sandbox import SandboxClient
from xianfeng.runtime import banner, freeze_startup_heap, start
from xianfeng.settings import Settings


def settings_for(tmp_path, **overrides) -> Settings:
    values = dict(
        bot_token=None, database_url=f"sqlite://{tmp_path / 'run.sqlite3'}", admin_port=0,
        sandbox_port=0, default_locale="en", redis_url=None, webhook_url=None,
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


async def test_run_starts_everything_and_bot_answers(tmp_path):
    settings = settings_for(tmp_path)
    async with AsyncExitStack() as stack:
        running = await start(settings, stack)
        text = banner(settings, running)
        assert running.first_admin is not None and running.first_admin.password in text
        assert running.sandbox.chat_page_url in text and running.admin_url in text

        async with aiohttp.ClientSession() as http:
            async with http.get(running.admin_url + "login") as response:
                assert response.status == 200
        async with SandboxClient(running.sandbox.url) as client:
            await client.user(501, "Ann", language_code="en")
            await client.send_text(501, "/start")
            reply = await client.wait_for_bot_message(501)
            assert "invitation link" in reply["text"]
        assert running.bot_username == running.sandbox.state.bot_username
        # Every language's command list offers /cancel, which every conversation mentions.
        command_lists = running.sandbox.state.commands.values()
        assert command_lists and all("cancel" in [c["command"] for c in cs] for cs in command_lists)

    async with AsyncExitStack() as stack:  # a second start: the admin exists, no new password
        running = await start(settings, stack, bot=False, scheduler=False)
        assert running.first_admin is None


async def test_the_bot_answers_after_a_restart_on_the_same_database(tmp_path):
    """The sandbox lives in memory and the bot remembers the update ids it handled (for days,
    in the database): a second run must not number its updates so that they look handled."""
    settings = settings_for(tmp_path)
    for run in (1, 2):
        async with AsyncExitStack() as stack:
            running = await start(settings, stack, scheduler=False)
            async with SandboxClient(running.sandbox.url) as client:
                await client.user(501, "Ann", language_code="en")
                await client.send_text(501, "/start")
                reply = await client.wait_for_bot_message(501, timeout=10)
                assert "invitation link" in reply["text"], run


async def test_real_token_never_starts_the_sandbox(tmp_path):
    settings = settings_for(tmp_path, bot_token="123:real")
    assert not settings.use_sandbox
    async with AsyncExitStack() as stack:
        running = await start(settings, stack, bot=False, scheduler=False)
        assert running.sandbox is None


async def test_a_panel_run_without_the_bot_fetches_members_photos_with_the_token(tmp_path):
    """`xianfeng admin` with BOT_TOKEN: the panel has its own Bot API client, for photos only."""
    from html import unescape

    from bot.sandbox import SandboxServer
    from models.audit import Actor
    from models.org import OrgKind, OrgUnit, create_org_unit
    from models.pledges import ItemKind, PledgeProgress, add_item, pledge_for
    from tests import factories

    sandbox = SandboxServer()
    await sandbox.start()
    try:
        settings = settings_for(tmp_path, bot_token=sandbox.token, telegram_api_url=sandbox.url)
        async with AsyncExitStack() as stack:
            running = await start(settings, stack, bot=False, scheduler=False)
            assert running.bot is None and running.sandbox is None
            street = await create_org_unit("东风街道", OrgKind.STREET, await OrgUnit.get(parent=None))
            community = await create_org_unit("南园社区", OrgKind.COMMUNITY, street)
            member = await factories.member(await create_org_unit("第一支部", OrgKind.BRANCH, community))
            pledge = await pledge_for(member, 2026, Actor(member=member))
            item = await add_item(pledge, ItemKind.PRACTICAL, "走访独居老人", Actor(member=member))
            photo = b"\xff\xd8\xff\xe0 a photo"
            stored = sandbox.state.store_file(photo, folder="photos", mime_type="image/jpeg", extension="jpg")
            entry = await PledgeProgress.create(pledge=pledge, item=item, text="走访",
                                                photo_file_id=stored.file_id)

            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(running.admin_url, cookie_jar=jar) as http:
                form = await (await http.get("login")).text()
                token = unescape(re.search(r'name="csrf_token" value="([^"]+)"', form).group(1))
                await http.post("login", data={"username": running.first_admin.username,
                                               "password": running.first_admin.password,
                                               "csrf_token": token})
                async with http.get(f"pledges/{pledge.id}/progress/{entry.id}/photo") as response:
                    assert response.status == 200 and await response.read() == photo
    finally:
        await sandbox.stop()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_xianfeng_run_process_prints_banner_and_stops_on_sigterm(tmp_path):
    env = {
        **os.environ, "DATA_DIR": str(tmp_path), "ADMIN_PORT": "0", "SANDBOX_PORT": "0",
        "DEFAULT_LOCALE": "en", "BOT_TOKEN": "", "DATABASE_URL": "",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "xianfeng.cli", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    lines = []
    try:
        while not lines or "Ctrl+C" not in lines[-1]:
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            assert line, "process ended early:\n" + "".join(lines)
            lines.append(line.decode())
        output = "".join(lines)
        assert re.search(r"Admin panel: http://127\.0\.0\.1:\d+/", output)
        assert re.search(r"password: \S+", output)
        assert "Sandbox chat page" in output
        assert (tmp_path / "xianfeng.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 20)
    assert code == 0


def test_freeze_startup_heap_takes_what_lives_from_the_collectors_walks():
    class Node:
        pass

    startup_object = {"built": ["at startup"]}
    startup_garbage = Node()
    startup_garbage.me = startup_garbage  # a cycle nothing else refers to
    garbage = weakref.ref(startup_garbage)
    del startup_garbage
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
        assert garbage() is None  # collected before freezing, not kept forever
        assert not any(o is startup_object for o in gc.get_objects())  # frozen: never walked again
        later = {"built": ["while serving"]}
        assert any(o is later for o in gc.get_objects())  # collected as usual
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", "http://127.0.0.1:8080"),
    ("0.0.0.0", "http://127.0.0.1:8080"),  # the Docker image listens on every interface
    ("::", "http://127.0.0.1:8080"),
    ("192.168.1.20", "http://192.168.1.20:8080"),
    ("::1", "http://[::1]:8080"),
])
def test_links_to_the_panel_never_point_at_a_wildcard_address(tmp_path, host, expected):
    """Browsers refuse http://0.0.0.0: the banner and the weekly report's link give an
    address to open, unless ADMIN_PUBLIC_URL says where users reach the panel."""
    assert settings_for(tmp_path, admin_host=host, admin_port=8080).panel_url == expected
    public = settings_for(tmp_path, admin_host=host, admin_public_url="https://xf.example.org")
    assert public.panel_url == "https://xf.example.org"


async def test_a_panel_listening_everywhere_is_announced_at_a_loopback_address(tmp_path):
    settings = settings_for(tmp_path, admin_host="0.0.0.0")
    async with AsyncExitStack() as stack:
        running = await start(settings, stack, bot=False, scheduler=False)
        assert running.admin_url.startswith("http://127.0.0.1:")
        assert running.admin_url in banner(settings, running)
        async with aiohttp.ClientSession() as http, http.get(running.admin_url + "login") as response:
            assert response.status == 200


@pytest.mark.parametrize("setting", ["admin_port", "sandbox_port", "metrics_port", "webhook_port"])
async def test_a_port_already_taken_is_named_and_nothing_is_left_open(tmp_path, setting, recwarn, caplog):
    """The usual first-run mistake, Xianfeng started twice: say which setting to change."""
    import gc
    import socket

    from xianfeng.runtime import CannotListen

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        webhook = {"webhook_url": f"http://127.0.0.1:{port}/hook", "webhook_secret": "s"}
        settings = settings_for(tmp_path, **{setting: port}, **(webhook if setting == "webhook_port" else {}))
        with pytest.raises(CannotListen) as refused:
            async with AsyncExitStack() as stack:
                await start(settings, stack, scheduler=False)
    assert refused.value.params["setting"] == setting.upper()
    assert refused.value.params["address"] == f"127.0.0.1:{port}"
    del refused  # its traceback holds the half-started pieces
    await asyncio.sleep(0)
    assert [task for task in asyncio.all_tasks() if task is not asyncio.current_task()] == []
    gc.collect()
    await asyncio.sleep(0)  # the loop's exception handler logs what was left unclosed
    assert not [w for w in recwarn if "Unclosed" in str(w.message)]
    assert "Unclosed" not in caplog.text


async def test_a_refused_token_or_an_unreachable_bot_api_is_said_in_words(tmp_path):
    from aiohttp import web

    from xianfeng.runtime import BotApiUnavailable

    async def unauthorized(request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"},
                                 status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", unauthorized)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        refusing = f"http://127.0.0.1:{runner.addresses[0][1]}"
        for api_url, expected in ((refusing, "refuses BOT_TOKEN (Unauthorized)"),
                                  ("http://127.0.0.1:1", "Cannot reach the Bot API at http://127.0.0.1:1")):
            settings = settings_for(tmp_path, bot_token="123456:wrong-token", telegram_api_url=api_url)
            with pytest.raises(BotApiUnavailable) as refused:
                async with AsyncExitStack() as stack:
                    await start(settings, stack, admin=False, scheduler=False)
            assert expected in refused.value.render(lambda text: text)
    finally:
        await runner.cleanup()


async def test_a_postgres_database_not_migrated_for_this_code_is_refused_at_start(
        tmp_path, fresh_postgres_url):
    """PostgreSQL deployments migrate once per release (`xianfeng migrate`); a process started
    before that, or an old one after it, would fail on its first request instead."""
    import asyncpg
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from models.db import DatabaseUnusable, apply_migrations

    settings = settings_for(tmp_path, database_url=fresh_postgres_url)

    async def refusal() -> str:
        with pytest.raises(DatabaseUnusable) as refused:
            async with AsyncExitStack() as stack:
                await start(settings, stack, bot=False, scheduler=False)
        return refused.value.render(lambda text: text)

    assert "has no Xianfeng tables yet: run “xianfeng migrate” first" in await refusal()
    await apply_migrations(fresh_postgres_url)
    database = await asyncpg.connect(fresh_postgres_url.replace("postgres://", "postgresql://", 1))
    try:
        await database.execute("DELETE FROM tortoise_migrations WHERE name LIKE '0012%'")
        assert "migrations 0012_member_occupation_index are not applied" in await refusal()
        await database.execute(
            "INSERT INTO tortoise_migrations (app, name, applied_at) VALUES "
            "('models', '0012_member_occupation_index', now()), ('models', '9999_future', now())")
        assert "migrated by a newer Xianfeng (migrations 9999_future)" in await refusal()
        await database.execute("DELETE FROM tortoise_migrations WHERE name = '9999_future'")
    finally:
        await database.close()
    EXECUTOR_CACHE.clear()  # statements other tests of this process built for SQLite
    async with AsyncExitStack() as stack:  # up to date: it starts
        running = await start(settings, stack, bot=False, scheduler=False)
        assert running.admin_url


@pytest.mark.parametrize(("given", "kept"), [
    ("https://panel.example.org", "https://panel.example.org"),
    ("https://panel.example.org/", "https://panel.example.org"),  # no // in the links built on it
    ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
    ("", None),
])
def test_the_panels_public_address_is_an_origin(tmp_path, given, kept):
    assert settings_for(tmp_path, admin_public_url=given).admin_public_url == kept


@pytest.mark.parametrize("given", ["panel.example.org", "https://example.org/xianfeng", "ftp://x.org",
                                   "https://x.org/?a=1"])
def test_a_public_address_the_panel_cannot_serve_is_refused_at_start(tmp_path, given):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="at the root of a host"):
        settings_for(tmp_path, admin_public_url=given)


async def test_a_webhook_address_telegram_refuses_is_said_in_words(tmp_path):
    from xianfeng.runtime import BotApiUnavailable

    settings = settings_for(tmp_path, webhook_url="https://bot.example.org/tg", webhook_secret="s3",
                            webhook_port=0)  # the sandbox, like Telegram, refuses some addresses
    with pytest.raises(BotApiUnavailable) as refused:
        async with AsyncExitStack() as stack:
            await start(settings, stack, admin=False, scheduler=False)
    said = refused.value.render(lambda text: text)
    assert said.startswith("Telegram refuses the webhook https://bot.example.org/tg: Bad Request: bad webhook")
    assert "Check WEBHOOK_URL" in said
