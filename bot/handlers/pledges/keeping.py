"""Keeping the pledge (members only), from approval on: progress entries (践诺记录) with an
optional photo, the history, the half-year summary."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import pledge_keyboards
from bot.callbacks import (
    PledgeAction,
    PledgeCallback,
    PledgeItemAction,
    PledgeItemCallback,
    PledgePhotoCallback,
)
from bot.handlers.common import (
    ask,
    expect_text,
    register_note_step,
    show,
    stale_button,
)
from bot.handlers.pledges.screen import (
    actor,
    finish_step,
    item_number,
    item_of_step,
    item_screen,
    own_item,
    send_pledge,
    show_pledge,
)
from bot.pledge_texts import history_text, shows_progress
from bot.states import PledgeInput
from bot.texts import excerpt
from models.members import Member
from models.pledges import (
    COMMENT_MAX,
    ITEM_TEXT_MAX,
    KEEPING,
    PledgeStatus,
    log_progress,
    member_pledge,
    member_progress,
    progress_by_item,
    write_half_year_summary,
)

# --------------------------------------------------------------------------- progress


async def progress_asked(
    query: CallbackQuery, callback_data: PledgeItemCallback, state: FSMContext, member: Member,
) -> None:
    if not (item := await own_item(query, callback_data, member)):
        return
    if item.pledge.status not in KEEPING:
        await stale_button(query)
        return
    await state.set_state(PledgeInput.progress)
    await state.set_data({"year": item.pledge.year, "item_id": item.id})
    prompt = _("📌 <b>Log progress on item {number}</b>\n\n{text}\n\n"
               "What have you done? Write a few words (at most {count} characters), or send a photo "
               "with the words as its caption.")
    number = await item_number(item)
    await ask(query, state, prompt.format(number=number, text=excerpt(item.text), count=ITEM_TEXT_MAX),
              pledge_keyboards.cancel_only(item.pledge.year))
    await query.answer()


async def save_progress(
    message: Message, state: FSMContext, member: Member, text: str, photo_file_id: str | None,
) -> None:
    if not (item := await item_of_step(message, state, member)):
        return
    entry = log_progress(item, actor(member), text, photo_file_id=photo_file_id)
    if await finish_step(message, state, member, entry):
        text, markup = await item_screen(item, _("📌 Progress saved."))
        await message.answer(text, reply_markup=markup)


async def photo_asked(query: CallbackQuery, callback_data: PledgePhotoCallback, member: Member) -> None:
    entry = await member_progress(member, callback_data.progress_id)
    if entry is None or not entry.photo_file_id:
        await stale_button(query)
        return
    await query.message.answer_photo(entry.photo_file_id, caption=excerpt(entry.text))
    await query.answer()


async def history_asked(
    query: CallbackQuery, callback_data: PledgeCallback, state: FSMContext, member: Member,
) -> None:
    pledge = await member_pledge(member, callback_data.year)
    if pledge is None or not shows_progress(pledge):
        await stale_button(query)
        return
    await state.clear()
    await show(query, history_text(pledge, await progress_by_item(pledge), _),
               pledge_keyboards.history(pledge.year))
    await query.answer()


# --------------------------------------------------------------------------- the half-year summary


async def summary_asked(
    query: CallbackQuery, callback_data: PledgeCallback, state: FSMContext, member: Member,
) -> None:
    pledge = await member_pledge(member, callback_data.year)
    if pledge is None:
        await stale_button(query)
        return
    if pledge.status != PledgeStatus.PUBLISHED:
        await show_pledge(query, member, pledge.year)
        await query.answer(_("The half-year summary is written while the pledge is published."),
                           show_alert=True)
        return
    await state.set_state(PledgeInput.summary)
    await state.set_data({"year": pledge.year})
    prompt = _("📝 <b>Half-year summary</b>\n\nHow have you kept your pledge so far? "
               "Write a short summary (at most {count} characters).").format(count=COMMENT_MAX)
    if pledge.half_year_summary:
        prompt += "\n\n" + _("It replaces the summary you wrote before.")
    await ask(query, state, prompt, pledge_keyboards.cancel_only(pledge.year))
    await query.answer()


async def summary_written(message: Message, state: FSMContext, member: Member) -> None:
    year = (await state.get_data())["year"]
    pledge = await member_pledge(member, year)
    if await finish_step(message, state, member,
                         write_half_year_summary(pledge, actor(member), message.text)):
        await send_pledge(message, member, year, _("📝 Your half-year summary is saved. Thank you!"))


def create_router() -> Router:
    """Members only: the parent router filters."""
    router = Router(name=__name__)
    action = PledgeCallback.filter
    router.callback_query.register(
        progress_asked, PledgeItemCallback.filter(F.action == PledgeItemAction.PROGRESS)
    )
    register_note_step(router, PledgeInput.progress, save_progress)
    router.callback_query.register(photo_asked, PledgePhotoCallback.filter())
    router.callback_query.register(history_asked, action(F.action == PledgeAction.HISTORY))
    router.callback_query.register(summary_asked, action(F.action == PledgeAction.SUMMARY))
    router.message.register(summary_written, PledgeInput.summary, F.text)
    router.message.register(expect_text, PledgeInput.summary)
    return router
