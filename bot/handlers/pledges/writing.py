"""Writing the pledge (members only): a template, items added step by step, changing and
deleting items, submitting. Every change goes straight to the draft in the database."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from tortoise.transactions import in_transaction

from bot import pledge_keyboards
from bot.callbacks import (
    PledgeAction,
    PledgeCallback,
    PledgeDateChoice,
    PledgeItemAction,
    PledgeItemCallback,
    PledgeKindChoice,
    PledgeTemplateChoice,
    TargetDateChoice,
)
from bot.handlers.common import ask, expect_button, expect_text, show, stale_button
from bot.handlers.pledges.screen import (
    actor,
    finish_step,
    item_number,
    item_of_step,
    own_item,
    pledge_to_write,
    refuse,
    send_pledge,
    show_pledge,
    still_open,
)
from bot.pledge_texts import kind_label
from bot.states import PledgeForm
from bot.texts import excerpt
from models.errors import DomainError
from models.members import Member
from models.pledge_templates import TEMPLATES, apply_template, templates_for
from models.pledges import (
    ITEM_TEXT_MAX,
    ItemKind,
    PledgeStatus,
    add_item,
    clean_item_text,
    delete_item,
    earliest_target_date,
    example_target_date,
    member_pledge,
    parse_target_date,
    submit,
    update_item,
)


async def take_form(state: FSMContext, step: State) -> dict[str, Any] | None:
    """The form's data if the conversation is at ``step``, clearing it: of two quick taps on one
    button, the first takes the form and the other finds it gone. (In memory nothing yields
    between the read and the clear; with Redis the window is a round trip.)"""
    form = await state.get_data() if await state.get_state() == step.state else None
    await state.clear()
    return form


# --------------------------------------------------------------------------- a template


async def templates_asked(
    query: CallbackQuery, callback_data: PledgeCallback, state: FSMContext, member: Member,
) -> None:
    if (pledge := await pledge_to_write(member, callback_data.year)) is None:
        await stale_button(query)
        return
    if not await still_open(query, member, pledge, new_item=True):
        return
    keys = templates_for(member.member_type)
    lines = [_("📄 <b>Choose a template</b>\n\nIts items are added to your draft, and then you can change "
               "or delete each of them. The first one is meant for members like you.")]
    for key in keys:
        name, items = TEMPLATES[key]
        lines += ["", f"<b>{_(name)}</b>", *(f"• {_(text)}" for _kind, text in items)]
    await state.set_state(PledgeForm.template)
    await state.set_data({"year": pledge.year})
    await ask(query, state, "\n".join(lines), pledge_keyboards.template_choice(keys, pledge.year))
    await query.answer()


async def template_chosen(
    query: CallbackQuery, callback_data: PledgeTemplateChoice, state: FSMContext, member: Member,
    i18n: I18n,
) -> None:
    form = await take_form(state, PledgeForm.template)
    if form is None:
        await query.answer(_("The template has already been added."))
        return
    pledge = await member_pledge(member, form["year"])
    if pledge is None or callback_data.key not in TEMPLATES:
        await stale_button(query)
        return
    try:
        async with in_transaction():  # all of the template's items or none
            await apply_template(pledge, callback_data.key, i18n.current_locale, actor(member))
    except DomainError as refusal:
        await refuse(query, member, pledge.year, refusal)
        return
    await show_pledge(query, member, pledge.year, _("✅ The template's items are in your draft."))
    await query.answer()


# --------------------------------------------------------------------------- adding an item


async def add_asked(
    query: CallbackQuery, callback_data: PledgeCallback, state: FSMContext, member: Member,
) -> None:
    if (pledge := await pledge_to_write(member, callback_data.year)) is None:
        await stale_button(query)
        return
    if not await still_open(query, member, pledge, new_item=True):
        return
    await state.set_state(PledgeForm.kind)
    await state.set_data({"year": pledge.year})
    await ask(query, state, _(
        "➕ <b>A new item</b>\n\nWhich kind of pledge is it?\n"
        "• Political: study, discipline, taking part in Party life\n"
        "• Duty: your post and your duties as a member\n"
        "• Practical matter: something concrete you will do for the residents"
    ), pledge_keyboards.kind_choice(pledge.year))
    await query.answer()


async def kind_chosen(query: CallbackQuery, callback_data: PledgeKindChoice, state: FSMContext) -> None:
    await state.update_data(kind=callback_data.kind)
    await state.set_state(PledgeForm.text)
    year = (await state.get_data())["year"]
    prompt = _("<b>{kind}</b>\n\nWrite the item in a sentence or two (at most {count} characters).")
    await ask(query, state, prompt.format(kind=kind_label(callback_data.kind, _), count=ITEM_TEXT_MAX),
              pledge_keyboards.cancel_only(year))
    await query.answer()


async def text_written(message: Message, state: FSMContext) -> None:
    await state.update_data(text=clean_item_text(message.text))
    await state.set_state(PledgeForm.target_date)
    year = (await state.get_data())["year"]
    prompt = _("By when will you have done it? Choose below, or type a date as YYYY-MM-DD "
               "(for example {example}).")
    await ask(message, state, prompt.format(example=example_target_date(year).isoformat()),
              pledge_keyboards.date_choice(year))


async def date_typed(message: Message, state: FSMContext, member: Member) -> None:
    form = await state.get_data()
    # A wrong or past date: said why, the step waits.
    target = parse_target_date(message.text, form["year"], not_before=earliest_target_date(form["year"]))
    await state.clear()
    await send_pledge(message, member, form["year"], await add_from_form(member, form, target))


async def date_chosen(
    query: CallbackQuery, callback_data: PledgeDateChoice, state: FSMContext, member: Member,
) -> None:
    form = await take_form(state, PledgeForm.target_date)
    if form is None:
        await query.answer(_("This item has already been added."))
        return
    year = form["year"]
    target = {
        TargetDateChoice.NONE: None,
        TargetDateChoice.END_OF_JUNE: date(year, 6, 30),
        TargetDateChoice.END_OF_YEAR: date(year, 12, 31),
    }[callback_data.choice]
    await show_pledge(query, member, year, await add_from_form(member, form, target))
    await query.answer()


async def add_from_form(member: Member, form: dict[str, Any], target_date: date | None) -> str:
    """Add the item the member has written; returns the notice to show above the pledge."""
    pledge = await member_pledge(member, form["year"])
    try:
        await add_item(pledge, ItemKind(form["kind"]), form["text"], actor(member),
                       target_date=target_date)
    except DomainError as refusal:  # the pledge moved on (submitted, full) while the member wrote
        return refusal.render(_)
    return _("✅ Item added.")


# --------------------------------------------------------------------------- one item


async def edit_asked(
    query: CallbackQuery, callback_data: PledgeItemCallback, state: FSMContext, member: Member,
) -> None:
    if not (item := await own_item(query, callback_data, member)):
        return
    if not await still_open(query, member, item.pledge):
        return
    await state.set_state(PledgeForm.new_text)
    await state.set_data({"year": item.pledge.year, "item_id": item.id})
    prompt = _("✏️ Send the new text of item {number} (at most {count} characters). "
               "Now it reads:\n\n{text}")
    number = await item_number(item)
    await ask(query, state, prompt.format(number=number, count=ITEM_TEXT_MAX, text=escape(item.text)),
              pledge_keyboards.cancel_only(item.pledge.year))
    await query.answer()


async def new_text_written(message: Message, state: FSMContext, member: Member) -> None:
    if not (item := await item_of_step(message, state, member)):
        return
    if await finish_step(message, state, member, update_item(item, message.text, actor(member))):
        await send_pledge(message, member, item.pledge.year,
                          _("✏️ Item {number} changed.").format(number=await item_number(item)))


async def delete_asked(
    query: CallbackQuery, callback_data: PledgeItemCallback, state: FSMContext, member: Member,
) -> None:
    if not (item := await own_item(query, callback_data, member)):
        return
    if not await still_open(query, member, item.pledge):
        return
    await state.clear()
    question = _("🗑 Delete item {number}?\n\n{text}")
    await show(query, question.format(number=await item_number(item), text=excerpt(item.text)),
               pledge_keyboards.delete_confirmation(item))
    await query.answer()


async def delete_confirmed(query: CallbackQuery, callback_data: PledgeItemCallback, member: Member) -> None:
    if not (item := await own_item(query, callback_data, member)):
        return
    try:
        await delete_item(item, actor(member))
    except DomainError as refusal:
        await refuse(query, member, item.pledge.year, refusal)
        return
    await show_pledge(query, member, item.pledge.year, _("🗑 Item deleted."))
    await query.answer()


# --------------------------------------------------------------------------- submitting


async def submit_asked(
    query: CallbackQuery, callback_data: PledgeCallback, state: FSMContext, member: Member,
) -> None:
    pledge = await member_pledge(member, callback_data.year)
    if pledge is None:
        await stale_button(query)
        return
    if not await still_open(query, member, pledge):
        return
    await state.clear()
    question = _("📤 Submit your pledge for {year} ({count} items) to your branch secretary for review?\n\n"
                 "While it is being reviewed it cannot be changed.")
    await show(query, question.format(year=pledge.year, count=await pledge.items.all().count()),
               pledge_keyboards.submit_confirmation(pledge.year))
    await query.answer()


async def submit_confirmed(query: CallbackQuery, callback_data: PledgeCallback, member: Member) -> None:
    pledge = await member_pledge(member, callback_data.year)
    if pledge is None:
        await stale_button(query)
        return
    try:
        await submit(pledge, actor(member))
    except DomainError as refusal:
        if pledge.status == PledgeStatus.SUBMITTED:  # refreshed by the refused transition
            await query.answer(_("Your pledge has already been submitted."), show_alert=True)
        else:
            await refuse(query, member, pledge.year, refusal)
        return
    await show_pledge(query, member, pledge.year, _(
        "📤 Submitted. Your branch secretary will review your pledge; you will be told the result here."))
    await query.answer()


def create_router() -> Router:
    """Members only: the parent router filters."""
    router = Router(name=__name__)
    action, item = PledgeCallback.filter, PledgeItemCallback.filter
    router.callback_query.register(templates_asked, action(F.action == PledgeAction.TEMPLATES))
    router.callback_query.register(template_chosen, PledgeForm.template, PledgeTemplateChoice.filter())
    router.callback_query.register(add_asked, action(F.action == PledgeAction.ADD))
    router.callback_query.register(kind_chosen, PledgeForm.kind, PledgeKindChoice.filter())
    router.message.register(text_written, PledgeForm.text, F.text)
    router.message.register(date_typed, PledgeForm.target_date, F.text)
    router.callback_query.register(date_chosen, PledgeForm.target_date, PledgeDateChoice.filter())
    router.message.register(new_text_written, PledgeForm.new_text, F.text)
    router.message.register(
        expect_text, StateFilter(PledgeForm.text, PledgeForm.target_date, PledgeForm.new_text)
    )
    router.message.register(expect_button, StateFilter(PledgeForm.template, PledgeForm.kind))

    router.callback_query.register(edit_asked, item(F.action == PledgeItemAction.EDIT))
    router.callback_query.register(delete_asked, item(F.action == PledgeItemAction.DELETE))
    router.callback_query.register(
        delete_confirmed, item(F.action == PledgeItemAction.DELETE_CONFIRMED)
    )
    router.callback_query.register(submit_asked, action(F.action == PledgeAction.SUBMIT))
    router.callback_query.register(
        submit_confirmed, action(F.action == PledgeAction.SUBMIT_CONFIRMED)
    )
    return router
