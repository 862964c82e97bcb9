"""Pledge notifications: messages to the member about their pledge, queued in the outbox.

Each function renders one notification in the member's language and queues it
(``models.outbox``); the delivery worker sends it. Nothing is queued for a branch
pledge or a member who has not linked the bot. Each carries a dedup key naming its
event, so calling a function twice for one event queues one message.

The admin panel calls :func:`pledge_returned` after ``models.pledges.return_for_revision``,
:func:`pledge_approved` after ``approve``, :func:`pledge_published` after ``publish``,
:func:`pledge_half_year_reviewed` after ``record_half_year_review`` and
:func:`pledge_assessed` after ``assess``; the scheduler calls :func:`send_half_year_reminders`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html import escape

from bot.callbacks import PledgeAction
from bot.notify import Recipient
from bot.pledge_keyboards import notification_button as button
from bot.pledge_texts import assessment_lines, half_year_review_lines
from bot.texts import Gettext
from models.members import TelegramUser
from models.outbox import OutboxMessage
from models.pledges import Pledge, pledges_awaiting_summary


async def _member(pledge: Pledge) -> Recipient | None:
    if pledge.member_id is None:
        return None
    return Recipient.of(await TelegramUser.get_or_none(member_id=pledge.member_id))


async def pledge_returned(pledge: Pledge) -> OutboxMessage | None:
    """The reviewer's guidance, with a button to revise; one per return."""
    if (to := await _member(pledge)) is None:
        return None
    _ = to.gettext
    text = _("↩️ Your pledge for {year} has been returned for revision.\n\n"
             "<b>The reviewer's guidance:</b>\n{guidance}\n\n"
             "Please revise it and submit it again.").format(
        year=pledge.year, guidance=escape(pledge.return_guidance))
    return await to.send(text, kind="pledge.returned",
                         dedup_key=f"pledge:{pledge.id}:returned:{pledge.times_returned}",
                         keyboard=button(PledgeAction.OPEN, pledge.year, _("✏️ Revise my pledge")))


async def _told(pledge: Pledge, event: str, render: Callable[[Gettext], str]) -> OutboxMessage | None:
    """``render(gettext)`` to the pledge's member, once per pledge and ``event``, with a button
    that opens the pledge."""
    if (to := await _member(pledge)) is None:
        return None
    _ = to.gettext
    return await to.send(render(_), kind=f"pledge.{event}", dedup_key=f"pledge:{pledge.id}:{event}",
                         keyboard=button(PledgeAction.OPEN, pledge.year, _("📝 My pledge")))


async def pledge_approved(pledge: Pledge) -> OutboxMessage | None:
    return await _told(pledge, "approved", lambda _: _(
        "✅ Your pledge for {year} has been approved. As you keep it, log your progress on each item "
        "in “📝 My pledge”.").format(year=pledge.year))


async def pledge_published(pledge: Pledge) -> OutboxMessage | None:
    return await _told(pledge, "published", lambda _: _(
        "📢 Your pledge for {year} has been published for the residents to see. "
        "Thank you for setting an example!").format(year=pledge.year))


async def pledge_half_year_reviewed(pledge: Pledge) -> OutboxMessage | None:
    """The leader's comment and the residents' evaluation, as recorded at the half-year review."""
    return await _told(pledge, "half_year_reviewed", lambda _: "\n".join([
        _("📋 The half-year review of your pledge for {year}:").format(year=pledge.year),
        *half_year_review_lines(pledge, _)]))


async def pledge_assessed(pledge: Pledge) -> OutboxMessage | None:
    """The grade, the residents' satisfaction and the comment of the annual assessment."""
    return await _told(pledge, "assessed", lambda _: "\n".join([
        _("🏅 The annual assessment of your pledge for {year}:").format(year=pledge.year),
        *assessment_lines(pledge, _)]))


async def half_year_reminder(pledge: Pledge) -> OutboxMessage | None:
    if (to := await _member(pledge)) is None:
        return None
    _ = to.gettext
    text = _("📝 Half of the year has passed. Please write a short half-year summary of how you have kept "
             "your pledge for {year}.").format(year=pledge.year)
    write = button(PledgeAction.SUMMARY, pledge.year, _("📝 Write my half-year summary"))
    return await to.send(text, kind="pledge.half_year_reminder",
                         dedup_key=f"pledge:{pledge.id}:half_year_reminder:{pledge.year}", keyboard=write)


async def send_half_year_reminders(year: int, now: datetime | None = None) -> int:
    """Remind every member whose pledge of ``year`` was published by ``now`` and has no
    half-year summary yet: the scheduler's job, by default on 1 July.

    Returns how many members have a reminder queued for the year: the dedup keys make a
    second run, or a run in a second process, queue nothing new.
    """
    queued = 0
    for pledge in await pledges_awaiting_summary(year, published_by=now or datetime.now(UTC)):
        if await half_year_reminder(pledge):
            queued += 1
    return queued
