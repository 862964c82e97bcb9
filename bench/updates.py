"""Update-handling benchmark: the bot behind its webhook, against a bare aiogram echo bot.

    python -m bench.updates                      # SQLite: echo baseline, then 1 and 2 workers
    python -m bench.updates --quick              # fewer users and rounds (about a minute)
    python -m bench.updates --postgres postgres://postgres@127.0.0.1:5432/postgres \\
        --redis redis://127.0.0.1:6379/0         # SQLite and PostgreSQL (with Redis FSM storage)

Each configuration gets a fresh database (members bound to Telegram accounts, a wish
wall of several pages, an activity to sign up for) and a fresh sandbox. The workers are
real ``xianfeng bot`` processes on a webhook sharing one port (SO_REUSEPORT); the
baseline is ``bench.echo_bot``, a bare aiogram bot served the same way. Every user
first opens ``/menu`` (not measured); then every user's updates for the measured part
are queued at once and the sandbox delivers them like Telegram: up to 40 requests in
flight, one at a time per chat, in order. The mix, per user and round: ``/menu``, the
wish wall, its next and first page, "My pledge", a pledge item written in four steps
(add, kind, text, date), an activity's card, sign up, cancel the sign-up. The echo bot
receives exactly the same updates.

Figures: updates/s from the first delivery to the last answer; p50/p95 of the time from
posting an update to the webhook's answer (the handler's whole work, measured by the
sandbox, the same way for both bots); the ratio to the echo bot; the workers' CPU time per
update (a figure less sensitive to a busy machine). Nothing is asserted. Debugging aids:
``BENCH_LOG=1`` prints what the workers logged, ``BENCH_PROFILE=/tmp/w`` writes a cProfile
of each worker to ``/tmp/w-<n>.prof``, timed by the CPU time of its event loop's thread
(see bench/profile_worker.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tortoise import Tortoise

from bot.callbacks import (
    ActivityAction,
    ActivityCallback,
    MenuAction,
    MenuCallback,
    PledgeAction,
    PledgeCallback,
    PledgeDateChoice,
    PledgeKindChoice,
    TargetDateChoice,
    WallCallback,
)
from bot.sandbox import SandboxServer
from models import clock
from models.db import apply_migrations, open_tortoise, tortoise_config
from models.pledges import ItemKind

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-webhook-secret"
FIRST_USER = 300_001
READY = "Press Ctrl+C to stop."


@dataclass
class Result:
    label: str
    updates: int
    seconds: float
    latencies: list[float]
    failures: int
    cpu_seconds: float  # the worker processes' CPU time (user + system) while measured

    @property
    def cpu_ms_per_update(self) -> float:
        return self.cpu_seconds * 1000 / self.updates if self.updates else 0.0

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --------------------------------------------------------------------------- data


@contextlib.asynccontextmanager
async def fresh_database(kind: str, postgres: str | None) -> AsyncIterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="xf-bench-") as folder:
            yield f"sqlite://{folder}/bench.sqlite3"
        return
    import asyncpg

    name = f"xf_bench_{uuid.uuid4().hex[:12]}"
    server = await asyncpg.connect(postgres.replace("postgres://", "postgresql://", 1))
    try:
        await server.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{postgres.rpartition('/')[0]}/{name}"
        finally:
            await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await server.close()


async def seed(database_url: str, users: int) -> int:
    """Members bound to the sandbox users, a wall of 12 wishes, one activity. Returns its id."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from models.activities import create_activity
    from models.admins import Role, create_admin
    from models.audit import Actor
    from models.invites import issue_invite, redeem_invite
    from models.members import TelegramUser
    from models.membership import clean_member, create_member
    from models.org import OrgKind, create_org_unit
    from models.scope import Scope
    from models.wishes import WishCategory, publish_wish, submit_wish

    EXECUTOR_CACHE.clear()  # insert SQL is cached per table, not per dialect: SQLite, then PostgreSQL
    await apply_migrations(database_url)
    await open_tortoise(tortoise_config(database_url), _enable_global_fallback=True)
    try:
        system = Actor.system("bench")
        district = await create_org_unit("东风区委", OrgKind.DISTRICT)
        street = await create_org_unit("东风街道", OrgKind.STREET, district)
        community = await create_org_unit("南园社区", OrgKind.COMMUNITY, street)
        branch = await create_org_unit("第一支部", OrgKind.BRANCH, community)
        for i in range(users):
            data = {"name": f"党员{i:04d}", "branch": branch.id, "member_type": "retired",
                    "residence_community": community.id}
            member = await create_member(await clean_member(data), system)
            tg_user = await TelegramUser.create(id=FIRST_USER + i, first_name="M", language_code="en")
            invite = await issue_invite(member, timedelta(days=30), system)
            await redeem_invite(invite.code, tg_user)
        today = clock.local_today()
        for i in range(12):
            wish = await submit_wish(community, f"心愿 {i}: 帮忙修水管", system, resident_name="王阿姨",
                                     contact_phone="13700000000")
            await publish_wish(wish, system, category=WishCategory.CONVENIENCE,
                               service_standard="上门服务", deadline=today + timedelta(days=14))
        admin = await create_admin("bench-secretary", "correct horse battery",
                                   Role.COMMUNITY_SECRETARY, community)
        starts = datetime.now(UTC) + timedelta(days=2)
        activity = await create_activity(
            Actor(admin=admin), community, title="周四义诊", place="社区服务中心", starts_at=starts,
            ends_at=starts + timedelta(hours=2), capacity=None, scope=await Scope.of(admin),
        )
        return activity.id
    finally:
        await Tortoise.close_connections()


