"""Two `xianfeng bot` processes behind one webhook, on PostgreSQL with Redis FSM storage:
each update handled once, the outbox drained by both without duplicates, one scheduler
with takeover when its process is killed, and the survivor still serving."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import uuid
from collections import Counter

import pytest

from bot.sandbox import SandboxClient, SandboxServer
from bot.sandbox.client import inline_buttons
from models.audit import AuditEntry
from models.invites import redeem_invite
from models.members import TelegramUser
from models.outbox import OutboxMessage, OutboxStatus, enqueue
from tests import factories

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and SO_REUSEPORT")

SECRET = "two-workers-secret"
SCHEDULER = "this process runs the scheduler"


class Worker:
    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process
        self.lines: list[str] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while line := await self.process.stdout.readline():
            self.lines.append(line.decode(errors="replace"))

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    async def wait_for(self, text: str, timeout: float = 30) -> None:
        async def seen():
            while not self.said(text):
                if self.process.returncode is not None:
                    raise AssertionError(f"{self.name} ended:\n" + "".join(self.lines))
                await asyncio.sleep(0.05)
        await asyncio.wait_for(seen(), timeout)

    @property
    def output(self) -> str:
        return "".join(self.lines)


async def start_worker(name: str, env: dict) -> Worker:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "xianfeng.cli", "bot", "--worker-id", name, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    return Worker(name, process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_two_bot_processes_share_the_webhook_the_outbox_and_one_scheduler(migrated_pg_db, redis_url, tmp_path):
    org = await factories.org_tree()
    port = free_port()
    sandbox = SandboxServer()
    await sandbox.start()
    client = SandboxClient(sandbox.url, default_timeout=15)
    prefix = f"xf-test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ, "BOT_TOKEN": sandbox.token, "TELEGRAM_API_URL": sandbox.url,
        "DATABASE_URL": migrated_pg_db, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/tg", "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_PORT": str(port), "DELIVERY_PER_CHAT_INTERVAL": "0", "DELIVERY_RATE": "200",
        "SCHEDULER_LOCK_RETRY": "0.3", "DEFAULT_LOCALE": "en", "DATA_DIR": str(tmp_path),
    }
    workers = [await start_worker("worker-a", env), await start_worker("worker-b", env)]
    try:
        for worker in workers:
            await worker.wait_for("Press Ctrl+C to stop.")
        await asyncio.sleep(0.5)
        leaders = [w for w in workers if w.said(SCHEDULER)]
        assert len(leaders) == 1, "\n\n".join(w.output for w in workers)
        assert sandbox.state.webhook.url == env["WEBHOOK_URL"]

        # Many users at once: every update is answered exactly once.
        users = range(7000, 7030)
        for user_id in users:
            await client.user(user_id, f"U{user_id}", language_code="en")
        await asyncio.gather(*(client.send_text(user_id, "/start") for user_id in users))
        for user_id in users:
            reply = await client.wait_for_bot_message(user_id)
            assert "invitation" in reply["text"]

        # Ten members tap "claim" on the same wish at once, some twice: exactly one claim.
        wish = await factories.published_wish(org.nanyuan)
        walls = {}
        for user_id in range(7100, 7110):
            member = await factories.member(org.nanyuan_1, name=f"党员{user_id}", residence_community=org.nanyuan.id)
            tg_user = await TelegramUser.create(id=user_id, first_name="M")
            await client.user(user_id, "M", started=True)
            await redeem_invite((await factories.invite(member)).code, tg_user)
            mid = await client.send_text(user_id, "/menu")
            await client.wait_for_bot_message(user_id, after_message_id=mid)
            await client.callback_answer(await client.press_button(user_id, "Wish wall"))
            walls[user_id] = await client.last_bot_message(user_id)
        taps = []
        for user_id, wall in walls.items():
            data = next(b["callback_data"] for b in inline_buttons(wall) if "Claim 1" in b["text"])
            taps += [(user_id, wall["message_id"], data)] * (2 if user_id % 2 else 1)
        queries = await asyncio.gather(*(client.press(u, m, d, forge=True) for u, m, d in taps))
        answers = [await client.callback_answer(q) for q in queries]
        assert sum("Thank you for taking on" in (a["text"] or "") for a in answers) == 1, answers
        assert await AuditEntry.filter(action="wish.claim", object_id=str(wish.id)).count() == 1

        # One outbox, two workers: every row sent once, by either.
        sandbox.actions.bulk_register(start_id=20_000, count=120)
        rows = [await enqueue(20_000 + i, f"notice {i}", kind="test") for i in range(120)]
        for _ in range(400):
            if not await OutboxMessage.filter(id__in=[r.id for r in rows]).exclude(status=OutboxStatus.SENT).exists():
                break
            await asyncio.sleep(0.05)
        sent = [r.chat_id for r in sandbox.state.send_log.accepted(["sendMessage"]) if r.chat_id >= 20_000]
        assert sorted(sent) == [20_000 + i for i in range(120)]
        assert sandbox.state.send_log.duplicates() == []
        by_worker = Counter(await OutboxMessage.filter(kind="test").values_list("claimed_by", flat=True))
        assert set(by_worker) == {"worker-a", "worker-b"}, by_worker

        # The scheduler's process is killed: the other takes the scheduler over ...
        (leader,) = leaders
        (survivor,) = [w for w in workers if w is not leader]
        leader.process.send_signal(signal.SIGKILL)
        await leader.process.wait()
        await survivor.wait_for(SCHEDULER, timeout=30)
        # ... and serves every update alone (deliveries to the dead one are retried).
        for user_id in range(7200, 7210):
            await client.user(user_id, "Late", language_code="en")
            await client.send_text(user_id, "/start")
        for user_id in range(7200, 7210):
            assert "invitation" in (await client.wait_for_bot_message(user_id))["text"]

        survivor.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(survivor.process.wait(), 30) == 0
    finally:
        for worker in workers:
            if worker.process.returncode is None:
                worker.process.kill()
                await worker.process.wait()
            worker.reader.cancel()
        await client.close()
        await sandbox.stop()
        import redis.asyncio as redis

        connection = redis.from_url(redis_url)
        keys = [key async for key in connection.scan_iter(f"{prefix}:*")]
        if keys:
            await connection.delete(*keys)
        await connection.aclose()
