"""Routers, one per module; ``build_root_router`` assembles them in order.

Each module exposes ``create_router()`` rather than a module-level router so that
several dispatchers can live in one process (tests restart the bot in-process).
"""

from __future__ import annotations

from aiogram import F, Router

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
    return root
