"""Process-wide singleton locks: only one process runs the scheduler.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) taken on a
  dedicated connection held for as long as the lock is. When the holder dies its
  connection drops and PostgreSQL releases the lock; the other processes retry
  every few seconds and one of them takes over.
- SQLite (one machine by definition): an OS file lock (``flock``) on a file next to the
  database. The kernel releases it when the holding process dies, so there is no lease
  to tune and no stale row to clean up; a table row would need both.

:class:`Leadership` runs something (the scheduler) while holding such a lock and gives
it up cleanly at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

#: Advisory lock key of the scheduler (any fixed 64-bit number; "xfsched" in ASCII).
SCHEDULER_LOCK_KEY = 0x78_66_73_63_68_65_64


class SingletonLock(Protocol):
    name: str

    async def try_acquire(self) -> bool:
        """Take the lock if free; never waits."""

    async def still_held(self) -> bool:
        """Whether we still hold it (a PostgreSQL restart, say, loses it)."""

    async def release(self) -> None:
        """Give it up (idempotent)."""


def asyncpg_dsn(database_url: str) -> str:
    """Tortoise's ``postgres://`` URL as asyncpg wants it (Tortoise-only query options dropped)."""
    parts = urlsplit(database_url)
    scheme = "postgresql" if parts.scheme in ("postgres", "asyncpg", "psycopg") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, "", ""))


class PostgresAdvisoryLock:
    """``pg_try_advisory_lock(key)`` on a connection of its own."""

    def __init__(self, database_url: str, key: int = SCHEDULER_LOCK_KEY, *, timeout: float = 5.0) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.key = key
        self.timeout = timeout
        self.name = f"PostgreSQL advisory lock {key}"
        self._conn: Any = None
        self.held = False

    async def _connection(self) -> Any:
        import asyncpg

        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self.dsn, timeout=self.timeout)
        return self._conn

    async def try_acquire(self) -> bool:
        if self.held:
            return True
        try:
            conn = await self._connection()
            self.held = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key, timeout=self.timeout))
        except (OSError, asyncio.TimeoutError, Exception) as error:  # noqa: BLE001 - retried later
            log.warning("%s: cannot try: %s", self.name, error)
            await self._drop()
            return False
        return self.held

    async def still_held(self) -> bool:
        if not self.held:
            return False
        try:
            await self._conn.fetchval("SELECT 1", timeout=self.timeout)
        except Exception as error:  # noqa: BLE001 - connection lost: so is the lock
            log.warning("%s: lost with the connection: %s", self.name, error)
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        if self.held and self._conn is not None and not self._conn.is_closed():
            with contextlib.suppress(Exception):
                await self._conn.fetchval("SELECT pg_advisory_unlock($1)", self.key, timeout=self.timeout)
        await self._drop()

    async def _drop(self) -> None:
        self.held = False
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), self.timeout)


class FileLock:
    """An exclusive ``flock`` on ``path``: per open file, so two objects in one process
    exclude each other too."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = f"file lock {self.path}"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    async def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            import fcntl
        except ImportError:  # not POSIX: one process per machine is all SQLite does anyway
            self._fd = -1
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    async def still_held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None and fd >= 0:
            os.close(fd)  # closing the file releases the flock


class AlwaysHeld:
    """For an in-memory SQLite database: nobody else can share it."""

    name = "no lock (in-memory database)"
    held = False

    async def try_acquire(self) -> bool:
        self.held = True
        return True

    async def still_held(self) -> bool:
        return self.held

    async def release(self) -> None:
        self.held = False


def scheduler_lock(database_url: str) -> SingletonLock:
    """The scheduler's lock for this database."""
    if database_url.startswith(("postgres://", "postgresql://", "asyncpg://", "psycopg://")):
        return PostgresAdvisoryLock(database_url)
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        return FileLock(database_url.removeprefix("sqlite://").split("?", 1)[0] + ".scheduler.lock")
    return AlwaysHeld()


class Leadership:
    """Run ``start()`` while holding ``lock``, ``stop()`` when it is lost or at shutdown.

    Not holding it, try again every ``retry`` seconds (so a process takes over within
    about ``retry`` seconds of the holder dying); holding it, check every ``retry``
    seconds that it is still held.
    """

    def __init__(
        self,
        lock: SingletonLock,
        start: Callable[[], Any],
        stop: Callable[[], Any],
        *,
        retry: float = 10.0,
    ) -> None:
        self.lock = lock
        self._start = start
        self._stop = stop
        self.retry = retry
        self.leading = False
        self.changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def begin(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self._run(), name="scheduler-leadership")
        return self._task

    async def _call(self, function: Callable[[], Any]) -> None:
        result = function()
        if isinstance(result, Awaitable):
            await result

    async def _run(self) -> None:
        while not self._closing.is_set():
            try:
                if not self.leading:
                    if await self.lock.try_acquire():
                        log.info("%s acquired: this process runs the scheduler", self.lock.name)
                        await self._call(self._start)
                        self.leading = True
                        self.changed.set()
                elif not await self.lock.still_held():
                    log.warning("%s lost: stopping the scheduler", self.lock.name)
                    self.leading = False
                    await self._call(self._stop)
                    self.changed.set()
            except Exception:  # noqa: BLE001 - keep contending
                log.exception("scheduler leadership")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.retry)

    async def close(self) -> None:
        """Stop the scheduler if we run it and release the lock."""
        self._closing.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.leading:
            self.leading = False
            await self._call(self._stop)
        await self.lock.release()
