"""Delivery benchmark: the outbox worker against the sandbox's emulated Telegram limits.

    python -m bench.delivery                  # 10,000 recipients at 30 msg/s (about 6 minutes)
    python -m bench.delivery --quick          # 1,000 recipients, limit raised to 100 msg/s
    python -m bench.delivery --kill-at 0.5    # SIGKILL the worker halfway, then restart it
    python -m bench.delivery --database postgres://postgres@127.0.0.1:5432/postgres

Each recipient gets one notification through the outbox, drained by a worker in
a subprocess (``bench.worker_process``) while the sandbox runs in this process.
The same run measures a naive loop (send, sleep 0.05 s, no outbox) on a sample
of other recipients as the baseline. Every figure comes from the sandbox's send
log: a message is lost if the sandbox never accepted it and duplicated if it
accepted it more than once.

The worker runs at 29/30 of the limit unless ``--rate`` says otherwise: the
sandbox's clock is exact, while the product's default (28 msg/s) also leaves
room for real network jitter.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiogram.exceptions import TelegramAPIError
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from bot.sandbox import SandboxServer
from bot.sandbox.state import SendLog
from bot.sandbox.testing import sandbox_bot
from models.db import open_tortoise, tortoise_config
from models.outbox import WAITING, OutboxStatus, enqueue, status_counts

ROOT = Path(__file__).resolve().parents[1]
WORKER_ID = "bench-worker"
NAIVE_PAUSE = 0.05
BASELINE_FIRST_ID = 5_000_001
STALL_SECONDS = 60


@dataclass
class Figures:
    recipients: int
    rate: float  # accepted sends per second, first to last
    busiest_window: int  # most accepted sends in any one second
    refused_429: int
    unhandled_429: int  # refused with 429 and never delivered
    lost: int
    duplicated: int
    wall: float


def measure(log: SendLog, expected: set[tuple[int, str]], wall: float) -> Figures:
    accepted = log.accepted(["sendMessage"])
    times = [r.t for r in accepted]
    span = max(times) - min(times) if len(times) > 1 else 0.0
    delivered = Counter((r.chat_id, r.text) for r in accepted)
    refused = [(r.chat_id, r.text) for r in log if r.outcome == "429"]
    return Figures(
        recipients=len(expected),
        rate=(len(times) - 1) / span if span else 0.0,
        busiest_window=log.max_in_window(1.0),
        refused_429=len(refused),
        unhandled_429=len(set(refused) - delivered.keys()),
        lost=len(expected - delivered.keys()),
        duplicated=sum(n - 1 for n in delivered.values()),
        wall=wall,
    )


def take_log(sandbox: SandboxServer) -> SendLog:
    """The send log so far; the sandbox starts a new one."""
    log, sandbox.state.send_log = sandbox.state.send_log, SendLog()
    return log


# --------------------------------------------------------------------------- baseline


async def naive_loop(sandbox: SandboxServer, count: int) -> Figures:
    """Send, sleep 0.05 s, next: no outbox, no retries."""
    chats = range(BASELINE_FIRST_ID, BASELINE_FIRST_ID + count)
    sandbox.actions.bulk_register(start_id=BASELINE_FIRST_ID, count=count)
    expected = {(chat, f"naive notification for {chat}") for chat in chats}
    bot = sandbox_bot(sandbox)
    began = time.perf_counter()
    try:
        for chat in chats:
            with contextlib.suppress(TelegramAPIError):
                await bot.send_message(chat, f"naive notification for {chat}")
            await asyncio.sleep(NAIVE_PAUSE)
    finally:
        await bot.session.close()
    return measure(take_log(sandbox), expected, time.perf_counter() - began)


# --------------------------------------------------------------------------- the outbox worker


@contextlib.asynccontextmanager
async def bench_database(database: str) -> AsyncIterator[str]:
    """A new, empty database: a temporary SQLite file, or a database created on the
    given PostgreSQL server and dropped afterwards."""
    if database == "sqlite":
        with tempfile.TemporaryDirectory(prefix="xf-bench-") as folder:
            yield f"sqlite://{folder}/bench.sqlite3"
        return
    import asyncpg

    name = f"xf_bench_{uuid.uuid4().hex[:12]}"
    server = await asyncpg.connect(database.replace("postgres://", "postgresql://", 1))
    try:
        await server.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{database.rpartition('/')[0]}/{name}"
        finally:
            await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await server.close()


async def spawn_worker(
    database_url: str, sandbox: SandboxServer, rate: float
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.worker_process",
        "--database", database_url, "--api-url", sandbox.url, "--token", sandbox.token,
        "--worker-id", WORKER_ID, "--rate", str(rate),
        cwd=ROOT,
    )


async def outbox_run(
    sandbox: SandboxServer, database_url: str, count: int, rate: float, kill_at: float | None
) -> tuple[Figures, str | None]:
    """Enqueue one notification per recipient and let a worker process drain them."""
    sandbox.actions.bulk_register(start_id=1, count=count)
    expected = {(chat, f"notification for {chat}") for chat in range(1, count + 1)}
    await open_tortoise(tortoise_config(database_url), _enable_global_fallback=True)
    try:
        await Tortoise.generate_schemas()
        async with in_transaction():
            for chat, text in sorted(expected):
                await enqueue(chat, text, kind="bench", dedup_key=f"bench:{chat}")

        began = time.perf_counter()
        worker = await spawn_worker(database_url, sandbox, rate)
        crash_note = None
        try:
            if kill_at is not None:
                await wait_for_sends(sandbox, worker, int(kill_at * count))
                worker.kill()
                await worker.wait()
                killed_after = len(sandbox.state.send_log.accepted())
                worker = await spawn_worker(database_url, sandbox, rate)
                crash_note = (f"worker killed with SIGKILL after {killed_after:,} accepted sends, "
                              "then restarted")
            await wait_until_drained(sandbox, worker)
            wall = time.perf_counter() - began
        finally:
            if worker.returncode is None:
                worker.terminate()
                await worker.wait()
        return measure(take_log(sandbox), expected, wall), crash_note
    finally:
        await Tortoise.close_connections()


async def wait_for_sends(
    sandbox: SandboxServer, worker: asyncio.subprocess.Process, n: int
) -> None:
    while len(sandbox.state.send_log.accepted()) < n:
        check_alive(worker)
        await asyncio.sleep(0.05)


async def wait_until_drained(sandbox: SandboxServer, worker: asyncio.subprocess.Process) -> None:
    """Until no row waits or is being sent (raises if the worker dies or stops progressing)."""
    progress, progress_at = -1, time.monotonic()
    while True:
        check_alive(worker)
        counts = await status_counts()
        if not any(counts[status] for status in (*WAITING, OutboxStatus.SENDING)):
            return
        if len(sandbox.state.send_log) != progress:
            progress, progress_at = len(sandbox.state.send_log), time.monotonic()
        elif time.monotonic() - progress_at > STALL_SECONDS:
            raise RuntimeError(f"no send attempt for {STALL_SECONDS} s: {counts}")
        await asyncio.sleep(0.5)


def check_alive(worker: asyncio.subprocess.Process) -> None:
    if worker.returncode is not None:
        raise RuntimeError(f"the worker process exited with {worker.returncode}")


# --------------------------------------------------------------------------- report


def report(
    args: argparse.Namespace, outbox: Figures, naive: Figures, crash_note: str | None
) -> str:
    database = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    rows = [
        ("recipients", f"{outbox.recipients:,}", f"{naive.recipients:,}"),
        ("messages/s (first to last send)", f"{outbox.rate:.2f}", f"{naive.rate:.2f}"),
        (f"ratio to the {args.limit:g} msg/s limit", f"{outbox.rate / args.limit:.3f}",
         f"{naive.rate / args.limit:.3f}"),
        ("busiest 1-second window", str(outbox.busiest_window), str(naive.busiest_window)),
        ("429s received (unhandled)", f"{outbox.refused_429} ({outbox.unhandled_429})",
         f"{naive.refused_429} ({naive.unhandled_429})"),
        ("lost (queued, never sent)", str(outbox.lost), str(naive.lost)),
        ("duplicated (sent twice)", str(outbox.duplicated), str(naive.duplicated)),
        ("wall time", f"{outbox.wall:.1f} s", f"{naive.wall:.1f} s"),
    ]
    width = max(len(label) for label, _, _ in rows)
    lines = [
        f"Delivery benchmark: {database}, sandbox limits {args.limit:g} msg/s overall "
        f"and 1 msg/s per chat",
        f"outbox worker: one process, {args.rate:.1f} msg/s; naive loop: send, sleep "
        f"{NAIVE_PAUSE} s",
    ]
    if crash_note:
        lines.append(crash_note)
    lines += ["", f"{'':{width}}  {'outbox worker':>15}  {'naive loop':>12}"]
    lines += [f"{label:{width}}  {a:>15}  {b:>12}" for label, a, b in rows]
    met = {
        "0 lost": outbox.lost == 0,
        f"duplicates <= {1 if crash_note else 0}": outbox.duplicated <= (1 if crash_note else 0),
        "0 unhandled 429s": outbox.unhandled_429 == 0,
    }
    if not crash_note:  # across a crash the rate includes the restart of the worker process
        met["rate >= 0.95 x limit"] = outbox.rate >= 0.95 * args.limit
    verdicts = ", ".join(f"{target} {'met' if ok else 'MISSED'}" for target, ok in met.items())
    lines += ["", f"targets: {verdicts}"]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Drain notifications through the outbox against the sandbox's limits."
    )
    parser.add_argument("--quick", action="store_true",
                        help="1,000 recipients, limit 100 msg/s, baseline 200 (under a minute)")
    parser.add_argument("--users", type=int, help="recipients (default 10,000, quick 1,000)")
    parser.add_argument("--limit", type=int, help="sandbox msg/s overall (default 30, quick 100)")
    parser.add_argument("--rate", type=float, help="worker msg/s (default 29/30 of the limit)")
    parser.add_argument("--baseline", type=int,
                        help="recipients of the naive loop (default 1,000, quick 200)")
    parser.add_argument("--kill-at", type=float, metavar="FRACTION",
                        help="SIGKILL the worker after this fraction of sends, then restart it")
    parser.add_argument("--database", default="sqlite",
                        help="'sqlite' (a temporary file) or a PostgreSQL server URL "
                             "(a fresh database is created there and dropped afterwards)")
    args = parser.parse_args(argv)
    args.users = args.users or (1_000 if args.quick else 10_000)
    args.limit = args.limit or (100 if args.quick else 30)
    args.rate = args.rate or args.limit * 29 / 30
    args.baseline = args.baseline or (200 if args.quick else 1_000)
    if args.kill_at is not None and not 0 < args.kill_at < 1:
        parser.error("--kill-at must be between 0 and 1")
    return args


async def main(args: argparse.Namespace) -> None:
    sandbox = SandboxServer(enforce_limits=True, global_rate=args.limit, per_chat_interval=1.0)
    async with sandbox:
        naive = await naive_loop(sandbox, args.baseline)
        async with bench_database(args.database) as database_url:
            outbox, crash_note = await outbox_run(
                sandbox, database_url, args.users, args.rate, args.kill_at
            )
    print(report(args, outbox, naive, crash_note))


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
