"""One delivery worker in a process of its own, as the bot process would run it.

    python -m bench.worker_process --database URL --api-url URL --token TOKEN \
        --worker-id ID [--rate 28] [--per-chat 1.0]

SIGTERM or SIGINT stops it gracefully (the send in flight finishes). The
delivery benchmark and the crash test also kill it with SIGKILL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from tortoise import Tortoise

from bot.delivery import DeliveryWorker
from bot.sandbox.testing import sandbox_bot
from models.db import open_tortoise, tortoise_config


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="database URL (schema already created)")
    parser.add_argument("--api-url", required=True, help="Bot API base URL, e.g. the sandbox's")
    parser.add_argument("--token", required=True)
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--rate", type=float, default=28.0, help="messages per second overall")
    parser.add_argument("--per-chat", type=float, default=1.0,
                        help="seconds between sends to one chat")
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> None:
    await open_tortoise(tortoise_config(args.database), _enable_global_fallback=True)
    bot = sandbox_bot(args.api_url, args.token)
    worker = DeliveryWorker(
        bot, worker_id=args.worker_id, global_rate=args.rate, per_chat_interval=args.per_chat
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.stop()))
    try:
        await worker.run()
    finally:
        await bot.session.close()
        await Tortoise.close_connections()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="worker %(process)d: %(message)s")
    asyncio.run(main(parse_args()))
