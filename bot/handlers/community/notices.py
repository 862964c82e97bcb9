"""A team leader's short notice to the team: write it, check the preview, send it.

The members get it in private (with the leader's name), the team's linked group without any
name, all through the outbox. Rights are checked when the leader starts, when the text
arrives and again at send time; the preview's "Send" works once (the FSM holds the notice
and its preview message, and each notice has its own dedup keys in the outbox)."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from tortoise.transactions import in_transaction

from bot import community_keyboards as kb
from bot import notify_community
from bot.callbacks import TeamAction, TeamCallback
from bot.handlers.common import ask, ask_below, expect_text, stale_button
from bot.states import TeamNotice
from bot.texts import refusal_text
from bot.wish_keyboards import cancel_only
from models.errors import ValidationError
from models.members import Member
from models.teams import (
    NOTICE_MAX,
    Team,
    clean_notice,
    is_leader,
    notice_recipients,
    record_team_notice,
)


async def led_team(team_id: int | None, member: Member) -> Team | None:
    """The team if ``member`` leads it now."""
    team = await Team.get_or_none(id=team_id) if team_id is not None else None
    if team is None or not await is_leader(team.id, member):
        return None
    return team


def reach_text(team: Team, count: int) -> str:
    if team.group_chat_id is not None:
        return _("It goes to {count} members of the team and to the team's group.").format(count=count)
    return _("It goes to {count} members of the team.").format(count=count)


async def start(query: CallbackQuery, callback_data: TeamCallback, state: FSMContext, member: Member) -> None:
    if not (team := await led_team(callback_data.team_id, member)):
        await stale_button(query)
        return
    await state.set_state(TeamNotice.text)
    await state.set_data({"team_id": team.id})
    count = len(await notice_recipients(team, member))
    await ask_below(query, state, "\n".join([
        _("📢 Write the notice to {team} (at most {limit} characters).").format(
            team=escape(team.name), limit=NOTICE_MAX),
        reach_text(team, count),
    ]), cancel_only())
    await query.answer()


async def text_written(message: Message, state: FSMContext, member: Member) -> None:
    if not (team := await led_team((await state.get_data()).get("team_id"), member)):
        await state.clear()
        await message.answer(_("Only the team's leaders can send a notice to the team."),
                             reply_markup=kb.back_only())
        return
    try:
        text = clean_notice(message.text)
    except ValidationError as error:  # blank or too long: write it again
        await message.answer(refusal_text(error, _), reply_markup=cancel_only())
        return
    count = len(await notice_recipients(team, member))
    preview_id = await ask(message, state, "\n".join([
        _("📢 <b>Preview</b> · {team}").format(team=escape(team.name)),
        "",
        escape(text),
        "",
        reach_text(team, count),
        _("Send it? To change it, write the notice again."),
    ]), kb.notice_preview(team))
    await state.set_state(TeamNotice.confirm)
    await state.update_data(text=text, preview_id=preview_id)


async def send(query: CallbackQuery, callback_data: TeamCallback, state: FSMContext, member: Member) -> None:
    # Two quick taps both arrive here: the first to read-and-clear the notice sends it, the
    # other finds it gone. A "Send" under an older preview is not this notice's either.
    data = await state.get_data() if await state.get_state() == TeamNotice.confirm else {}
    if data.get("team_id") != callback_data.team_id or data.get("preview_id") != query.message.message_id:
        await query.answer(_("This notice has already been sent or cancelled."), show_alert=True)
        return
    await state.clear()
    if not (team := await led_team(callback_data.team_id, member)):
        await stale_button(query)
        return
    async with in_transaction():
        text = await record_team_notice(team, member, data["text"])  # rights again, at send time
        sent = await notify_community.team_notice(
            team, member, text, notice_key=f"{member.id}:{data['preview_id']}")
    lines = [_("📢 Sent to {count} members of {team}.").format(count=len(sent.messages), team=escape(team.name))]
    if sent.group is not None:
        lines.append(_("It is also posted in the team's group."))
    if sent.unreachable:
        lines.append(_("{count} members have not linked their Telegram account and did not get it.").format(
            count=sent.unreachable))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer("\n".join(lines), reply_markup=kb.after_notice(team))
    await query.answer(_("Sent."))


def create_router() -> Router:
    """Members only: the parent router filters."""
    router = Router(name=__name__)
    router.callback_query.register(start, TeamCallback.filter(F.action == TeamAction.NOTICE))
    router.callback_query.register(send, TeamCallback.filter(F.action == TeamAction.NOTICE_SEND))
    steps = StateFilter(TeamNotice.text, TeamNotice.confirm)
    router.message.register(text_written, steps, F.text)
    router.message.register(expect_text, steps)
    return router
