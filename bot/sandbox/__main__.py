"""Run the sandbox on its own: ``python -m bot.sandbox [--port 8081] [--enforce-limits]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .server import SandboxServer
from .state import DEFAULT_BOT_USERNAME


async def _main(args: argparse.Namespace) -> None:
    server = SandboxServer(
        host=args.host,
        port=args.port,
        bot_username=args.bot_username,
        enforce_limits=args.enforce_limits,
    )
    await server.start()
    print(f"Sandbox Bot API: TELEGRAM_API_URL={server.url}  (any token like {server.token})", flush=True)
    print(f"Chat page:       {server.chat_page_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--bot-username", default=DEFAULT_BOT_USERNAME)
    parser.add_argument("--enforce-limits", action="store_true", help="emulate Telegram's 429s")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
