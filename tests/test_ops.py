"""Operations: /healthz, /readyz, /metrics on the panel and on the internal listener,
request ids, JSON logs."""

from __future__ import annotations

import io
import json
import logging

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from tortoise import Tortoise

from admin.app import create_admin_app
from admin.views.health import start_ops_listener
from models.db import open_tortoise, tortoise_config
from models.outbox import enqueue
from xianfeng.logging import configure_logging, request_id_var, update_id_var
from xianfeng.settings import Settings

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def make_settings(**overrides) -> Settings:
    return Settings(_env_file=None, secret_key="test-secret-key", **overrides)


@pytest_asyncio.fixture
async def panel():
    """``await panel(**settings)``: a client of a panel built with those settings."""
    clients: list[TestClient] = []

    async def open_panel(**overrides) -> TestClient:
        app = create_admin_app(make_settings(**overrides), bot_username="xianfeng_test_bot")
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield open_panel
    for client in clients:
        await client.close()


@pytest.fixture
def json_logs():
    """Capture the root logger's output as JSON lines (restores the previous handlers)."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line]

    yield lines
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_healthz_answers_without_login_cookie_or_database(panel):
    await open_tortoise(tortoise_config("postgres://nobody@127.0.0.1:1/none"))
    try:
        client = await panel()
        response = await client.get("/healthz", allow_redirects=False)
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
        assert "Set-Cookie" not in response.headers  # no session, no CSRF nonce
        assert response.headers["X-Request-ID"]
    finally:
        await Tortoise.close_connections()


async def test_readyz_is_ok_when_the_database_answers(db, panel):
    client = await panel()
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "checks": {"database": "ok"}}


async def test_readyz_is_503_naming_the_database_when_it_is_down(panel):
    await open_tortoise(tortoise_config("postgres://nobody@127.0.0.1:1/none"))
    try:
        client = await panel()
        response = await client.get("/readyz")
        assert response.status == 503
        assert await response.json() == {
            "status": "unavailable", "checks": {"database": "unavailable"}
        }
    finally:
        await Tortoise.close_connections()


async def test_readyz_checks_redis_when_configured(db, panel, json_logs):
    client = await panel(redis_url=UNREACHABLE_REDIS)
    response = await client.get("/readyz", headers={"X-Request-ID": "probe-42"})
    assert response.status == 503
    body = await response.json()
    assert body["checks"] == {"database": "ok", "redis": "unavailable"}
    # The reason is logged (with the request's id), not shown to the unauthenticated caller.
    [line] = [line for line in json_logs() if "redis unavailable" in line["message"]]
    assert line["request_id"] == "probe-42" == response.headers["X-Request-ID"]
    assert line["level"] == "WARNING" and line["logger"] == "admin.views.health"


async def test_readyz_is_ok_with_a_live_redis(db, panel, redis_url):
    client = await panel(redis_url=redis_url)
    response = await client.get("/readyz")
    assert response.status == 200
    assert (await response.json())["checks"] == {"database": "ok", "redis": "ok"}


async def test_metrics_are_not_served_by_the_panel_without_a_token(db, panel):
    client = await panel()
    assert (await client.get("/metrics")).status == 404


async def test_metrics_need_the_bearer_token(db, panel):
    client = await panel(metrics_token="s3cret-token")
    assert (await client.get("/metrics")).status == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    cookie_only = await client.get("/metrics", headers={"Authorization": "Basic s3cret-token"})
    assert cookie_only.status == 401


async def test_metrics_report_the_outbox_by_status(db, panel):
    for chat in (1, 2, 3):
        await enqueue(chat, "hello", kind="test")
    client = await panel(metrics_token="s3cret-token")
    response = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    values = samples(await response.text())
    assert values[("xianfeng_outbox_messages", (("status", "queued"),))] == 3
    assert values[("xianfeng_outbox_messages", (("status", "sent"),))] == 0
    # The bot's families are declared in every process, even before an update arrives.
    names = {name for name, _ in values}
    assert {"xianfeng_outbox_sent_total", "xianfeng_telegram_rate_limited_total"} <= names


async def test_request_ids_are_kept_or_made_and_returned(db, panel):
    client = await panel()
    kept = await client.get("/login", headers={"X-Request-ID": "edge-7f3a"})
    assert kept.headers["X-Request-ID"] == "edge-7f3a"
    made = await client.get("/login", headers={"X-Request-ID": "bad id\twith spaces"})
    assert made.headers["X-Request-ID"] not in ("", "bad id\twith spaces")
    other = await client.get("/login")
    assert other.headers["X-Request-ID"] != made.headers["X-Request-ID"]
    redirect = await client.get("/members", allow_redirects=False)  # not logged in
    assert redirect.status == 302 and redirect.headers["X-Request-ID"]


async def test_the_internal_listener_serves_metrics_health_and_readiness(db):
    settings = make_settings(metrics_port=0)
    runner = await start_ops_listener(settings)
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/healthz") as response:
                assert response.status == 200
            async with session.get(f"{base}/readyz") as response:
                assert response.status == 200
            async with session.get(f"{base}/metrics") as response:  # internal: open
                assert response.status == 200
                assert "xianfeng_outbox_messages" in await response.text()
            async with session.get(f"{base}/members") as response:  # nothing else
                assert response.status == 404
    finally:
        await runner.cleanup()


async def test_the_internal_listener_still_checks_a_configured_token(db):
    runner = await start_ops_listener(make_settings(metrics_port=0, metrics_token="tok"))
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/metrics") as response:
                assert response.status == 401
            headers = {"Authorization": "Bearer tok"}
            async with session.get(f"{base}/metrics", headers=headers) as response:
                assert response.status == 200
    finally:
        await runner.cleanup()


def test_json_log_lines_carry_the_context_ids(json_logs):
    log = logging.getLogger("xianfeng.test")
    log.info("outside")
    token = update_id_var.set(123456)
    try:
        log.warning("handling %s", "an update")
    finally:
        update_id_var.reset(token)
    token = request_id_var.set("req-1")
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed 失败")
    finally:
        request_id_var.reset(token)

    outside, update, request = json_logs()
    assert outside["message"] == "outside" and "update_id" not in outside
    assert "request_id" not in outside
    assert set(outside) == {"timestamp", "level", "logger", "message"}
    assert outside["timestamp"].endswith("+00:00")
    assert (update["update_id"], update["level"], update["message"]) == (
        123456, "WARNING", "handling an update"
    )
    assert request["request_id"] == "req-1" and request["message"] == "failed 失败"
    assert "ValueError: boom" in request["exception"]


def test_text_logs_name_the_context_ids():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("text", "DEBUG", stream=stream)
        token = request_id_var.set("abc")
        logging.getLogger("xianfeng.test").debug("hello")
        request_id_var.reset(token)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    assert "DEBUG xianfeng.test [request=abc]: hello" in stream.getvalue()


def test_log_settings_are_validated():
    settings = Settings(_env_file=None, log_format="JSON", log_level="warning")
    assert (settings.log_format, settings.log_level) == ("json", "WARNING")
    with pytest.raises(ValueError):
        Settings(_env_file=None, log_format="xml")
    with pytest.raises(ValueError):
        Settings(_env_file=None, log_level="LOUD")
