"""Shared fixtures: a fresh database per test, built through the product's own functions.

``TEST_DATABASE=postgres`` (with ``TEST_POSTGRES_URL``) runs every test that uses ``db`` on
PostgreSQL instead of SQLite: each test gets its own database, cloned from a template that
holds the schema (created once per session, dropped at the end).
"""

from __future__ import annotations

import os
import uuid

import pytest
import pytest_asyncio
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from locales import DEFAULT_LOCALE, set_default_locale
from models.db import init_db, open_tortoise, tortoise_config
from models.text_search import MEMBER_NAME, PLEDGE_ITEM_TEXT
from tests import factories


@pytest.fixture(autouse=True)
def _product_default_locale():
    """``runtime.start`` sets the process's default language from its settings (English in
    some tests): the next test gets the product's default again, whatever the order."""
    yield
    set_default_locale(DEFAULT_LOCALE)


async def open_test_database(url: str) -> None:
    """Open ``url`` for every task of this process and create the current schema, with what
    the migrations add beyond the models (the item-text index on SQLite)."""
    # Tortoise caches insert SQL per (connection name, table), not per dialect; only the
    # test suite switches one process between SQLite and PostgreSQL, so it clears the cache.
    EXECUTOR_CACHE.clear()
    await open_tortoise(tortoise_config(url), _enable_global_fallback=True)
    await Tortoise.generate_schemas()
    for index in (PLEDGE_ITEM_TEXT, MEMBER_NAME):  # the migrations make them too
        await index.create(Tortoise.get_connection("default"))


TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
if TEST_DATABASE not in ("sqlite", "postgres"):
    raise pytest.UsageError(f"TEST_DATABASE must be sqlite or postgres, not {TEST_DATABASE!r}")

# The template database of this session (PostgreSQL runs only), created on first use.
_pg_template: str | None = None


def _server_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _database_url(server_url: str, name: str) -> str:
    base, _, _ = server_url.rpartition("/")
    return f"{base}/{name}"


async def _postgres_template(server_url: str) -> str:
    """The session's template database with the current schema (created once)."""
    global _pg_template
    if _pg_template is None:
        import asyncpg

        name = f"xf_tmpl_{uuid.uuid4().hex[:12]}"
        server = await asyncpg.connect(_server_dsn(server_url))
        try:
            await server.execute(f'CREATE DATABASE "{name}"')
        finally:
            await server.close()
        await open_test_database(_database_url(server_url, name))
        await Tortoise.close_connections()  # a template must have no connections when cloned
        _pg_template = name
    return _pg_template


def pytest_sessionfinish(session, exitstatus):
    if _pg_template is None:
        return
    import asyncio

    import asyncpg

    async def drop() -> None:
        server = await asyncpg.connect(_server_dsn(os.environ["TEST_POSTGRES_URL"]))
        try:
            await server.execute(f'DROP DATABASE IF EXISTS "{_pg_template}" WITH (FORCE)')
        finally:
            await server.close()

    asyncio.run(drop())


def pytest_collection_modifyitems(config, items):
    """On the PostgreSQL pass, run only the tests that use the ``db`` fixture.

    The others do not depend on TEST_DATABASE (they use no database, their own SQLite file,
    or PostgreSQL explicitly through ``pg_db``/``any_db``) and already ran in the SQLite pass.
    """
    if TEST_DATABASE != "postgres":
        return
    kept = [item for item in items if "db" in getattr(item, "fixturenames", ())]
    deselected = [item for item in items if "db" not in getattr(item, "fixturenames", ())]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_report_header(config):
    if TEST_DATABASE == "postgres":
        return (
            "test database: postgres (TEST_DATABASE): only tests using the db fixture run; "
            "the others ran in the SQLite pass"
        )
    return "test database: sqlite (TEST_DATABASE=postgres runs the db tests on PostgreSQL)"


