"""Public pledges (我是党员我承诺): a member writes the year's pledge, revises it when it is
returned, and keeps it: progress entries, history, the half-year summary."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import or_f

from bot.callbacks import (
    MenuAction,
    MenuCallback,
    PledgeCallback,
    PledgeDateChoice,
    PledgeItemCallback,
    PledgeKindChoice,
    PledgePhotoCallback,
    PledgeTemplateChoice,
)
from bot.handlers.common import BoundMember, members_only
from bot.handlers.pledges import keeping, screen, writing

PLEDGE_BUTTONS = or_f(
    MenuCallback.filter(F.action == MenuAction.MY_PLEDGE), PledgeCallback.filter(),
    PledgeTemplateChoice.filter(), PledgeKindChoice.filter(), PledgeDateChoice.filter(),
    PledgeItemCallback.filter(), PledgePhotoCallback.filter(),
)


def create_router() -> Router:
    router = Router(name=__name__)
    members = Router(name=f"{__name__}.members")
    members.message.filter(BoundMember())
    members.callback_query.filter(BoundMember())
    members.include_routers(screen.create_router(), writing.create_router(), keeping.create_router())
    # A member's button that nothing took is stale: the fallback router says so.
    not_members = Router(name=f"{__name__}.not_members")
    not_members.callback_query.register(members_only, ~BoundMember(), PLEDGE_BUTTONS)
    router.include_routers(members, not_members)
    return router
