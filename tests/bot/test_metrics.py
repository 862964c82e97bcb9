"""Every update the real dispatcher handles is counted and timed, by type and outcome, and
log lines written while it is handled carry its update id."""

from __future__ import annotations

import asyncio
import io
import json
import logging

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message, Update
from prometheus_client import REGISTRY

from bot.metrics import UpdateMetricsMiddleware
from xianfeng.logging import configure_logging


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def wait_for(predicate, seconds: float = 5.0) -> None:
    """The counter moves after the handler returns, just after the reply was sent."""
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the metric did not move")


async def test_updates_are_counted_and_timed_by_type(harness, org):
    messages = value("xianfeng_updates_total", type="message", outcome="handled")
    timed = value("xianfeng_update_handler_seconds_count", type="message")

    await harness.say(7101, "/start")
    await harness.say(7101, "/help")

    await wait_for(lambda: value("xianfeng_updates_total", type="message", outcome="handled")
                   >= messages + 2)
    assert value("xianfeng_update_handler_seconds_count", type="message") >= timed + 2
    assert value("xianfeng_update_handler_seconds_sum", type="message") > 0


async def test_failures_and_log_lines_carry_the_update():
    router = Router()

    @router.message()
    async def explode(message: Message) -> None:
        logging.getLogger("bot.test").warning("about to fail")
        raise RuntimeError("handler bug")

    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(UpdateMetricsMiddleware())
    dispatcher.include_router(router)
    update = Update.model_validate({
        "update_id": 990001,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                    "from": {"id": 5, "is_bot": False, "first_name": "A"}, "text": "x"},
    })
    errors = value("xianfeng_updates_total", type="message", outcome="error")
    unhandled = value("xianfeng_updates_total", type="edited_message", outcome="unhandled")

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)
    bot = Bot("42:TEST")
    try:
        try:
            await dispatcher.feed_update(bot, update)
        except RuntimeError:
            pass
        edited = update.model_copy(update={"message": None, "update_id": 990002,
                                           "edited_message": update.message})
        await dispatcher.feed_update(bot, edited)  # no handler for edits
    finally:
        await bot.session.close()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])

    assert value("xianfeng_updates_total", type="message", outcome="error") == errors + 1
    assert value("xianfeng_updates_total", type="edited_message", outcome="unhandled") == (
        unhandled + 1
    )
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [line] = [line for line in lines if line["message"] == "about to fail"]
    assert line["update_id"] == 990001
