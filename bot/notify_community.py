"""Community-service notifications: messages to members other than the user in front of
the bot, queued in the outbox in the recipient's language with dedup keys.

The admin panel calls :func:`registration_confirmed` after
``models.registration.confirm_registration`` and :func:`registration_declined` after
``decline_registration``. The bot calls :func:`promoted` when a cancellation gives a
waiting member a seat, and :func:`join_requested` when a member asks to join a team.
The scheduler calls :func:`send_activity_reminders` (every few minutes).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from tortoise.transactions import in_transaction

from bot import community_keyboards as kb
from bot.community_texts import activity_summary
from bot.notify import Recipient
from models.activities import Activity, SignUp
from models.activity_reminders import Reminder, claim_reminder, due_reminders
from models.members import Member, TelegramUser
from models.org import OrgUnit
from models.outbox import OutboxMessage
from models.registration import Registration
from models.teams import MembershipStatus, Team, TeamMembership, TeamRole


async def _member(member_id: int) -> Recipient | None:
    return Recipient.of(await TelegramUser.get_or_none(member_id=member_id))


async def registration_confirmed(registration: Registration) -> OutboxMessage | None:
    if (to := await _member(registration.member_id)) is None:
        return None
    _ = to.gettext
    community = await OrgUnit.get(id=registration.community_id)
    text = _("✅ {community} has confirmed your report. You can now claim its service posts in "
             "“🏘 Community service”.").format(community=escape(community.name))
    return await to.send(text, kind="registration.confirmed",
                         dedup_key=f"registration:{registration.id}:confirmed")


async def registration_declined(registration: Registration) -> OutboxMessage | None:
    if (to := await _member(registration.member_id)) is None:
        return None
    _ = to.gettext
    community = await OrgUnit.get(id=registration.community_id)
    text = _("Your report to {community} was not confirmed.\n\nReason: {reason}\n\n"
             "You can report again in “🏘 Community service”.").format(
        community=escape(community.name), reason=escape(registration.decline_reason) or "—")
    return await to.send(text, kind="registration.declined",
                         dedup_key=f"registration:{registration.id}:declined")


async def promoted(signup: SignUp) -> OutboxMessage | None:
    """A seat came free and ``signup`` (from the waiting list) has it now."""
    if (to := await _member(signup.member_id)) is None:
        return None
    _ = to.gettext
    activity = await Activity.get(id=signup.activity_id)
    text = _("🎉 A seat came free: you are now signed up for this activity.\n\n{activity}\n\n"
             "If you cannot come, please cancel so the next member can go.").format(
        activity=activity_summary(activity, _))
    return await to.send(text, kind="activity.promoted", dedup_key=f"signup:{signup.id}:promoted",
                         keyboard=kb.open_activity(activity, _))


async def activity_reminder(reminder: Reminder) -> OutboxMessage | None:
    signup = reminder.signup
    if (to := await _member(signup.member_id)) is None:
        return None
    _ = to.gettext
    text = _("⏰ Reminder: you have signed up for this activity.\n\n{activity}").format(
        activity=activity_summary(signup.activity, _))
    return await to.send(text, kind="activity.reminder", dedup_key=reminder.dedup_key,
                         keyboard=kb.reminder(signup.activity, _))


async def send_activity_reminders(now: datetime | None = None) -> int:
    """Queue the reminders that are due; the scheduler's job (e.g. every 5 minutes).

    Each reminder is claimed (``ReminderSent``) in the same transaction as its outbox row, so a
    second run, even in another process, queues nothing twice. Returns how many were queued."""
    now = now or datetime.now(UTC)
    queued = 0
    for reminder in await due_reminders(now):
        async with in_transaction():
            if await claim_reminder(reminder) and await activity_reminder(reminder):
                queued += 1
    return queued


async def join_requested(membership: TeamMembership) -> list[OutboxMessage]:
    """Tell the team's leaders that a member asks to join."""
    team = await Team.get(id=membership.team_id)
    member = await Member.get(id=membership.member_id)
    leaders = await TeamMembership.filter(
        team_id=team.id, status=MembershipStatus.ACTIVE, role=TeamRole.LEADER
    ).values_list("member_id", flat=True)
    sent = []
    for leader_id in leaders:
        if (to := await _member(leader_id)) is None:
            continue
        _ = to.gettext
        text = _("🙋 {name} asks to join {team}.").format(name=escape(member.name), team=escape(team.name))
        sent.append(await to.send(text, kind="team.join_requested",
                                  dedup_key=f"team-membership:{membership.id}:requested:{leader_id}",
                                  keyboard=kb.leader_requests(team, _)))
    return sent


async def join_decided(membership: TeamMembership) -> OutboxMessage | None:
    """Tell the member the leader's decision (after approve or decline)."""
    if (to := await _member(membership.member_id)) is None:
        return None
    _ = to.gettext
    team = await Team.get(id=membership.team_id)
    if membership.status == MembershipStatus.ACTIVE:
        text = _("✅ You are now a member of {team}.")
    else:
        text = _("Your request to join {team} was declined.")
    return await to.send(text.format(team=escape(team.name)), kind="team.join_decided",
                         dedup_key=f"team-membership:{membership.id}:{membership.status}")
