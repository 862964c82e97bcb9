"""Inline keyboards of community service. Labels are translated in the current user's
locale, or with the ``gettext`` given (notifications)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import (
    ActivityAction,
    ActivityCallback,
    AttendanceMark,
    CommunityAction,
    CommunityCallback,
    CommunityList,
    CommunityPage,
    JoinDecision,
    PostAction,
    PostCallback,
    RegCommunityChoice,
    ServiceKindToggle,
    TeamAction,
    TeamCallback,
)
from bot.keyboard_builder import InlineKeyboardBuilder
from bot.paging import Page, page_buttons
from bot.texts import Gettext
from bot.wish_keyboards import cancel_button, main_menu_button
from models.activities import Activity, SignUp, SignUpStatus
from models.clock import local_now
from models.org import OrgUnit
from models.posts import PostClaim, ServicePost
from models.registration import Registration, RegistrationStatus, ServiceKind
from models.teams import Team, TeamMembership
from models.text import shortened
from models.wishes import WISH_CATEGORY_LABELS

BUTTON_TEXT_MAX = 40


def _short(text: str) -> str:
    return shortened(text, BUTTON_TEXT_MAX)


def _action(action: CommunityAction, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=CommunityCallback(action=action).pack())


def pager(kind: CommunityList, page: Page, item: int = 0) -> list[InlineKeyboardButton]:
    """◀️ / ▶️ for a paged list (nothing when it has one page)."""
    return page_buttons(page.number, page.pages,
                  lambda to: CommunityPage(kind=kind, page=to, item=item).pack())


def back_button() -> InlineKeyboardButton:
    return _action(CommunityAction.HOME, _("⬅️ Community service"))


def back_only() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[back_button()]])


def home(registration: Registration | None, *, can_report: bool) -> InlineKeyboardMarkup:
    rows = []
    if registration is None and can_report:
        rows.append([_action(CommunityAction.REGISTER, _("🏠 Report to my community"))])
    elif registration is not None and registration.status == RegistrationStatus.CONFIRMED:
        rows.append([_action(CommunityAction.POSTS, _("📌 Service posts"))])
        rows.append([_action(CommunityAction.MY_POSTS, _("🧭 My posts"))])
    rows.append([_action(CommunityAction.UPCOMING, _("📅 Upcoming activities"))])
    rows.append([_action(CommunityAction.MY_SIGNUPS, _("🗓 My sign-ups"))])
    rows.append([_action(CommunityAction.TEAMS, _("👥 Volunteer teams"))])
    if registration is not None:
        rows.append([_action(CommunityAction.WITHDRAW, _("↩️ Withdraw my report"))])
    rows.append([main_menu_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_withdraw() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_action(CommunityAction.WITHDRAW_CONFIRMED, _("Yes, withdraw my report"))],
        [_action(CommunityAction.HOME, _("No, keep it"))],
    ])


# --------------------------------------------------------------------------- reporting


def community_choice(communities: Page[OrgUnit]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for community in communities.items:
        builder.button(text=_short(community.name),
                       callback_data=RegCommunityChoice(community_id=community.id))
    builder.adjust(1)
    if buttons := pager(CommunityList.COMMUNITIES, communities):
        builder.row(*buttons)
    builder.row(cancel_button())
    return builder.as_markup()


def skip_skills() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_action(CommunityAction.SKIP_SKILLS, _("Skip"))], [cancel_button()],
    ])


def kinds_choice(chosen: list[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in ServiceKind:
        mark = "✅ " if kind in chosen else ""
        builder.button(text=mark + _(WISH_CATEGORY_LABELS[kind]), callback_data=ServiceKindToggle(kind=kind))
    builder.adjust(2)
    builder.row(_action(CommunityAction.SUBMIT, _("📨 Submit my report")))
    builder.row(cancel_button())
    return builder.as_markup()


# --------------------------------------------------------------------------- posts


def open_posts(posts: Page[ServicePost], held: set[int]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for post in posts.items:
        if post.id not in held:
            builder.button(text=_("Claim: {post}").format(post=_short(post.name)),
                           callback_data=PostCallback(action=PostAction.CLAIM, item_id=post.id,
                                                      page=posts.number))
    builder.adjust(1)
    if buttons := pager(CommunityList.POSTS, posts):
        builder.row(*buttons)
    builder.row(_action(CommunityAction.MY_POSTS, _("🧭 My posts")))
    builder.row(back_button())
    return builder.as_markup()


def my_posts(claims: list[PostClaim]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for claim in claims:
        builder.button(text=_("Leave: {post}").format(post=_short(claim.post.name)),
                       callback_data=PostCallback(action=PostAction.LEAVE, item_id=claim.id))
    builder.adjust(1)
    builder.row(_action(CommunityAction.POSTS, _("📌 Service posts")))
    builder.row(back_button())
    return builder.as_markup()


# --------------------------------------------------------------------------- activities


def _activity(action: ActivityAction, activity_id: int, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=ActivityCallback(action=action, activity_id=activity_id).pack()
    )


def _activity_label(activity: Activity) -> str:
    """Its local start and title, e.g. ``12-10 09:00 周四义诊``: a recurring activity's
    occurrences share the title, so the button must say which day it opens."""
    return _short(f"{local_now(activity.starts_at):%m-%d %H:%M} {activity.title}")


def activity_list(activities: list[Activity], kind: CommunityList, page: Page) -> InlineKeyboardMarkup:
    rows = [[_activity(ActivityAction.VIEW, a.id, _activity_label(a))] for a in activities]
    if buttons := pager(kind, page):
        rows.append(buttons)
    rows.append([back_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def activity_view(
    activity: Activity, signup: SignUp | None, *, organiser: bool = False, can_check_in: bool = False,
) -> InlineKeyboardMarkup:
    rows = []
    if organiser:
        rows.append([_activity(ActivityAction.ROSTER, activity.id, _("📋 Sign-ups and attendance"))])
    if signup is None:
        rows.append([_activity(ActivityAction.SIGN_UP, activity.id, _("✋ Sign up"))])
    else:
        if can_check_in:
            rows.append([_activity(ActivityAction.CHECK_IN, activity.id, _("📍 Check in"))])
        rows.append([_activity(ActivityAction.CANCEL, activity.id, _("✖️ Cancel my sign-up"))])
    rows.append([_action(CommunityAction.UPCOMING, _("📅 Upcoming activities"))])
    rows.append([back_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def reminder(activity: Activity, gettext: Gettext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _activity(ActivityAction.COMING, activity.id, gettext("👍 I'll be there")),
        _activity(ActivityAction.NOT_COMING, activity.id, gettext("🙅 I can't come")),
    ]])


def open_activity(activity: Activity, gettext: Gettext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _activity(ActivityAction.VIEW, activity.id, gettext("📅 Open the activity")),
    ]])


# --------------------------------------------------------------------------- teams


def _team(action: TeamAction, team_id: int, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=TeamCallback(action=action, team_id=team_id).pack())


def team_list(teams: Page[Team]) -> InlineKeyboardMarkup:
    rows = [[_team(TeamAction.VIEW, team.id, _short(team.name))] for team in teams.items]
    if buttons := pager(CommunityList.TEAMS, teams):
        rows.append(buttons)
    rows.append([back_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def team_view(team: Team, membership: TeamMembership | None, leader: bool) -> InlineKeyboardMarkup:
    rows = []
    if membership is None:
        if team.is_open:
            rows.append([_team(TeamAction.JOIN, team.id, _("🙋 Ask to join"))])
    else:
        rows.append([_team(TeamAction.LEAVE, team.id, _("🚪 Leave the team"))])
    if leader:
        rows.append([_team(TeamAction.REQUESTS, team.id, _("📥 Join requests"))])
        rows.append([_team(TeamAction.ACTIVITIES, team.id, _("📋 The team's activities"))])
        rows.append([_team(TeamAction.NOTICE, team.id, _("📢 Notice to the team"))])
    rows.append([_action(CommunityAction.TEAMS, _("👥 Volunteer teams"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def join_requests(team: Team, requests: list[TeamMembership]) -> InlineKeyboardMarkup:
    rows = []
    for request in requests:
        name = _short(request.member.name)
        rows.append([
            InlineKeyboardButton(text=_("✅ {name}").format(name=name), callback_data=JoinDecision(
                membership_id=request.id, approve=True).pack()),
            InlineKeyboardButton(text=_("❌ {name}").format(name=name), callback_data=JoinDecision(
                membership_id=request.id, approve=False).pack()),
        ])
    rows.append([_team(TeamAction.VIEW, team.id, _("⬅️ The team"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def notice_preview(team: Team) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_team(TeamAction.NOTICE_SEND, team.id, _("📨 Send"))], [cancel_button()],
    ])


def after_notice(team: Team) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_team(TeamAction.VIEW, team.id, _("⬅️ The team"))]])


def leader_requests(team: Team, gettext: Gettext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _team(TeamAction.REQUESTS, team.id, gettext("📥 Join requests")),
    ]])



def team_activities(team: Team, activities: Page[Activity]) -> InlineKeyboardMarkup:
    rows = [[_activity(ActivityAction.ROSTER, a.id, _activity_label(a))] for a in activities.items]
    if buttons := pager(CommunityList.TEAM_ACTIVITIES, activities, team.id):
        rows.append(buttons)
    rows.append([_team(TeamAction.VIEW, team.id, _("⬅️ The team"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def roster(activity: Activity, signups: Page[SignUp], *, recording: bool = True) -> InlineKeyboardMarkup:
    """The attendance buttons of each sign-up on the page (none before attendance opens)."""
    rows = []
    for number, signup in enumerate(signups.items if recording else (), start=signups.first_position):
        rows.append([
            InlineKeyboardButton(text=label.format(number=number), callback_data=AttendanceMark(
                signup_id=signup.id, outcome=outcome).pack())
            for outcome, label in (
                (SignUpStatus.ATTENDED, _("{number} ✅ came")),
                (SignUpStatus.EXCUSED, _("{number} 📝 excused")),
                (SignUpStatus.NO_SHOW, _("{number} ❌ did not come")),
            )
        ])
    if buttons := pager(CommunityList.ROSTER, signups, activity.id):
        rows.append(buttons)
    rows.append([_activity(ActivityAction.ROSTER, activity.id, _("🔄 Refresh"))])
    if activity.team_id is not None:
        rows.append([_team(TeamAction.ACTIVITIES, activity.team_id, _("📋 The team's activities"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)
