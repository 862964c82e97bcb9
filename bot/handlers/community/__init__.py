"""Community service (在职党员进社区报到, 认岗领岗): reporting to the home community, service
posts, activities with sign-ups, reminders and check-in, volunteer teams. Members only."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import or_f

from bot.callbacks import (
    ActivityCallback,
    AttendanceMark,
    CommunityCallback,
    CommunityPage,
    JoinDecision,
    MenuAction,
    MenuCallback,
    PostCallback,
    RegCommunityChoice,
    ServiceKindToggle,
    TeamCallback,
)
from bot.handlers.common import BoundMember, members_only
from bot.handlers.community import activities, groups, notices, posts, registration, teams

COMMUNITY_BUTTONS = or_f(
    MenuCallback.filter(F.action == MenuAction.COMMUNITY), CommunityCallback.filter(),
    RegCommunityChoice.filter(), ServiceKindToggle.filter(), PostCallback.filter(),
    ActivityCallback.filter(), TeamCallback.filter(), JoinDecision.filter(), AttendanceMark.filter(),
    CommunityPage.filter(),
)


def create_router() -> Router:
    router = Router(name=__name__)
    members = Router(name=f"{__name__}.members")
    members.message.filter(BoundMember())
    members.callback_query.filter(BoundMember())
    members.include_routers(
        registration.create_router(), posts.create_router(), activities.create_router(),
        teams.create_router(), notices.create_router(),
    )
    # A member's button that nothing took is stale: the fallback router says so.
    not_members = Router(name=f"{__name__}.not_members")
    not_members.callback_query.register(members_only, ~BoundMember(), COMMUNITY_BUTTONS)
    router.include_routers(members, not_members)
    return router


def create_group_router() -> Router:
    """Team groups: /link and the bot's removal; outside the private-chat routers."""
    return groups.create_router()
