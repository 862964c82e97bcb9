"""Making a wish (anyone, member or not): text, kind of help, community, optional phone
and name, then a summary to submit."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from bot import wish_keyboards
from bot.callbacks import (
    MenuAction,
    MenuCallback,
    WishCategoryChoice,
    WishCommunityChoice,
    WishCommunityPage,
    WishFormAction,
    WishFormCallback,
)
from bot.handlers.common import ask, expect_button, expect_text, show, stale_button
from bot.states import WishForm
from bot.wish_texts import category_label
from models.members import Member, TelegramUser
from models.org import OrgKind, OrgUnit
from models.wishes import (
    TEXT_MAX,
    WISH_STATUS_LABELS,
    WishCategory,
    WishStatus,
    clean_contact_phone,
    clean_resident_name,
    clean_wish_text,
    home_community,
    resident_actor,
    submit_wish,
    wish_communities,
)


async def start(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(WishForm.text)
    await ask(query, state, _(
        "🙏 <b>Make a wish</b>\n\n"
        "What would you like help with? "
        "Please describe it in a few sentences (at most {count} characters).\n\n"
        "Your name and phone number are never shown on the wish wall."
    ).format(count=TEXT_MAX), wish_keyboards.cancel_only())
    await query.answer()


async def text_written(message: Message, state: FSMContext) -> None:
    await state.update_data(text=clean_wish_text(message.text))
    await state.set_state(WishForm.category)
    await ask(message, state, _("What kind of help is it? The community will check your choice."),
              wish_keyboards.category_choice())


async def category_chosen(
    query: CallbackQuery, callback_data: WishCategoryChoice, state: FSMContext, member: Member | None,
) -> None:
    await state.update_data(category=callback_data.category)
    await state.set_state(WishForm.community)
    await show_communities(query, member, page=0)
    await query.answer()


async def community_paged(
    query: CallbackQuery, callback_data: WishCommunityPage, member: Member | None,
) -> None:
    await show_communities(query, member, callback_data.page)
    await query.answer()


async def show_communities(query: CallbackQuery, member: Member | None, page: int) -> None:
    communities = await wish_communities(first=await home_community(member) if member else None)
    page = min(max(page, 0), wish_keyboards.community_pages(communities) - 1)
    await show(query, _("Which community do you live in?"),
               wish_keyboards.community_choice(communities, page))


async def community_chosen(
    query: CallbackQuery, callback_data: WishCommunityChoice, state: FSMContext,
) -> None:
    if not await OrgUnit.exists(id=callback_data.community_id, kind=OrgKind.COMMUNITY):
        await stale_button(query)
        return
    await state.update_data(community_id=callback_data.community_id)
    await state.set_state(WishForm.phone)
    await ask(query, state, phone_prompt(), wish_keyboards.skip_or_cancel(WishFormAction.SKIP_PHONE))
    await query.message.answer(_("Or tap “📱 Send my phone number” below."),
                               reply_markup=wish_keyboards.share_phone())
    await query.answer()


def phone_prompt() -> str:
    return _(
        "📞 Your phone number, so that the member who takes on your wish can reach you (optional).\n\n"
        "Only that member and the community will see it."
    )


async def phone_written(message: Message, state: FSMContext) -> None:
    await phone_given(message, state, clean_contact_phone(message.text))


async def phone_shared(message: Message, state: FSMContext) -> None:
    await phone_given(message, state, clean_contact_phone(message.contact.phone_number))


async def phone_skipped(query: CallbackQuery, state: FSMContext) -> None:
    await query.message.edit_reply_markup(reply_markup=None)
    await phone_given(query.message, state, None)
    await query.answer()


async def phone_given(message: Message, state: FSMContext, phone: str | None) -> None:
    """Say what was kept, which also takes the share button away (only a message can), then
    ask for the name."""
    await state.update_data(phone=phone)
    await state.set_state(WishForm.name)
    said = _("📞 Phone: {phone}").format(phone=escape(phone)) if phone else _("📞 No phone number.")
    await message.answer(said, reply_markup=ReplyKeyboardRemove())
    await ask(message, state, name_prompt(), wish_keyboards.skip_or_cancel(WishFormAction.SKIP_NAME))


def name_prompt() -> str:
    return _("🙂 Your name, or how the member should address you, e.g. “Aunt Wang” (optional).")


async def name_written(message: Message, state: FSMContext) -> None:
    await state.update_data(name=clean_resident_name(message.text))
    await state.set_state(WishForm.confirm)
    await ask(message, state, await summary(await state.get_data()), wish_keyboards.submit_or_cancel())


async def name_skipped(query: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(name="")
    await state.set_state(WishForm.confirm)
    await ask(query, state, await summary(await state.get_data()), wish_keyboards.submit_or_cancel())
    await query.answer()


async def summary(form: dict[str, Any]) -> str:
    community = await OrgUnit.get(id=form["community_id"])
    not_given = _("not given")
    return "\n".join([
        _("<b>Please check your wish:</b>"),
        "",
        escape(form["text"]),
        "",
        _("Kind of help: {category}").format(category=category_label(form["category"], _)),
        _("Community: {community}").format(community=escape(community.name)),
        _("Phone: {phone}").format(phone=escape(form["phone"] or not_given)),
        _("Name: {name}").format(name=escape(form["name"] or not_given)),
        "",
        _("Send it to the community for review?"),
    ])


async def submit(query: CallbackQuery, state: FSMContext, tg_user: TelegramUser) -> None:
    # Two quick taps both pass the state filter: the first to read-and-clear the form
    # submits, the other finds it gone. (In memory nothing yields between the reads and
    # the clear; with Redis the window is a round trip.)
    form = await state.get_data() if await state.get_state() == WishForm.confirm else None
    await state.clear()
    if form is None:
        await query.answer(_("Your wish has already been sent."))
        return
    community = await OrgUnit.get(id=form["community_id"])
    await submit_wish(
        community, form["text"], resident_actor(tg_user), resident=tg_user,
        resident_name=form["name"], contact_phone=form["phone"],
        suggested_category=WishCategory(form["category"]) if form["category"] else None,
    )
    await show(query, _(
        "✅ Thank you! Your wish has been sent to {community}.\n\n"
        "Status: {status}. We will tell you here when it is on the wish wall."
    ).format(community=escape(community.name), status=_(WISH_STATUS_LABELS[WishStatus.COLLECTED])),
        wish_keyboards.after_submit())
    await query.answer()


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(start, MenuCallback.filter(F.action == MenuAction.MAKE_WISH))
    router.message.register(text_written, WishForm.text, F.text)
    router.callback_query.register(category_chosen, WishForm.category, WishCategoryChoice.filter())
    router.callback_query.register(community_paged, WishForm.community, WishCommunityPage.filter())
    router.callback_query.register(community_chosen, WishForm.community, WishCommunityChoice.filter())
    router.message.register(phone_written, WishForm.phone, F.text)
    router.message.register(phone_shared, WishForm.phone, F.contact)
    router.callback_query.register(
        phone_skipped, WishForm.phone, WishFormCallback.filter(F.action == WishFormAction.SKIP_PHONE)
    )
    router.message.register(name_written, WishForm.name, F.text)
    router.callback_query.register(
        name_skipped, WishForm.name, WishFormCallback.filter(F.action == WishFormAction.SKIP_NAME)
    )
    router.callback_query.register(
        submit, WishForm.confirm, WishFormCallback.filter(F.action == WishFormAction.SUBMIT)
    )
    # Anything else while the form waits: say what it waits for, and stay on the step.
    router.message.register(expect_text, StateFilter(WishForm.text, WishForm.phone, WishForm.name))
    router.message.register(
        expect_button, StateFilter(WishForm.category, WishForm.community, WishForm.confirm)
    )
    return router
