"""A volunteer team's Telegram group: a leader links it with /link; removing the bot from
the group unlinks it. In groups the bot answers nothing else."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import ChatMemberUpdated, Message
from aiogram.utils.i18n import gettext as _

from models.members import Member
from models.teams import MembershipStatus, TeamMembership, TeamRole, link_group, unlink_chat

GROUP_TYPES = {"group", "supergroup"}


async def link_command(message: Message, command: CommandObject, member: Member | None) -> None:
    if member is None:
        await message.reply(_("Only members linked by an invitation can do this."))
        return
    led = await TeamMembership.filter(
        member_id=member.id, status=MembershipStatus.ACTIVE, role=TeamRole.LEADER
    ).select_related("team").order_by("team_id")
    teams = [membership.team for membership in led]
    if not teams:
        await message.reply(_("Only the team's leaders can link a group to it."))
        return
    chosen = teams[0] if len(teams) == 1 else None
    if command.args and command.args.strip().isdigit():
        chosen = next((team for team in teams if team.id == int(command.args.strip())), None)
    if chosen is None:
        lines = [_("You lead several teams. Send one of these commands here:")]
        lines += [f"/link {team.id} — {escape(team.name)}" for team in teams]
        await message.reply("\n".join(lines))
        return
    await link_group(chosen, message.chat.id, member)  # linked elsewhere: the error handler says so
    await message.reply(_("✅ This group is now linked to {team}.").format(team=escape(chosen.name)))


async def bot_removed(event: ChatMemberUpdated) -> None:
    await unlink_chat(event.chat.id)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type.in_(GROUP_TYPES))
    router.my_chat_member.filter(F.chat.type.in_(GROUP_TYPES))
    router.message.register(link_command, Command("link"))
    router.my_chat_member.register(bot_removed, F.new_chat_member.status.in_({"left", "kicked"}))
    return router
