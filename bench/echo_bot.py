"""The baseline of ``bench.updates``: a bare aiogram echo bot on the same webhook path.

    python -m bench.echo_bot --api-url URL --token TOKEN --port PORT --secret SECRET

Messages are echoed, button presses answered; no database, no middlewares. It serves the
webhook exactly like ``xianfeng bot`` does (aiogram's SimpleRequestHandler, answering
after processing, secret checked) and registers it with the same allowed updates.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiogram import Dispatcher, Router
from aiogram.types import CallbackQuery, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.sandbox.testing import sandbox_bot


async def main(args: argparse.Namespace) -> None:
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    @router.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer(query.data)

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = sandbox_bot(args.api_url, args.token)
    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, handle_in_background=False, secret_token=args.secret).register(
        app, path="/tg"
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port, reuse_port=True).start()
    await bot.set_webhook(
        f"http://127.0.0.1:{args.port}/tg", secret_token=args.secret,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )
    print("Press Ctrl+C to stop.", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await bot.session.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    asyncio.run(main(parser.parse_args()))
