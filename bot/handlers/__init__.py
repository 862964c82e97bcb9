"""Routers, one per module; ``build_root_router`` assembles them in order.

Each module exposes ``create_router()`` rather than a module-level router so that
several dispatchers can live in one process (tests restart the bot in-process).
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery

from bot.handlers import community, errors, fallback, language, menu, pledges, points, start, wishes


def build_root_router() -> Router:
    root = Router(name="xianfeng")
    # One-to-one conversations, except a team group's /link (community.create_group_router):
    # in groups the bot stays silent otherwise.
    private = Router(name="xianfeng.private")
    private.message.filter(F.chat.type == "private")
    private.callback_query.filter(F.message.chat.type == "private")
    # Order matters: fallback catches what nothing else handled; pledges come before wishes
    # so that /cancel in a pledge step keeps its own wording (the draft is saved).
    private.include_routers(
        *(module.create_router() for module in (errors, start, language, menu, pledges, wishes, community, points,
                                                   fallback))
    )
    root.include_routers(private, community.create_group_router())
    inline_sync_filters(root)
    return root


def inline_sync_filters(router: Router) -> None:
    """Run the plain (non-async) filters of ``router`` and its sub-routers on the event loop.

    aiogram runs every synchronous filter callable, magic filters such as ``F.text`` or
    ``F.chat.type == "private"`` included, through ``asyncio.to_thread``: a thread-pool round
    trip (and a GIL hand-over) per filter tried, for an attribute lookup. Our filters are
    pure checks on the event, so they are called directly instead; the result is the same.

    Callback data filters (``SomeCallback.filter(...)``) first compare the prefix: aiogram
    unpacks the data for every handler tried and turns a foreign prefix into an exception,
    and a button press is tried against dozens of handlers before it reaches its own.
    """
    for each in router.chain_tail:
        for observer in each.observers.values():
            for handler in (observer._handler, *observer.handlers):
                for event_filter in handler.filters or ():
                    _inline(event_filter)


def _inline(event_filter: FilterObject) -> None:
    if isinstance(event_filter.callback, CallbackQueryFilter):
        _prefix_first(event_filter)
        return
    if event_filter.awaitable:
        return
    check = event_filter.callback

    async def call(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    event_filter.callback = call
    event_filter.awaitable = True


def _prefix_first(event_filter: FilterObject) -> None:
    unpack = event_filter.callback
    data_class = unpack.callback_data
    prefix, separator = data_class.__prefix__, data_class.__separator__
    own = prefix + separator

    async def call(query: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query, CallbackQuery) and query.data and query.data != prefix and (
            not query.data.startswith(own)
        ):
            return False
        return await unpack(query, *args, **kwargs)

    event_filter.callback = call
