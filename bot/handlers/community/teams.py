"""Volunteer teams: browse the teams of one's communities, ask to join, leave; leaders
approve or decline join requests (their notices to the team: ``notices``)."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from tortoise.transactions import in_transaction

from bot import community_keyboards as kb
from bot import notify_community
from bot.callbacks import (
    CommunityAction,
    CommunityCallback,
    CommunityList,
    CommunityPage,
    JoinDecision,
    TeamAction,
    TeamCallback,
)
from bot.handlers.common import show, stale_button
from bot.paging import page_of_query
from models.audit import Actor
from models.members import Member
from models.registration import member_communities
from models.teams import (
    MEMBERSHIP_STATUS_LABELS,
    TEAM_ROLE_LABELS,
    Team,
    TeamMembership,
    TeamRole,
    approve_membership,
    decline_membership,
    is_leader,
    join_requests,
    leave_team,
    request_to_join,
    team_members,
)


async def open_membership(team_id: int, member: Member) -> TeamMembership | None:
    """The member's request or membership (active_key is set while requested or active)."""
    return await TeamMembership.get_or_none(active_key=f"{team_id}:{member.id}")


async def show_teams(query: CallbackQuery, member: Member, page: int) -> None:
    teams = await page_of_query(
        Team.filter(community_id__in=list(await member_communities(member))).order_by("name", "id"), page)
    lines = [_("👥 <b>Volunteer teams</b>")]
    if not teams.items:
        lines += ["", _("Your community has no volunteer team yet.")]
    lines += teams.footer()
    await show(query, "\n".join(lines), kb.team_list(teams))
    await query.answer()


async def teams_screen(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    await state.clear()
    await show_teams(query, member, 0)


async def teams_paged(query: CallbackQuery, callback_data: CommunityPage, member: Member) -> None:
    await show_teams(query, member, callback_data.page)  # a page gone meanwhile: the nearest one


async def reachable_team(query: CallbackQuery, team_id: int, member: Member) -> Team | None:
    team = await Team.get_or_none(id=team_id)
    if team is None or team.community_id not in await member_communities(member):
        await stale_button(query)
        return None
    return team


async def show_team(query: CallbackQuery, team: Team, member: Member) -> None:
    membership = await open_membership(team.id, member)
    members = await team_members(team)
    lines = [f"👥 <b>{escape(team.name)}</b>"]
    if team.description:
        lines.append(escape(team.description))
    lines.append(_("Members: {count}").format(count=len(members)))
    if not team.is_open and membership is None:
        lines.append(_("The team is not taking new members right now."))
    leader = await is_leader(team.id, member)
    if membership is not None:
        label = TEAM_ROLE_LABELS[TeamRole.LEADER] if leader else MEMBERSHIP_STATUS_LABELS[membership.status]
        lines.append(_("You: {status}").format(status=_(label)))
    await show(query, "\n".join(lines), kb.team_view(team, membership, leader))


async def team_action(
    query: CallbackQuery, callback_data: TeamCallback, member: Member,
) -> None:
    if not (team := await reachable_team(query, callback_data.team_id, member)):
        return
    if callback_data.action == TeamAction.JOIN:
        async with in_transaction():
            membership = await request_to_join(team, member)
            await notify_community.join_requested(membership)
        await show_team(query, team, member)
        await query.answer(_("Your request has been sent to the team's leaders."))
    elif callback_data.action == TeamAction.LEAVE:
        membership = await open_membership(team.id, member)
        if membership is None:
            await stale_button(query)
            return
        await leave_team(membership, member)
        await show_team(query, team, member)
        await query.answer(_("You have left the team."))
    elif callback_data.action == TeamAction.REQUESTS:
        if not await is_leader(team.id, member):
            await stale_button(query)
            return
        await show_requests(query, team)
        await query.answer()
    else:
        await show_team(query, team, member)
        await query.answer()


async def show_requests(query: CallbackQuery, team: Team) -> None:
    requests = await join_requests(team)
    lines = [_("📥 <b>Join requests</b> · {team}").format(team=escape(team.name))]
    if not requests:
        lines += ["", _("No requests are waiting.")]
    lines += [f"• {escape(request.member.name)}" for request in requests]
    await show(query, "\n".join(lines), kb.join_requests(team, requests))


async def decide(query: CallbackQuery, callback_data: JoinDecision, member: Member) -> None:
    membership = await TeamMembership.get_or_none(id=callback_data.membership_id)
    if membership is None or not await is_leader(membership.team_id, member):
        await stale_button(query)
        return
    decision = approve_membership if callback_data.approve else decline_membership
    async with in_transaction():
        await decision(membership, Actor(member=member))  # already decided: the error handler says so
        await notify_community.join_decided(membership)
    await show_requests(query, await Team.get(id=membership.team_id))
    await query.answer(_("Approved.") if callback_data.approve else _("Declined."))


def create_router() -> Router:
    """Members only: the parent router filters."""
    router = Router(name=__name__)
    router.callback_query.register(teams_screen, CommunityCallback.filter(F.action == CommunityAction.TEAMS))
    router.callback_query.register(teams_paged, CommunityPage.filter(F.kind == CommunityList.TEAMS))
    # The team's activities and notices have their own modules.
    router.callback_query.register(team_action, TeamCallback.filter(
        F.action.in_({TeamAction.VIEW, TeamAction.JOIN, TeamAction.LEAVE, TeamAction.REQUESTS})))
    router.callback_query.register(decide, JoinDecision.filter())
    return router
