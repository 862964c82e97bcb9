"""Community-service notifications: messages to members other than the user in front of
the bot, queued in the outbox in the recipient's language with dedup keys.

The admin panel calls :func:`registration_confirmed` after
``models.registration.confirm_registration`` and :func:`registration_declined` after
``decline_registration``. The bot calls :func:`promoted` when a cancellation gives a
waiting member a seat, and :func:`join_requested` when a member asks to join a team.
The scheduler calls :func:`send_activity_reminders` (every few minutes) and
:func:`generate_and_announce` (the occurrences of recurring activities).

A team leader's notice (written in the bot) goes out with :func:`team_notice`.

The panel calls :func:`activity_created`, :func:`activity_rescheduled` and
:func:`activity_cancelled`. Members holding a place (signed up or waiting) are told of a
change or a cancellation; when the activity's team has a linked Telegram group, new
activities, changes, cancellations and reminders are also posted there, in the default
language and without any personal data (no names, no sign-up lists, no buttons: a
button pressed in a group would answer with the presser's own data in the group).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from tortoise.transactions import in_transaction

from bot import community_keyboards as kb
from bot.community_texts import activity_summary
from bot.notify import Recipient
from locales import default_locale, translations
from models.activities import Activity, ActivityStatus, SignUp
from models.activity_reminders import (
    GroupReminder,
    Reminder,
    claim_reminder,
    due_group_reminders,
    due_reminders,
    group_reminder_prefix,
)
from models.activity_series import generate_all_occurrences
from models.members import Member, TelegramUser
from models.org import OrgUnit
from models.outbox import WAITING, OutboxMessage, cancel, enqueue
from models.registration import Registration
from models.teams import MembershipStatus, Team, TeamMembership, TeamRole, notice_recipients


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
    return await to.send(text, kind=REMINDER_KIND, dedup_key=reminder.dedup_key,
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
    for group_reminder in await due_group_reminders(now):
        if await group_activity_reminder(group_reminder):
            queued += 1
    return queued


# --------------------------------------------------------------------------- changes to an activity

REMINDER_KIND = "activity.reminder"
GROUP_REMINDER_KIND = "activity.group_reminder"


async def _cancel_outdated_reminders(activity: Activity) -> int:
    """Reminders of ``activity`` still waiting in the outbox that name an old start time (or
    any, once it is cancelled) are not sent: the change or cancellation notice replaces them."""
    signup_ids = {str(i) for i in await SignUp.filter(activity_id=activity.id).values_list("id", flat=True)}
    current = str(int(activity.starts_at.timestamp()))
    group_prefix = group_reminder_prefix(activity.id)
    outdated = []
    for row_id, key in await OutboxMessage.filter(
        kind__in=(REMINDER_KIND, GROUP_REMINDER_KIND), status__in=list(WAITING),
    ).values_list("id", "dedup_key"):
        parts = (key or "").split(":")
        ours = key.startswith(group_prefix) if parts[0] == "activity-group-reminder" else (
            parts[0] == "activity-reminder" and len(parts) == 4 and parts[1] in signup_ids)
        if ours and (activity.status == ActivityStatus.CANCELLED or parts[-1] != current):
            outdated.append(row_id)
    if not outdated:
        return 0
    return await cancel(OutboxMessage.filter(id__in=outdated))


async def activity_rescheduled(activity: Activity, members: Sequence[Member]) -> list[OutboxMessage]:
    """The activity's time or place changed (``models.activities.reschedule`` returned
    ``members``): tell them, and the team's group. One message per change (its version)."""
    await _cancel_outdated_reminders(activity)
    sent = []
    for member in members:
        if (to := await _member(member.id)) is None:
            continue
        _ = to.gettext
        text = _("🔔 An activity you signed up for has changed. Now:\n\n{activity}\n\n"
                 "If you cannot come any more, please cancel so the next member can go.").format(
            activity=activity_summary(activity, _))
        sent.append(await to.send(
            text, kind="activity.rescheduled",
            dedup_key=f"activity:{activity.id}:v{activity.version}:changed:{member.id}",
            keyboard=kb.open_activity(activity, _)))
    await group_activity_changed(activity)
    return sent


async def activity_cancelled(activity: Activity, members: Sequence[Member]) -> list[OutboxMessage]:
    """The activity was called off (``models.activities.cancel_activity`` returned ``members``)."""
    await _cancel_outdated_reminders(activity)
    sent = []
    for member in members:
        if (to := await _member(member.id)) is None:
            continue
        _ = to.gettext
        text = _("❌ An activity you signed up for has been cancelled.\n\n{activity}\n\n"
                 "Reason: {reason}").format(activity=activity_summary(activity, _),
                                            reason=escape(activity.cancel_reason) or "—")
        sent.append(await to.send(text, kind="activity.cancelled",
                                  dedup_key=f"activity:{activity.id}:cancelled:{member.id}"))
    await group_activity_cancelled(activity)
    return sent