@pytest_asyncio.fixture
async def db(tmp_path):
    """A fresh database with the current schema, visible to every task.

    SQLite in ``tmp_path``; with ``TEST_DATABASE=postgres`` a new PostgreSQL database cloned
    from the session's template, dropped afterwards.
    """
    if TEST_DATABASE == "sqlite":
        url = f"sqlite://{tmp_path / 'test.sqlite3'}"
        await open_test_database(url)
        yield url
        await Tortoise.close_connections()
        return

    import asyncpg

    server_url = os.environ.get("TEST_POSTGRES_URL")
    if not server_url:
        pytest.skip("TEST_DATABASE=postgres but TEST_POSTGRES_URL is not set")
    template = await _postgres_template(server_url)
    name = f"xf_test_{uuid.uuid4().hex[:12]}"
    server = await asyncpg.connect(_server_dsn(server_url))
    try:
        await server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        url = _database_url(server_url, name)
        # The schema is already there: open without generating it again.
        EXECUTOR_CACHE.clear()
        await open_tortoise(tortoise_config(url), _enable_global_fallback=True)
        yield url
        await Tortoise.close_connections()
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await server.close()


@pytest.fixture(autouse=True)
def audit_entries_have_words(monkeypatch):
    """Every audit entry a test records is one the audit log can name in words: its action,
    its object's model and each field it holds have labels (admin.labels, admin.audit_fields),
    and so has each coded value, or a secretary would read ``card.award`` / ``PointCard`` /
    ``status: submitted``. The panel falls back to the codes; the tests do not."""
    from admin.audit_fields import field_label, value_labels
    from admin.labels import AUDIT_ACTION_LABELS, AUDIT_OBJECT_LABELS
    from models import audit

    build = audit.entry

    def entry(actor, action, obj, **details):
        assert action in AUDIT_ACTION_LABELS, f"audit action {action!r}: no label in AUDIT_ACTION_LABELS"
        model = type(obj).__name__
        assert model in AUDIT_OBJECT_LABELS, f"audited model {model!r}: no label in AUDIT_OBJECT_LABELS"
        built = build(actor, action, obj, **details)
        for values in (built.before or {}, built.after or {}):
            for key, value in values.items():
                assert field_label(model, key) != key, f"{model}.{key}: no label in admin.audit_fields"
                labels = value_labels(model, key)
                for code in value if isinstance(value, list) else [value]:
                    assert labels is None or code in (None, "") or str(code) in labels, (
                        f"{model}.{key} = {code!r}: no label for the value")
        return built

    monkeypatch.setattr(audit, "entry", entry)


@pytest_asyncio.fixture
async def org(db):
    """The demo-like tree: 东风区 / 东风街道 / {南园社区, 新风社区} / branches."""
    return await factories.org_tree()


@pytest.fixture
def postgres_url():
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TEST_POSTGRES_URL is not set: PostgreSQL tests need a server (CI sets it)")
    return url


@pytest_asyncio.fixture
async def fresh_postgres_url(postgres_url):
    """A brand-new PostgreSQL database for this test, dropped afterwards."""
    import asyncpg

    name = f"xf_test_{uuid.uuid4().hex[:12]}"
    server = await asyncpg.connect(postgres_url.replace("postgres://", "postgresql://", 1))
    try:
        await server.execute(f'CREATE DATABASE "{name}"')
        base, _, _ = postgres_url.rpartition("/")
        yield f"{base}/{name}"
        await Tortoise.close_connections()
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await server.close()


@pytest_asyncio.fixture
async def pg_db(fresh_postgres_url):
    """Like ``db`` but on a fresh PostgreSQL database."""
    await open_test_database(fresh_postgres_url)
    yield fresh_postgres_url
    await Tortoise.close_connections()


@pytest_asyncio.fixture
async def migrated_pg_db(fresh_postgres_url):
    """A fresh PostgreSQL database as deployed (``xianfeng migrate``), open in this process:
    for `xianfeng bot` processes, which refuse a database whose migrations are not theirs."""
    EXECUTOR_CACHE.clear()
    await init_db(fresh_postgres_url)
    yield fresh_postgres_url
    await Tortoise.close_connections()


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: Redis tests need a server (CI sets it)")
    return url
