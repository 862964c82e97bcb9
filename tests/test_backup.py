"""`xianfeng backup` / `xianfeng restore`: a consistent copy of a live SQLite database, checked
restores, and the README's commands as written."""

from __future__ import annotations

import asyncio
import re
import shlex
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from models.db import apply_migrations
from xianfeng.backup import hold_app_lock
from xianfeng.cli import main

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5  # the writer commits its rows BATCH at a time

# Product code writing as fast as it can, BATCH outbox rows per transaction, until told to stop.
WRITER = textwrap.dedent(f"""
    import asyncio, sys
    from pathlib import Path
    from tortoise.transactions import in_transaction
    from models.db import init_db, close_db
    from models.outbox import enqueue

    async def main(url, stop):
        await init_db(url, run_migrations=False)
        batch = 0
        while not Path(stop).exists():
            batch += 1
            async with in_transaction():
                for i in range({BATCH}):
                    await enqueue(batch, "row %d of batch %d" % (i, batch), kind="batch-%d" % batch)
        await close_db()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
""")


@pytest.fixture
def live(tmp_path, monkeypatch) -> Path:
    """A migrated SQLite database that DATABASE_URL points at (CLI in English)."""
    path = tmp_path / "data" / "xianfeng.sqlite3"
    asyncio.run(apply_migrations(f"sqlite://{path}"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{path}")
    monkeypatch.setenv("DEFAULT_LOCALE", "en")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env; relative paths land in tmp_path
    return path


def rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


def assert_consistent(path: Path) -> dict[str, int]:
    """Intact, and every writer transaction is there whole or not at all."""
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        batches = dict(connection.execute("SELECT kind, COUNT(*) FROM outbox GROUP BY kind"))
    assert all(count == BATCH for count in batches.values()), batches
    numbers = sorted(int(kind.removeprefix("batch-")) for kind in batches)
    assert numbers == list(range(1, len(numbers) + 1))  # a prefix of the writer's history
    return batches


def wait_for_rows(path: Path, at_least: int, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        count = rows(path)
        if count >= at_least:
            return count
        time.sleep(0.05)
    raise AssertionError(f"the writer did not reach {at_least} rows")


def test_backup_of_a_live_database_under_writes_restores_to_a_point_in_time(live, capsys):
    stop = live.parent / "stop-writing"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, f"sqlite://{live}", str(stop)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        before = wait_for_rows(live, 20 * BATCH, writer)
        assert main(["backup", "backups/live.sqlite3"]) == 0
        after = rows(live)
        assert "Backup written to backups/live.sqlite3" in capsys.readouterr().out
        # The writer kept going during and after the backup.
        wait_for_rows(live, after + 5 * BATCH, writer)
    finally:
        stop.touch()
        writer.wait(30)
    assert writer.returncode == 0, writer.stderr.read()

    backup = live.parent.parent / "backups" / "live.sqlite3"
    batches = assert_consistent(backup)
    final = assert_consistent(live)
    assert before <= len(batches) * BATCH <= after
    assert len(final) > len(batches)

    assert main(["restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert f"Restored {backup}" in out
    assert assert_consistent(live) == batches  # exactly the backup's point in time
    [kept] = live.parent.glob("xianfeng.sqlite3.*.bak")
    assert f"The previous database is kept as {kept}" in out
    assert assert_consistent(kept) == final


def test_restore_refuses_while_xianfeng_runs(live, capsys):
    assert main(["backup", "copy.sqlite3"]) == 0
    lock = hold_app_lock(f"sqlite://{live}")  # what `xianfeng run|bot|admin` holds
    try:
        assert main(["restore", "copy.sqlite3"]) == 1
        assert "Xianfeng is running on this database" in capsys.readouterr().err
    finally:
        lock.close()
    assert main(["restore", "copy.sqlite3"]) == 0


def test_restore_checks_the_file_and_leaves_the_database_alone(live, tmp_path, capsys):
    with sqlite3.connect(live) as connection:
        connection.execute("INSERT INTO outbox (kind, chat_id, text, status, attempts, created_at) "
                           "VALUES ('keep', 1, 'x', 'queued', 0, '2025-01-01')")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all" * 100)
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER)")
    newer = tmp_path / "newer.sqlite3"
    assert main(["backup", str(newer)]) == 0
    with sqlite3.connect(newer) as connection:
        connection.execute("INSERT INTO tortoise_migrations (app, name, applied_at) "
                           "VALUES ('models', '9999_future', '2030-01-01')")
    capsys.readouterr()

    cases = {
        garbage: "is not a SQLite database",
        foreign: "is not a Xianfeng database",
        newer: "comes from a newer Xianfeng (migrations 9999_future)",
        tmp_path / "missing.sqlite3": "There is no file at",
    }
    for path, message in cases.items():
        assert main(["restore", str(path)]) == 1, path
        assert message in capsys.readouterr().err
    assert rows(live) == 1
    assert not list(live.parent.glob("*.bak"))


def test_backup_refuses_to_overwrite(live, capsys):
    assert main(["backup", "one.sqlite3"]) == 0
    assert main(["backup", "one.sqlite3"]) == 1
    assert "exists already" in capsys.readouterr().err
    assert main(["backup"]) == 0  # default: backups/ beside the database, with a timestamp
    [default] = (live.parent / "backups").glob("xianfeng-*.sqlite3")
    assert_consistent(default)


def test_postgres_backups_are_explained_not_made(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgres://xf:secret-pw@db.internal:5433/xianfeng")
    monkeypatch.setenv("DEFAULT_LOCALE", "en")
    monkeypatch.chdir(tmp_path)
    assert main(["backup"]) == 1
    captured = capsys.readouterr()
    assert 'pg_dump --format=custom --file=xianfeng.dump "postgresql://xf@db.internal:5433/xianfeng"' in (
        captured.out
    )
    assert "pg_restore" in captured.out and "secret-pw" not in captured.out
    assert "No backup was made." in captured.err
    assert main(["restore", "x.dump"]) == 1
    assert "Nothing was restored." in capsys.readouterr().err


def readme_block(heading: str) -> list[list[str]]:
    """The `xianfeng …` command lines of the first sh block under ``heading`` in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            commands.append(words)
    return commands


def test_the_readme_backup_and_restore_commands_work_as_written(live, capsys):
    commands = readme_block("Backup and restore")
    assert [words[:2] for words in commands] == [["xianfeng", "backup"], ["xianfeng", "restore"]]
    backup, restore = commands
    with sqlite3.connect(live) as connection:
        connection.execute("INSERT INTO outbox (kind, chat_id, text, status, attempts, created_at) "
                           "VALUES ('before', 1, 'x', 'queued', 0, '2025-01-01')")

    assert main(backup[1:]) == 0
    with sqlite3.connect(live) as connection:
        connection.execute("DELETE FROM outbox")  # an accident after the backup
    assert main(restore[1:]) == 0

    assert rows(live) == 1
    assert "Restored" in capsys.readouterr().out
