"""Operations in a running process: the bot alone exposes its metrics and health on
METRICS_PORT, holds the restore lock, and logs JSON lines when configured."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from contextlib import AsyncExitStack

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.sandbox import SandboxClient
from xianfeng.backup import BackupError, backup_sqlite, restore_sqlite
from xianfeng.runtime import start
from xianfeng.settings import Settings


def handled_messages(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "xianfeng_updates_total" and sample.labels == {
                "type": "message", "outcome": "handled"
            }:
                return sample.value
    return 0.0


async def test_a_bot_process_alone_serves_metrics_health_and_readiness(tmp_path):
    database = tmp_path / "bot.sqlite3"
    settings = Settings(
        _env_file=None, bot_token=None, database_url=f"sqlite://{database}", sandbox_port=0,
        default_locale="en", redis_url=None, webhook_url=None, metrics_port=0,
    )
    async with AsyncExitStack() as stack:
        running = await start(settings, stack, bot=True, admin=False, scheduler=False)
        assert running.admin_url is None
        base = f"http://127.0.0.1:{running.extras['ops_port']}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/metrics") as response:
                before = handled_messages(await response.text())
            async with SandboxClient(running.sandbox.url) as client:
                await client.user(601, "Ann", language_code="en")
                await client.send_text(601, "/start")
                await client.wait_for_bot_message(601)
            for _ in range(250):  # counted once the handler has returned
                async with http.get(f"{base}/metrics") as response:
                    if handled_messages(await response.text()) >= before + 1:
                        break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("the update was not counted")
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 200
                assert (await response.json())["checks"] == {"database": "ok"}

        # While the process runs, a restore is refused (the backup itself is fine).
        copy = await asyncio.to_thread(backup_sqlite, database, tmp_path / "copy.sqlite3")
        with pytest.raises(BackupError) as refused:
            await asyncio.to_thread(restore_sqlite, copy, database)
        assert "Xianfeng is running" in refused.value.message
    restored = await asyncio.to_thread(restore_sqlite, copy, database)  # stopped: allowed
    assert restored.previous is not None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_log_format_json_applies_to_the_whole_process(tmp_path):
    env = {
        **os.environ, "DATA_DIR": str(tmp_path), "SANDBOX_PORT": "0", "DEFAULT_LOCALE": "en",
        "BOT_TOKEN": "", "DATABASE_URL": "", "LOG_FORMAT": "json", "METRICS_PORT": "0",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "xianfeng.cli", "bot", "--no-scheduler", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []
    try:
        while not any("operations endpoints" in line for line in lines):
            line = await asyncio.wait_for(process.stderr.readline(), 60)
            assert line, "process ended early:\n" + "".join(lines)
            lines.append(line.decode())
    finally:
        process.send_signal(signal.SIGTERM)
        lines += [line.decode() for line in (await asyncio.wait_for(process.communicate(), 30))[1]
                  .splitlines(keepends=True)]
    entries = [json.loads(line) for line in lines if line.strip()]  # every line is JSON
    [listener] = [e for e in entries if "operations endpoints" in e["message"]]
    assert listener["level"] == "INFO" and listener["logger"] == "admin.views.health"
    assert {"timestamp", "level", "logger", "message"} <= set(listener)
