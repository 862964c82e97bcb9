"""The community-service screen and reporting to the home community (报到): choose the
community, say what skills and kinds of service one offers, submit."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from tortoise.transactions import in_transaction

from bot import community_keyboards as kb
from bot.callbacks import (
    CommunityAction,
    CommunityCallback,
    CommunityList,
    CommunityPage,
    MenuAction,
    MenuCallback,
    RegCommunityChoice,
    ServiceKindToggle,
)
from bot.community_texts import kinds_text, registration_text
from bot.handlers.common import ask, expect_button, expect_text, show, stale_button
from bot.paging import page_of
from bot.states import CommunityForm
from models.audit import Actor
from models.members import Member
from models.org import OrgKind, OrgUnit
from models.posts import leave_posts_in
from models.registration import (
    REPORTING_TYPES,
    SKILLS_MAX,
    RegistrationStatus,
    clean_service_kinds,
    current_registration,
    register,
    withdraw_registration,
)


async def home_text(member: Member) -> tuple[str, InlineKeyboardMarkup]:
    registration = await current_registration(member)
    lines = [_("🏘 <b>Community service</b>")]
    if registration is None:
        if member.member_type in REPORTING_TYPES:
            lines.append(_("You have not reported to your residence community yet. Reporting lets you "
                           "claim its service posts."))
    else:
        lines += ["", registration_text(registration, _)]
        if registration.status == RegistrationStatus.PENDING:
            lines.append(_("The community will confirm your report; we will tell you."))
    return "\n".join(lines), kb.home(registration, can_report=member.member_type in REPORTING_TYPES)


async def open_home(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    await state.clear()
    text, markup = await home_text(member)
    await show(query, text, markup)
    await query.answer()


async def start_report(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    if await current_registration(member) is not None or member.member_type not in REPORTING_TYPES:
        await stale_button(query)
        return
    await state.set_state(CommunityForm.community)
    await state.set_data({"kinds": []})
    await show_communities(query, state, member, 0)
    await query.answer()


async def show_communities(
    query: CallbackQuery, state: FSMContext, member: Member, page: int,
) -> None:
    communities = await OrgUnit.filter(kind=OrgKind.COMMUNITY).order_by("name", "id")
    # The residence community first: it is the one to report to.
    communities.sort(key=lambda unit: unit.id != member.residence_community_id)
    choice = page_of(communities, page)
    text = "\n".join([_("🏠 Which community do you live in? Choose it:"), *choice.footer()])
    await ask(query, state, text, kb.community_choice(choice))


async def communities_paged(
    query: CallbackQuery, callback_data: CommunityPage, state: FSMContext, member: Member,
) -> None:
    # A page gone meanwhile: the nearest one.
    await show_communities(query, state, member, callback_data.page)
    await query.answer()


async def community_chosen(
    query: CallbackQuery, callback_data: RegCommunityChoice, state: FSMContext,
) -> None:
    community = await OrgUnit.get_or_none(id=callback_data.community_id, kind=OrgKind.COMMUNITY)
    if community is None:
        await stale_button(query)
        return
    await state.update_data(community_id=community.id, community=community.name)
    await state.set_state(CommunityForm.skills)
    await ask(query, state, _("Community: {community}\n\nWhat skills can you offer (at most {count} characters)? "
                              "For example: doctor, lawyer, plumbing.").format(
        community=escape(community.name), count=SKILLS_MAX), kb.skip_skills())
    await query.answer()


async def show_kinds(target: CallbackQuery | Message, state: FSMContext) -> None:
    data = await state.get_data()
    text = "\n".join([
        _("Community: {community}").format(community=escape(data["community"])),
        _("Skills: {skills}").format(skills=escape(data.get("skills", "")) or "—"),
        _("Kinds of service: {kinds}").format(kinds=kinds_text(data.get("kinds", []), _)),
        "",
        _("Tap the kinds of service you offer, then submit your report."),
    ])
    await ask(target, state, text, kb.kinds_choice(data.get("kinds", [])))


async def skills_written(message: Message, state: FSMContext) -> None:
    skills = message.text.strip()
    if len(skills) > SKILLS_MAX:
        await message.answer(_("That is too long: at most {count} characters. Please write it again.").format(
            count=SKILLS_MAX))
        return
    await state.update_data(skills=skills)
    await state.set_state(CommunityForm.kinds)
    await show_kinds(message, state)


async def skills_skipped(query: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(skills="")
    await state.set_state(CommunityForm.kinds)
    await show_kinds(query, state)
    await query.answer()


async def kind_toggled(query: CallbackQuery, callback_data: ServiceKindToggle, state: FSMContext) -> None:
    kinds = set((await state.get_data()).get("kinds", []))
    kinds ^= {str(callback_data.kind)}
    await state.update_data(kinds=clean_service_kinds(kinds))
    await show_kinds(query, state)
    await query.answer()


async def submit(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    data = await state.get_data()
    community = await OrgUnit.get(id=data["community_id"])
    await state.clear()
    await register(Actor(member=member), community, skills=data.get("skills", ""),
                                  service_kinds=data.get("kinds", []))
    text, markup = await home_text(member)
    await show(query, text, markup)
    await query.answer(_("Your report has been sent to {community}.").format(community=community.name))


# --------------------------------------------------------------------------- withdrawing
# Both a pending and a confirmed report can be withdrawn (e.g. after moving house), as the
# model allows; withdrawing a confirmed one also gives up the posts held in that community.


async def ask_withdraw(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    await state.clear()
    registration = await current_registration(member)
    if registration is None:
        await stale_button(query)
        return
    lines = [_("Withdraw your report to {community}?").format(community=escape(registration.community.name))]
    if registration.status == RegistrationStatus.CONFIRMED:
        lines.append(_("You will also leave the service posts you hold there."))
    lines.append(_("You can report again later."))
    await show(query, "\n\n".join(lines), kb.confirm_withdraw())
    await query.answer()


async def withdraw(query: CallbackQuery, member: Member) -> None:
    registration = await current_registration(member)
    if registration is None:  # withdrawn already, or declined meanwhile
        await stale_button(query)
        return
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    async with in_transaction():
        # Decided or withdrawn between the read and now: the error handler says so.
        await withdraw_registration(registration, member)
        if was_confirmed:
            await leave_posts_in(member, registration.community_id, _("Withdrew the report"))
    text, markup = await home_text(member)
    await show(query, text, markup)
    await query.answer(_("Your report has been withdrawn."))


def create_router() -> Router:
    """Members only: the parent router filters."""
    router = Router(name=__name__)
    router.callback_query.register(open_home, MenuCallback.filter(F.action == MenuAction.COMMUNITY))
    router.callback_query.register(open_home, CommunityCallback.filter(F.action == CommunityAction.HOME))
    router.callback_query.register(
        start_report, CommunityCallback.filter(F.action == CommunityAction.REGISTER))
    router.callback_query.register(ask_withdraw, CommunityCallback.filter(F.action == CommunityAction.WITHDRAW))
    router.callback_query.register(
        withdraw, CommunityCallback.filter(F.action == CommunityAction.WITHDRAW_CONFIRMED))
    router.callback_query.register(community_chosen, CommunityForm.community, RegCommunityChoice.filter())
    router.callback_query.register(communities_paged, CommunityForm.community,
                                   CommunityPage.filter(F.kind == CommunityList.COMMUNITIES))
    router.callback_query.register(
        skills_skipped, CommunityForm.skills, CommunityCallback.filter(F.action == CommunityAction.SKIP_SKILLS))
    router.callback_query.register(kind_toggled, CommunityForm.kinds, ServiceKindToggle.filter())
    router.callback_query.register(
        submit, CommunityForm.kinds, CommunityCallback.filter(F.action == CommunityAction.SUBMIT))
    router.message.register(skills_written, CommunityForm.skills, F.text)
    router.message.register(expect_text, CommunityForm.skills)
    router.message.register(expect_button, StateFilter(CommunityForm.community, CommunityForm.kinds))
    return router