def mix(round_no: int, activity_id: int) -> list[tuple[str, str]]:
    """One round of one user: ("text", text) or ("press", callback data)."""
    year = clock.current_year()
    return [
        ("text", "/menu"),
        ("press", MenuCallback(action=MenuAction.WISH_WALL).pack()),
        ("press", WallCallback(page=1).pack()),
        ("press", WallCallback(page=0).pack()),
        ("press", MenuCallback(action=MenuAction.MY_PLEDGE).pack()),
        ("press", PledgeCallback(action=PledgeAction.ADD, year=year).pack()),
        ("press", PledgeKindChoice(kind=ItemKind.PRACTICAL).pack()),
        ("text", f"每周三帮李奶奶买菜 (第 {round_no + 1} 条)"),
        ("press", PledgeDateChoice(choice=TargetDateChoice.END_OF_YEAR).pack()),
        ("press", ActivityCallback(action=ActivityAction.VIEW, activity_id=activity_id).pack()),
        ("press", ActivityCallback(action=ActivityAction.SIGN_UP, activity_id=activity_id).pack()),
        ("press", ActivityCallback(action=ActivityAction.CANCEL, activity_id=activity_id).pack()),
    ]


# --------------------------------------------------------------------------- processes


class Process:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while line := await self.process.stdout.readline():
            self.lines.append(line.decode(errors="replace"))

    async def ready(self, timeout: float = 60) -> None:
        began = time.monotonic()
        while not any(READY in line for line in self.lines):
            if self.process.returncode is not None or time.monotonic() - began > timeout:
                raise RuntimeError("a worker did not start:\n" + "".join(self.lines[-30:]))
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except asyncio.TimeoutError:
                self.process.kill()
                await self.process.wait()
        self.reader.cancel()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (Linux /proc)."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def spawn(argv: list[str], env: dict[str, str]) -> Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, *argv, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    return Process(process)


async def start_workers(
    kind: str, count: int, sandbox: SandboxServer, port: int, database_url: str | None,
    redis_url: str | None, tmp: str,
) -> list[Process]:
    if kind == "echo":
        argv = ["-m", "bench.echo_bot", "--api-url", sandbox.url, "--token", sandbox.token,
                "--port", str(port), "--secret", SECRET]
        workers = [await spawn(argv, dict(os.environ))]
    else:
        env = {
            **os.environ, "BOT_TOKEN": sandbox.token, "TELEGRAM_API_URL": sandbox.url,
            "DATABASE_URL": database_url, "WEBHOOK_URL": f"http://127.0.0.1:{port}/tg",
            "WEBHOOK_SECRET": SECRET, "WEBHOOK_PORT": str(port), "DEFAULT_LOCALE": "en",
            "DATA_DIR": tmp, "REDIS_URL": redis_url or "",
            "REDIS_KEY_PREFIX": f"xf-bench-{uuid.uuid4().hex[:8]}",
        }
        def command(i: int) -> list[str]:
            argv = ["-m", "xianfeng.cli", "bot", "--worker-id", f"bench-{i}"]
            if profile := os.environ.get("BENCH_PROFILE"):  # BENCH_PROFILE=/tmp/w: cProfile each worker
                argv = ["-m", "bench.profile_worker", f"{profile}-{i}.prof", *argv[2:]]
            return argv

        workers = [await spawn(command(i), env) for i in range(count)]
    for worker in workers:
        await worker.ready()
    return workers


# --------------------------------------------------------------------------- one configuration


async def wait_delivered(sandbox: SandboxServer, target: int, workers: list[Process], stall: float = 60) -> None:
    delivery = sandbox.webhook_delivery
    progress, progress_at = -1, time.monotonic()
    while delivery.delivered < target:
        if all(w.process.returncode is not None for w in workers):
            raise RuntimeError("the workers died:\n" + "".join(workers[0].lines[-30:]))
        if delivery.delivered != progress:
            progress, progress_at = delivery.delivered, time.monotonic()
        elif time.monotonic() - progress_at > stall:
            raise RuntimeError(f"stalled at {delivery.delivered}/{target}: "
                               f"{sandbox.state.webhook.last_error_message}")
        await asyncio.sleep(0.01)


