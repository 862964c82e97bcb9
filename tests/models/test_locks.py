"""Only one process runs the scheduler: the lock, its release, and takeover when the holder dies."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import asyncpg
import pytest

from models.locks import (
    AlwaysHeld,
    FileLock,
    Leadership,
    PostgresAdvisoryLock,
    asyncpg_dsn,
    scheduler_lock,
)


def test_the_lock_follows_the_database():
    assert isinstance(scheduler_lock("postgres://u@h:5432/db?minsize=1"), PostgresAdvisoryLock)
    lock = scheduler_lock("sqlite:///srv/data/x.sqlite3")
    assert isinstance(lock, FileLock) and str(lock.path) == "/srv/data/x.sqlite3.scheduler.lock"
    assert isinstance(scheduler_lock("sqlite://:memory:"), AlwaysHeld)
    assert asyncpg_dsn("postgres://u:p@h:5432/db?minsize=1&maxsize=5") == "postgresql://u:p@h:5432/db"


async def test_file_lock_excludes_a_second_holder_until_released(tmp_path):
    first, second = FileLock(tmp_path / "db.lock"), FileLock(tmp_path / "db.lock")
    assert await first.try_acquire()
    assert await first.try_acquire()  # idempotent for its holder
    assert not await second.try_acquire()
    await first.release()
    assert await second.try_acquire()
    assert not await first.try_acquire()
    await second.release()


@pytest.mark.skipif(sys.platform == "win32", reason="flock")
async def test_file_lock_is_taken_over_when_the_holding_process_dies(tmp_path):
    path = tmp_path / "db.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import fcntl, os, sys, time
            fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)
            fcntl.flock(fd, fcntl.LOCK_EX)
            print("held", flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"held"
        lock = FileLock(path)
        assert not await lock.try_acquire()
        holder.kill()
        holder.wait(10)
        assert await lock.try_acquire()
        await lock.release()
    finally:
        holder.kill()
        holder.wait(10)


async def test_leadership_starts_and_stops_with_the_lock(tmp_path):
    events = []
    first = Leadership(FileLock(tmp_path / "l"), lambda: events.append("A+"), lambda: events.append("A-"), retry=0.05)
    second = Leadership(FileLock(tmp_path / "l"), lambda: events.append("B+"), lambda: events.append("B-"), retry=0.05)
    first.begin()
    await asyncio.wait_for(first.changed.wait(), 5)
    second.begin()
    await asyncio.sleep(0.2)
    assert first.leading and not second.leading and events == ["A+"]

    await first.close()  # graceful shutdown: scheduler stopped, lock released
    await asyncio.wait_for(second.changed.wait(), 5)
    assert second.leading and events == ["A+", "A-", "B+"]
    await second.close()
    assert events == ["A+", "A-", "B+", "B-"]


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def lock_key():
    return int.from_bytes(os.urandom(6), "big")  # tests share one server: a key of our own


async def test_advisory_lock_is_exclusive_and_released(postgres_url, lock_key):
    first, second = PostgresAdvisoryLock(postgres_url, lock_key), PostgresAdvisoryLock(postgres_url, lock_key)
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        assert await first.still_held()
        await first.release()
        assert await second.try_acquire()
        assert not await first.try_acquire()
    finally:
        await first.release()
        await second.release()


async def terminate_backend(postgres_url: str, lock: PostgresAdvisoryLock) -> None:
    """Cut the lock's connection from the server side, as when its process is killed."""
    admin = await asyncpg.connect(asyncpg_dsn(postgres_url))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", lock._conn.get_server_pid())
    finally:
        await admin.close()


async def test_advisory_lock_is_taken_over_when_the_holder_dies(postgres_url, lock_key):
    events = []
    first_lock = PostgresAdvisoryLock(postgres_url, lock_key)
    first = Leadership(first_lock, lambda: events.append("A+"), lambda: events.append("A-"), retry=0.1)
    second = Leadership(
        PostgresAdvisoryLock(postgres_url, lock_key), lambda: events.append("B+"), lambda: events.append("B-"),
        retry=0.1,
    )
    first.begin()
    await asyncio.wait_for(first.changed.wait(), 5)
    second.begin()
    await asyncio.sleep(0.3)
    assert events == ["A+"] and not second.leading

    first._task.cancel()  # the holding process dies: it runs nothing more ...
    await terminate_backend(postgres_url, first_lock)  # ... and its connection drops
    await asyncio.wait_for(second.changed.wait(), 10)
    assert second.leading and events == ["A+", "B+"]
    await second.close()
    assert events == ["A+", "B+", "B-"]
    await first_lock.release()


async def test_a_holder_that_loses_its_connection_stops_the_scheduler_then_retries(postgres_url, lock_key):
    events = []
    lock = PostgresAdvisoryLock(postgres_url, lock_key)
    leader = Leadership(lock, lambda: events.append("+"), lambda: events.append("-"), retry=0.1)
    leader.begin()
    await asyncio.wait_for(leader.changed.wait(), 5)
    leader.changed.clear()
    await terminate_backend(postgres_url, lock)
    await asyncio.wait_for(leader.changed.wait(), 10)
    leader.changed.clear()
    assert events == ["+", "-"] and not leader.leading
    await asyncio.wait_for(leader.changed.wait(), 10)  # nobody else holds it: taken again
    assert events == ["+", "-", "+"] and leader.leading
    await leader.close()
    assert events[-1] == "-"