# --------------------------------------------------------------------------- the team's group


async def _group_chat(activity: Activity) -> int | None:
    if activity.team_id is None:
        return None
    team = await Team.get_or_none(id=activity.team_id)
    return team.group_chat_id if team else None


def _group_gettext():
    return translations(default_locale()).gettext


def _seats_line(activity: Activity, _) -> str:
    if activity.capacity is None:
        return ""
    return "\n" + _("Seats: {capacity}").format(capacity=activity.capacity)


async def _post_in_group(activity: Activity, text: str, *, kind: str, dedup_key: str) -> OutboxMessage | None:
    if (chat_id := await _group_chat(activity)) is None:
        return None
    return await enqueue(chat_id, text, kind=kind, dedup_key=dedup_key)


async def activity_created(activity: Activity) -> OutboxMessage | None:
    """Announce a new activity in its team's group (if linked)."""
    _ = _group_gettext()
    text = _("📅 New activity:\n\n{activity}{seats}\n\nSign up in the bot: “🏘 Community service” → "
             "“📅 Upcoming activities”.").format(activity=activity_summary(activity, _),
                                               seats=_seats_line(activity, _))
    return await _post_in_group(activity, text, kind="activity.group_created",
                                dedup_key=f"activity-group:{activity.id}:created")


async def group_activity_changed(activity: Activity) -> OutboxMessage | None:
    _ = _group_gettext()
    text = _("🔔 Activity changed. Now:\n\n{activity}").format(activity=activity_summary(activity, _))
    return await _post_in_group(activity, text, kind="activity.group_changed",
                                dedup_key=f"activity-group:{activity.id}:v{activity.version}:changed")


async def group_activity_cancelled(activity: Activity) -> OutboxMessage | None:
    _ = _group_gettext()
    text = _("❌ Activity cancelled:\n\n{activity}").format(activity=activity_summary(activity, _))
    return await _post_in_group(activity, text, kind="activity.group_cancelled",
                                dedup_key=f"activity-group:{activity.id}:cancelled")


async def group_activity_reminder(reminder: GroupReminder) -> bool:
    """Queue a due group reminder; False if it was queued before (a double run)."""
    chat_id = reminder.activity.team.group_chat_id
    if await OutboxMessage.filter(dedup_key=reminder.dedup_key).exists():
        return False
    _ = _group_gettext()
    text = _("⏰ Coming up:\n\n{activity}").format(activity=activity_summary(reminder.activity, _))
    await enqueue(chat_id, text, kind=GROUP_REMINDER_KIND, dedup_key=reminder.dedup_key)
    return True


async def generate_and_announce(
    *, now: datetime | None = None, horizon: timedelta | None = None,
) -> list[Activity]:
    """The scheduler's job: generate the recurring activities' occurrences ahead, and
    announce the new ones in their teams' groups."""
    created = await generate_all_occurrences(now=now, horizon=horizon)
    for activity in created:
        await activity_created(activity)
    return created


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


# --------------------------------------------------------------------------- a leader's notice


@dataclass(frozen=True)
class NoticeSent:
    messages: list[OutboxMessage]  # one per member with a linked Telegram account
    unreachable: int  # members of the team whose Telegram account is not linked
    group: OutboxMessage | None  # the post in the team's linked group


async def team_notice(team: Team, sender: Member, text: str, *, notice_key: str) -> NoticeSent:
    """Queue a leader's notice (``text`` as written, cleaned by ``models.teams.record_team_notice``)
    to every active member of ``team`` but ``sender``, and to the team's group if linked.

    ``notice_key`` names this notice (e.g. the sender and the preview message), so a second
    call for the same notice queues nothing new. Members see the leader's name; the group
    does not (groups never show personal data)."""
    messages, unreachable = [], 0
    for member_id in await notice_recipients(team, sender):
        if (to := await _member(member_id)) is None:
            unreachable += 1
            continue
        _ = to.gettext
        body = _("📢 Notice from {name}, leader of {team}:\n\n{text}").format(
            name=escape(sender.name), team=escape(team.name), text=escape(text))
        messages.append(await to.send(body, kind="team.notice",
                                      dedup_key=f"team-notice:{team.id}:{notice_key}:{member_id}"))
    group = None
    if team.group_chat_id is not None:
        _ = _group_gettext()
        body = _("📢 Notice to {team}:\n\n{text}").format(team=escape(team.name), text=escape(text))
        group = await enqueue(team.group_chat_id, body, kind="team.group_notice",
                              dedup_key=f"team-notice:{team.id}:{notice_key}:group")
    return NoticeSent(messages, unreachable, group)
