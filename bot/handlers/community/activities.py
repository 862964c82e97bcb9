"""Activities: the upcoming ones the member may join, one-tap sign-up (a seat or the
waiting list), cancelling (the first in line is promoted and told), checking in with
the code shown at the activity, and the buttons under a reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from tortoise.transactions import in_transaction

from bot import community_keyboards as kb
from bot import notify_community, notify_points
from bot.callbacks import (
    ActivityAction,
    ActivityCallback,
    AttendanceMark,
    CommunityAction,
    CommunityCallback,
    CommunityList,
    CommunityPage,
    TeamAction,
    TeamCallback,
)
from bot.community_texts import activity_summary
from bot.handlers.common import ask_below, expect_text, show, stale_button
from bot.paging import page_of, page_of_query
from bot.points_texts import standing_after
from bot.states import CommunityInput
from bot.texts import refusal_text
from bot.wish_keyboards import cancel_only
from models.activities import (
    SIGN_UP_STATUS_LABELS,
    Activity,
    ActivityStatus,
    SignUp,
    SignUpStatus,
    require_access,
    roster,
    sign_up_key,
    signups_of,
    upcoming_for,
)
from models.attendance import (
    ATTENDANCE_NOT_YET,
    CHECKIN_HOURS,
    attendance_open,
    check_in,
    checkin_hours,
    checkin_is_open,
    mark_attendance,
    may_check_in,
)
from models.audit import Actor
from models.errors import DomainError, ValidationError
from models.members import Member
from models.points import CardSource, awarded_card
from models.signups import cancel_signup, sign_up, waitlist_position
from models.teams import Team, is_leader

CHECKIN_ATTEMPTS = 5


async def live_signup(activity_id: int, member: Member) -> SignUp | None:
    return await SignUp.get_or_none(active_key=sign_up_key(activity_id, member.id))


async def status_line(signup: SignUp) -> str:
    status = _(SIGN_UP_STATUS_LABELS[signup.status])
    if (position := await waitlist_position(signup)) is not None:
        return _("Your sign-up: {status} (number {position} in line)").format(status=status, position=position)
    return _("Your sign-up: {status}").format(status=status)


async def show_activity(
    query: CallbackQuery, activity: Activity, member: Member, signup: SignUp | None,
) -> None:
    """The activity's card; ``signup`` is the member's live sign-up for it (or None)."""
    lines = [activity_summary(activity, _)]
    if activity.capacity is not None:
        lines.append(_("Seats left: {seats}").format(seats=activity.seats_left))
    can_check_in = False
    if signup is not None:
        lines += ["", await status_line(signup)]
        # The button only while the code is accepted; until then, the member is told when.
        can_check_in = may_check_in(activity, signup)
        if not can_check_in and signup.status != SignUpStatus.ATTENDED:
            lines.append(_(CHECKIN_HOURS).format(**checkin_hours(activity)))
    organiser = activity.team_id is not None and await is_leader(activity.team_id, member)
    await show(query, "\n".join(lines),
               kb.activity_view(activity, signup, organiser=organiser, can_check_in=can_check_in))


async def show_upcoming(query: CallbackQuery, member: Member, page: int) -> None:
    activities = page_of(await upcoming_for(member, limit=None), page)
    lines = [_("📅 <b>Upcoming activities</b>")]
    if not activities.items:
        lines += ["", _("There are no upcoming activities for you right now.")]
    lines += ["\n" + activity_summary(activity, _) for activity in activities.items]
    lines += activities.footer()
    await show(query, "\n".join(lines), kb.activity_list(activities.items, CommunityList.UPCOMING, activities))


async def upcoming(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    await state.clear()
    await show_upcoming(query, member, 0)
    await query.answer()


async def show_my_signups(query: CallbackQuery, member: Member, page: int) -> None:
    signups = page_of(await signups_of(member), page)
    lines = [_("🗓 <b>My sign-ups</b>")]
    if not signups.items:
        lines += ["", _("You have not signed up for any activity.")]
    for signup in signups.items:
        lines += ["", activity_summary(signup.activity, _), await status_line(signup)]
    lines += signups.footer()
    await show(query, "\n".join(lines), kb.activity_list(
        [signup.activity for signup in signups.items], CommunityList.MY_SIGNUPS, signups))


async def my_signups(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    await state.clear()
    await show_my_signups(query, member, 0)
    await query.answer()


async def reachable_activity(
    query: CallbackQuery, callback_data: ActivityCallback, member: Member,
) -> Activity | None:
    """The activity of the button if the member may see it; a forged or foreign one is stale."""
    activity = await Activity.get_or_none(id=callback_data.activity_id)
    if activity is not None:
        try:
            await require_access(activity, member)
            return activity
        except DomainError:
            pass
    await stale_button(query)
    return None


async def view(query: CallbackQuery, callback_data: ActivityCallback, member: Member) -> None:
    if activity := await reachable_activity(query, callback_data, member):
        await show_activity(query, activity, member, await live_signup(activity.id, member))
        await query.answer()


async def signup_tapped(query: CallbackQuery, callback_data: ActivityCallback, member: Member) -> None:
    if not (activity := await reachable_activity(query, callback_data, member)):
        return
    signup = await sign_up(activity, member)  # cancelled, started, double tap: the error handler says so
    await activity.refresh_from_db()
    await show_activity(query, activity, member, signup)
    if signup.status == SignUpStatus.REGISTERED:
        await query.answer(_("You are signed up. See you there!"))
    else:
        await query.answer(_("The activity is full: you are on the waiting list, number {position}. "
                             "We will tell you if a seat comes free.").format(
            position=await waitlist_position(signup)), show_alert=True)


async def cancel(signup: SignUp, member: Member) -> None:
    async with in_transaction():
        promoted = await cancel_signup(signup, member)
        if promoted is not None:
            await notify_community.promoted(promoted)


async def cancel_tapped(query: CallbackQuery, callback_data: ActivityCallback, member: Member) -> None:
    if not (activity := await reachable_activity(query, callback_data, member)):
        return
    if (signup := await live_signup(activity.id, member)) is None:
        await stale_button(query)
        return
    await cancel(signup, member)
    await activity.refresh_from_db()
    await show_activity(query, activity, member, None)
    await query.answer(_("Your sign-up is cancelled."))


async def coming(query: CallbackQuery, callback_data: ActivityCallback, member: Member) -> None:
    if not (activity := await reachable_activity(query, callback_data, member)):
        return
    signup = await live_signup(activity.id, member)
    if signup is None or signup.status != SignUpStatus.REGISTERED:
        await stale_button(query)
        return
    await query.message.edit_reply_markup(reply_markup=None)
    await query.answer(_("Thank you! See you there."))


async def not_coming(query: CallbackQuery, callback_data: ActivityCallback, member: Member) -> None:
    if not (activity := await reachable_activity(query, callback_data, member)):
        return
    if (signup := await live_signup(activity.id, member)) is None:
        await stale_button(query)
        return
    await cancel(signup, member)
    await query.message.edit_reply_markup(reply_markup=None)
    await query.answer(_("Your sign-up is cancelled. Thank you for letting us know."), show_alert=True)


async def ask_code(
    query: CallbackQuery, callback_data: ActivityCallback, state: FSMContext, member: Member,
) -> None:
    if not (activity := await reachable_activity(query, callback_data, member)):
        return
    if await live_signup(activity.id, member) is None:
        await stale_button(query)
        return
    if not checkin_is_open(activity):  # a button from a screen shown before, or after, the window
        await query.answer(_(CHECKIN_HOURS).format(**checkin_hours(activity)), show_alert=True)
        return
    await state.set_state(CommunityInput.checkin_code)
    await state.set_data({"activity_id": activity.id, "attempts": 0})
    await ask_below(query, state, _("📍 Type the check-in code shown at “{title}”:").format(
        title=escape(activity.title)), cancel_only())
    await query.answer()


async def code_written(message: Message, state: FSMContext, member: Member) -> None:
    data = await state.get_data()
    activity = await Activity.get_or_none(id=data["activity_id"])
    if activity is None:
        await state.clear()
        await message.answer(_("There are no upcoming activities for you right now."), reply_markup=kb.back_only())
        return
    try:
        await check_in(activity, member, message.text)
    except ValidationError as error:  # a wrong code: a few more tries
        attempts = data["attempts"] + 1
        if attempts >= CHECKIN_ATTEMPTS:
            await state.clear()
            await message.answer(_("Too many wrong codes. Please ask the organiser to record your attendance."),
                                 reply_markup=kb.back_only())
            return
        await state.update_data(attempts=attempts)
        await message.answer(refusal_text(error, _), reply_markup=cancel_only())
        return
    except DomainError as error:
        await state.clear()
        await message.answer(refusal_text(error, _), reply_markup=kb.back_only())
        return
    await state.clear()
    card = await awarded_card(CardSource.ACTIVITY, activity.id, member.id)
    lines = [_("✅ You are checked in. A contribution card has been recorded for you. Thank you!")]
    if card is not None:
        lines.append(await standing_after(card, _))
    await message.answer("\n\n".join(lines), reply_markup=kb.back_only())


# --------------------------------------------------------------------------- the leader's side

RECENT = timedelta(days=2)  # a leader records attendance of activities up to this long ago
ROSTER_PAGE_SIZE = 10


async def show_team_activities(query: CallbackQuery, team_id: int, member: Member, page: int) -> None:
    team = await Team.get_or_none(id=team_id)
    if team is None or not await is_leader(team.id, member):
        await stale_button(query)
        return
    activities = await page_of_query(Activity.filter(
        team_id=team.id, status=ActivityStatus.SCHEDULED, ends_at__gt=datetime.now(UTC) - RECENT,
    ).order_by("starts_at", "id"), page)
    lines = [_("📋 <b>The team's activities</b> · {team}").format(team=escape(team.name))]
    if not activities.items:
        lines += ["", _("The team has no recent or coming activity.")]
    lines += ["\n" + activity_summary(activity, _) for activity in activities.items]
    lines += activities.footer()
    await show(query, "\n".join(lines), kb.team_activities(team, activities))
    await query.answer()


async def team_activities(query: CallbackQuery, callback_data: TeamCallback, member: Member) -> None:
    await show_team_activities(query, callback_data.team_id, member, 0)


async def led_activity(activity_id: int, member: Member) -> Activity | None:
    activity = await Activity.get_or_none(id=activity_id)
    if activity is None or activity.team_id is None or not await is_leader(activity.team_id, member):
        return None
    return activity


async def show_roster(query: CallbackQuery, activity: Activity, page: int = 0, *,
                      showing: SignUp | None = None) -> None:
    """One page of the sign-ups (the page holding ``showing`` if given)."""
    everyone = await roster(activity)
    if showing is not None:
        page = next((i for i, s in enumerate(everyone) if s.id == showing.id), 0) // ROSTER_PAGE_SIZE
    signups = page_of(everyone, page, ROSTER_PAGE_SIZE)
    lines = [activity_summary(activity, _), "", _("📋 <b>Sign-ups</b>")]
    if not signups.items:
        lines.append(_("Nobody has signed up yet."))
    for number, signup in enumerate(signups.items, start=signups.first_position):
        lines.append(f"{number}. {escape(signup.member.name)} · {_(SIGN_UP_STATUS_LABELS[signup.status])}")
    lines += signups.footer()
    recording = attendance_open(activity)
    if signups.items and not recording:
        lines += ["", _(ATTENDANCE_NOT_YET)]
    await show(query, "\n".join(lines), kb.roster(activity, signups, recording=recording))


async def roster_screen(query: CallbackQuery, callback_data: ActivityCallback, member: Member) -> None:
    activity = await led_activity(callback_data.activity_id, member)
    if activity is None:
        await stale_button(query)
        return
    await show_roster(query, activity)
    await query.answer()


async def mark(query: CallbackQuery, callback_data: AttendanceMark, member: Member) -> None:
    signup = await SignUp.get_or_none(id=callback_data.signup_id)
    activity = signup and await led_activity(signup.activity_id, member)
    if not activity:
        await stale_button(query)
        return
    # Too early, cancelled activity, a final status: the error handler says so.
    async with in_transaction():
        await mark_attendance(signup, callback_data.outcome, Actor(member=member))
        await notify_points.attendance_card(signup)
    await show_roster(query, activity, showing=signup)
    await query.answer(_("Recorded."))


async def paged(query: CallbackQuery, callback_data: CommunityPage, member: Member) -> None:
    """◀ / ▶ in an activity list; a page that no longer exists shows the nearest one."""
    kind, page = callback_data.kind, callback_data.page
    if kind == CommunityList.UPCOMING:
        await show_upcoming(query, member, page)
    elif kind == CommunityList.MY_SIGNUPS:
        await show_my_signups(query, member, page)
    elif kind == CommunityList.TEAM_ACTIVITIES:
        await show_team_activities(query, callback_data.item, member, page)
        return
    else:  # the roster
        activity = await led_activity(callback_data.item, member)
        if activity is None:
            await stale_button(query)
            return
        await show_roster(query, activity, page)
    await query.answer()


ACTIVITY_LISTS = (CommunityList.UPCOMING, CommunityList.MY_SIGNUPS, CommunityList.TEAM_ACTIVITIES,
                  CommunityList.ROSTER)


def create_router() -> Router:
    """Members only: the parent router filters."""
    router = Router(name=__name__)
    router.callback_query.register(paged, CommunityPage.filter(F.kind.in_(ACTIVITY_LISTS)))
    action = ActivityCallback.filter
    router.callback_query.register(upcoming, CommunityCallback.filter(F.action == CommunityAction.UPCOMING))
    router.callback_query.register(my_signups, CommunityCallback.filter(F.action == CommunityAction.MY_SIGNUPS))
    router.callback_query.register(view, action(F.action == ActivityAction.VIEW))
    router.callback_query.register(signup_tapped, action(F.action == ActivityAction.SIGN_UP))
    router.callback_query.register(cancel_tapped, action(F.action == ActivityAction.CANCEL))
    router.callback_query.register(coming, action(F.action == ActivityAction.COMING))
    router.callback_query.register(not_coming, action(F.action == ActivityAction.NOT_COMING))
    router.callback_query.register(ask_code, action(F.action == ActivityAction.CHECK_IN))
    router.callback_query.register(roster_screen, action(F.action == ActivityAction.ROSTER))
    router.callback_query.register(team_activities, TeamCallback.filter(F.action == TeamAction.ACTIVITIES))
    router.callback_query.register(mark, AttendanceMark.filter())
    router.message.register(code_written, CommunityInput.checkin_code, F.text)
    router.message.register(expect_text, CommunityInput.checkin_code)
    return router
