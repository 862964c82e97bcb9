"""Backups of the SQLite database, and how to back PostgreSQL up.

``backup`` copies a live SQLite database with SQLite's online backup API in one step: the copy
is the database as of one committed transaction, however busy the app is (in WAL mode, which
Tortoise uses, the app keeps writing meanwhile). A file copy could catch a half-written page or
miss what still sits in the ``-wal`` file, so there is none here.

``restore`` writes a backup into the database file with the same API (a transaction: readers
see the old or the new database, never a mix) after checking that the backup is an intact
Xianfeng database, and keeps the previous contents as a ``.bak`` file beside it. It refuses
while a Xianfeng process has the database open: every ``xianfeng run|bot|admin`` holds a shared
lock on ``<database>.lock`` (``hold_app_lock``), which restore must take exclusively.

PostgreSQL is backed up with its own tools (``pg_dump``/``pg_restore``);
``postgres_instructions`` spells the commands out for the configured database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from tortoise.backends.base.config_generator import expand_db_url

from locales import N_
from models.db import APP, MIGRATIONS_TABLE, known_migrations
from models.errors import DomainError

#: Tables every Xianfeng database has; a backup without them is not one of ours.
CORE_TABLES = ("org_unit", "member", "admin_user", "outbox")
BUSY_TIMEOUT_MS = 5000

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, restore trusts the user
    fcntl = None  # type: ignore[assignment]


class BackupError(DomainError):
    """A backup or restore that cannot be done; the (translatable) message says why."""


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL, None for other databases."""
    if not database_url.startswith("sqlite://"):
        return None
    file_path = expand_db_url(database_url)["credentials"]["file_path"]
    if file_path == ":memory:":
        raise BackupError(N_("An in-memory database cannot be backed up."))
    return Path(file_path)


def default_backup_path(database: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return database.parent / "backups" / f"{database.stem}-{stamp}{database.suffix or '.sqlite3'}"


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode={'ro' if read_only else 'rw'}"
    connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return connection


def _copy(source: sqlite3.Connection, target_path: Path) -> None:
    """The whole database in one step (``pages=-1``): one read transaction, one snapshot."""
    target = sqlite3.connect(target_path)
    try:
        source.backup(target, pages=-1)
    finally:
        target.close()


def backup_sqlite(database: Path, target: Path) -> Path:
    """Copy the live database at ``database`` to ``target`` (a new file); returns ``target``."""
    if not database.is_file():
        raise BackupError(N_("There is no database at {path}."), path=str(database))
    if target.is_dir():
        target = target / default_backup_path(database).name
    if target.exists():
        raise BackupError(N_("{path} exists already: choose a new file name."), path=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = _connect(database, read_only=True)
    try:
        _copy(source, partial)
        check_backup(partial)
        os.replace(partial, target)  # the backup appears complete or not at all
    finally:
        source.close()
        partial.unlink(missing_ok=True)
    return target


@dataclass(frozen=True)
class BackupInfo:
    migrations: tuple[str, ...]
    members: int


def check_backup(path: Path) -> BackupInfo:
    """Raise BackupError unless ``path`` is an intact Xianfeng database this code can run."""
    if not path.is_file():
        raise BackupError(N_("There is no file at {path}."), path=str(path))
    try:
        connection = _connect(path, read_only=True)
    except sqlite3.Error as error:
        raise BackupError(N_("{path} is not a SQLite database."), path=str(path)) from error
    try:
        try:
            [(result,)] = connection.execute("PRAGMA integrity_check(1)").fetchall()
        except sqlite3.DatabaseError as error:
            raise BackupError(N_("{path} is not a SQLite database."), path=str(path)) from error
        if result != "ok":
            raise BackupError(
                N_("{path} is damaged (integrity check: {result})."), path=str(path), result=result
            )
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if MIGRATIONS_TABLE not in tables or not set(CORE_TABLES) <= tables:
            raise BackupError(N_("{path} is not a Xianfeng database."), path=str(path))
        applied = tuple(row[0] for row in connection.execute(
            f'SELECT name FROM "{MIGRATIONS_TABLE}" WHERE app = ? ORDER BY name',
            (APP,),
        ))
        if not applied:
            raise BackupError(N_("{path} is not a Xianfeng database."), path=str(path))
        unknown = sorted(set(applied) - known_migrations())
        if unknown:
            raise BackupError(
                N_("{path} comes from a newer Xianfeng (migrations {migrations}): upgrade "
                   "Xianfeng before restoring it."),
                path=str(path), migrations=", ".join(unknown),
            )
        [(members,)] = connection.execute('SELECT COUNT(*) FROM "member"').fetchall()
        return BackupInfo(migrations=applied, members=members)
    finally:
        connection.close()


def _lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def hold_app_lock(database_url: str) -> IO | None:
    """For a running Xianfeng process: a shared lock on the SQLite database's lock file, held
    until the returned file is closed (or the process ends). Restore needs it exclusively, so
    it refuses while any process holds it; a process starting during a restore waits."""
    if fcntl is None or ":memory:" in database_url:
        return None
    path = sqlite_path(database_url)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(_lock_path(path), "a+b")  # noqa: SIM115 - held for the process's lifetime
    fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
    return handle


@contextlib.contextmanager
def _exclusive_app_lock(database: Path):
    if fcntl is None:
        yield
        return
    with open(_lock_path(database), "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(N_(
                "Xianfeng is running on this database: stop it (run, bot, admin) before restoring."
            )) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@dataclass(frozen=True)
class Restored:
    info: BackupInfo
    previous: Path | None  # where the replaced database was kept


def restore_sqlite(backup: Path, database: Path, now: datetime | None = None) -> Restored:
    """Replace the database at ``database`` by ``backup``, keeping the old one as ``.bak``."""
    info = check_backup(backup)
    if database.exists() and database.resolve() == backup.resolve():
        raise BackupError(N_("The backup is the database itself."))
    database.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_app_lock(database):
        previous = None
        live = sqlite3.connect(database, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            if database.stat().st_size > 0:
                stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
                previous = database.with_name(f"{database.name}.{stamp}.bak")
                if previous.exists():
                    raise BackupError(
                        N_("{path} exists already: choose a new file name."), path=str(previous)
                    )
                _copy(live, previous)
            source = _connect(backup, read_only=True)
            try:
                source.backup(live, pages=-1)  # one transaction on the live file
            finally:
                source.close()
        except sqlite3.OperationalError as error:
            raise BackupError(
                N_("The database is in use or cannot be written: {error}"), error=str(error)
            ) from error
        finally:
            live.close()
    return Restored(info=info, previous=previous)


def postgres_instructions(database_url: str, gettext=lambda text: text) -> str:
    """How to back up and restore the configured PostgreSQL database (password left out)."""
    credentials = expand_db_url(database_url)["credentials"]
    user = credentials.get("user") or ""
    host = credentials.get("host") or "localhost"
    port = credentials.get("port") or 5432
    name = credentials.get("database") or ""
    url = f"postgresql://{user + '@' if user else ''}{host}:{port}/{name}"
    return "\n".join([
        gettext(N_("Xianfeng runs on PostgreSQL: back it up with PostgreSQL's own tools:")),
        "",
        f'  pg_dump --format=custom --file=xianfeng.dump "{url}"',
        "",
        gettext(N_("Restore a dump (stop the bot and the panel first) with:")),
        "",
        f'  pg_restore --clean --if-exists --no-owner --dbname="{url}" xianfeng.dump',
        "",
        gettext(N_("Give the password with PGPASSWORD or ~/.pgpass. pg_dump takes a consistent "
                   "snapshot while Xianfeng keeps running.")),
    ])
