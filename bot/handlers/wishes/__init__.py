"""Micro-wishes (微心愿): residents make wishes, members take them on from the wish wall."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import or_f

from bot.callbacks import (
    ClaimedWishCallback,
    MenuAction,
    MenuCallback,
    WallCallback,
    WallCategoriesCallback,
    WallClaimCallback,
)
from bot.handlers.common import BoundMember, members_only
from bot.handlers.wishes import claimant, conversation, form, resident, wall

MEMBER_BUTTONS = or_f(
    MenuCallback.filter(F.action.in_({MenuAction.WISH_WALL, MenuAction.CLAIMED_WISHES})),
    WallCallback.filter(), WallCategoriesCallback.filter(), WallClaimCallback.filter(),
    ClaimedWishCallback.filter(),
)


def create_router() -> Router:
    router = Router(name=__name__)
    members = Router(name=f"{__name__}.members")
    members.message.filter(BoundMember())
    members.callback_query.filter(BoundMember())
    members.include_routers(wall.create_router(), claimant.create_router())
    # Reached only when the members' router did not take the button.
    not_members = Router(name=f"{__name__}.not_members")
    not_members.callback_query.register(members_only, MEMBER_BUTTONS)
    # /cancel first: it must leave a conversation before a step takes it as input.
    router.include_routers(
        conversation.create_router(), form.create_router(), resident.create_router(),
        members, not_members,
    )
    return router
