"""Routing: plain filters run on the event loop, not in aiogram's thread pool."""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiogram import F, Router
from aiogram.types import Chat, Message

from bot.handlers import build_root_router, inline_sync_filters


def message(text: str | None, chat_type: str = "private") -> Message:
    return Message(message_id=1, date=datetime.now(), chat=Chat(id=1, type=chat_type), text=text)


def all_filters(router: Router):
    for each in router.chain_tail:
        for observer in each.observers.values():
            for handler in (observer._handler, *observer.handlers):
                yield from handler.filters or ()


def test_every_filter_of_the_bot_is_awaitable() -> None:
    filters = list(all_filters(build_root_router()))
    assert filters
    assert [f.callback for f in filters if not f.awaitable] == []


async def test_inlined_magic_filters_decide_as_before(monkeypatch) -> None:
    async def no_threads(*args, **kwargs):
        raise AssertionError("a filter went to the thread pool")

    async def handler(message: Message) -> None:
        pass

    router = Router()
    router.message.filter(F.chat.type == "private")
    router.message.register(handler, F.text == "hi", lambda m: m.message_id == 1)
    inline_sync_filters(router)
    monkeypatch.setattr(asyncio, "to_thread", no_threads)

    root_filter = router.message._handler
    registered = router.message.handlers[0]
    assert (await root_filter.check(message("hi")))[0] is True
    assert (await root_filter.check(message("hi", chat_type="group")))[0] is False
    assert (await registered.check(message("hi")))[0] is True
    assert (await registered.check(message("bye")))[0] is False
    assert (await registered.check(message(None)))[0] is False


async def test_callback_data_filters_decide_as_before() -> None:
    from aiogram.types import CallbackQuery, User

    from bot.callbacks import MenuAction, MenuCallback, WallCallback

    async def handler(query: CallbackQuery) -> None:
        pass

    router = Router()
    router.callback_query.register(handler, MenuCallback.filter(F.action == MenuAction.HOME))
    plain = router.callback_query.handlers[0].filters[0]
    original = plain.callback
    inline_sync_filters(router)
    assert plain.callback is not original
    datas = [MenuCallback(action=MenuAction.HOME).pack(), MenuCallback(action=MenuAction.HELP).pack(),
             WallCallback(page=1).pack(), MenuCallback.__prefix__, "", "zz:home", MenuCallback.__prefix__ + ":"]
    for data in datas:
        query = CallbackQuery(id="1", from_user=User(id=1, is_bot=False, first_name="a"), chat_instance="1",
                              data=data)
        assert await plain.call(query) == await original(query), data
    home = CallbackQuery(id="1", from_user=User(id=1, is_bot=False, first_name="a"), chat_instance="1",
                         data=datas[0])
    assert (await plain.call(home))["callback_data"] == MenuCallback(action=MenuAction.HOME)