async def run_config(
    label: str, kind: str, workers_count: int, args: argparse.Namespace, database: str,
) -> Result:
    async with contextlib.AsyncExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="xf-bench-run-"))
        database_url = None
        activity_id = 0
        if kind == "bot":
            database_url = await stack.enter_async_context(fresh_database(database, args.postgres))
            activity_id = await seed(database_url, args.users)
        sandbox = await stack.enter_async_context(SandboxServer())
        sandbox.actions.bulk_register(start_id=FIRST_USER, count=args.users, language_code="en")
        port = free_port()
        redis_url = args.redis if database == "postgres" else None
        workers = await start_workers(kind, workers_count, sandbox, port, database_url, redis_url, tmp)
        try:
            users = range(FIRST_USER, FIRST_USER + args.users)
            # Not measured: every user opens the menu once; its message takes the presses.
            before = sandbox.webhook_delivery.delivered
            menus = {}
            for user in users:
                sandbox.actions.send(user, text="/menu")
            await wait_delivered(sandbox, before + args.users, workers)
            for user in users:
                menus[user] = max(m.message_id for m in sandbox.state.chats[user].messages if m.from_bot)

            # Queue everything with delivery paused, then let it go.
            state = sandbox.state
            url, state.webhook.url = state.webhook.url, ""
            total = 0
            for round_no in range(args.rounds):
                for user in users:
                    for what, value in mix(round_no, activity_id):
                        if what == "text":
                            sandbox.actions.send(user, text=value)
                        else:
                            sandbox.actions.press(user, menus[user], value, forge=True)
                        total += 1
            delivery = sandbox.webhook_delivery
            first_latency = len(delivery.latencies)
            failures_before = delivery.failures
            target = delivery.delivered + total
            cpu_before = sum(w.cpu_seconds() for w in workers)
            began = time.perf_counter()
            state.webhook.url = url
            state.update_notifier.notify()
            await wait_delivered(sandbox, target, workers)
            seconds = time.perf_counter() - began
            cpu = sum(w.cpu_seconds() for w in workers) - cpu_before
            return Result(label, total, seconds, delivery.latencies[first_latency:],
                          delivery.failures - failures_before, cpu)
        finally:
            for worker in workers:
                await worker.stop()
            if os.environ.get("BENCH_LOG"):  # BENCH_LOG=1: show what the workers logged
                for worker in workers:
                    print("".join(worker.lines), file=sys.stderr)


# --------------------------------------------------------------------------- report


def report(results: list[Result], args: argparse.Namespace) -> str:
    baseline = results[0]
    lines = [
        f"Update benchmark: {args.users} users x {args.rounds} rounds of {len(mix(0, 0))} updates "
        f"through the sandbox webhook (40 connections, one at a time per chat); CPUs: {os.cpu_count()}",
        "",
        f"{'configuration':<42} {'updates':>7} {'updates/s':>10} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'ratio':>6} {'CPU ms/upd':>10} {'retried':>7}",
    ]
    for result in results:
        lines.append(
            f"{result.label:<42} {result.updates:>7} {result.rate:>10.1f} {result.percentile(0.5):>8.1f} "
            f"{result.percentile(0.95):>8.1f} {result.rate / baseline.rate:>6.2f} "
            f"{result.cpu_ms_per_update:>10.2f} {result.failures:>7}"
        )
    lines += [
        "",
        "ratio: updates/s over the echo bot's; CPU ms/upd: the worker processes' CPU time per update;",
        "retried: deliveries answered non-2xx (e.g. SQLite busy with two writers) and delivered again.",
    ]
    one = [r for r in results if r.label.startswith("xianfeng, 1 worker")]
    if one:
        verdicts = ", ".join(
            f"{r.label.split('(')[-1].rstrip(')')}: {'met' if r.rate >= 0.5 * baseline.rate else 'MISSED'}"
            for r in one
        )
        lines += ["", f"target >= 0.5 x bare aiogram on one worker: {verdicts}"]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Updates through the webhook: Xianfeng vs bare aiogram.")
    parser.add_argument("--quick", action="store_true", help="30 users x 2 rounds")
    parser.add_argument("--users", type=int, help="users (default 60, quick 30)")
    parser.add_argument("--rounds", type=int, help="rounds of the mix per user (default 4, quick 2; at most 12)")
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL"),
                        help="also run on this PostgreSQL server (default: $TEST_POSTGRES_URL)")
    parser.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL"),
                        help="FSM storage for the PostgreSQL runs (default: $TEST_REDIS_URL)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run")
    args = parser.parse_args(argv)
    args.users = args.users or (30 if args.quick else 60)
    args.rounds = min(12, args.rounds or (2 if args.quick else 4))
    return args


async def main(args: argparse.Namespace) -> None:
    results = [await run_config("bare aiogram echo, 1 process", "echo", 1, args, "none")]
    databases = ["sqlite"] + (["postgres"] if args.postgres else [])
    for database in databases:
        name = "SQLite" if database == "sqlite" else "PostgreSQL" + (" + Redis" if args.redis else "")
        for count in args.workers:
            label = f"xianfeng, {count} worker{'s' if count > 1 else ''} ({name})"
            results.append(await run_config(label, "bot", count, args, database))
            print(f"  done: {label}", file=sys.stderr, flush=True)
    print(report(results, args))


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
