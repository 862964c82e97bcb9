"""The member's pledge screen, and what every pledge step shares: lookups, refusals, leaving a
step."""

from __future__ import annotations

from collections.abc import Awaitable

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards, pledge_keyboards
from bot.callbacks import (
    MenuAction,
    MenuCallback,
    PledgeAction,
    PledgeCallback,
    PledgeItemAction,
    PledgeItemCallback,
)
from bot.handlers.common import show, stale_button
from bot.handlers.menu import menu_text
from bot.paging import nearest_years
from bot.pledge_texts import (
    ENTRIES_ON_ITEM,
    current_year,
    intro_text,
    item_text,
    pledge_text,
    shows_progress,
)
from bot.states import PledgeForm, PledgeInput
from models.audit import Actor
from models.errors import DomainError, ValidationError
from models.members import Member
from models.pledges import (
    Pledge,
    PledgeItem,
    check_editable,
    member_item,
    member_pledge,
    pledge_for,
    pledge_years_open_to,
    years_a_member_may_start,
)

PLEDGE_STEPS = StateFilter(PledgeForm, PledgeInput)


def actor(member: Member) -> Actor:
    return Actor(member=member)


async def render(member: Member, year: int, notice: str = "") -> tuple[str, InlineKeyboardMarkup]:
    pledge = await member_pledge(member, year)
    years = nearest_years(await pledge_years_open_to(member), year)
    if pledge is None:
        text, markup = intro_text(year, _), pledge_keyboards.intro(year, years)
    else:
        items = await pledge.items.all()
        text, markup = pledge_text(pledge, items, _), pledge_keyboards.pledge_screen(pledge, items, years)
    return (f"{notice}\n\n{text}" if notice else text), markup


async def show_pledge(query: CallbackQuery, member: Member, year: int, notice: str = "") -> None:
    text, markup = await render(member, year, notice)
    await show(query, text, markup)


async def send_pledge(message: Message, member: Member, year: int, notice: str = "") -> None:
    text, markup = await render(member, year, notice)
    await message.answer(text, reply_markup=markup)


async def refuse(query: CallbackQuery, member: Member, year: int, refusal: DomainError) -> None:
    """A button the pledge has moved past: show the pledge as it is now, and say why."""
    await show_pledge(query, member, year)
    await query.answer(refusal.render(_), show_alert=True)


async def still_open(
    query: CallbackQuery, member: Member, pledge: Pledge, *, new_item: bool = False,
) -> bool:
    """Whether the pledge still takes changes (and, with ``new_item``, one more item) before
    the member types anything; if not, the pledge shows as it is now and the member is told why."""
    try:
        await check_editable(pledge, new_item=new_item)
    except DomainError as refusal:
        await refuse(query, member, pledge.year, refusal)
        return False
    return True


async def finish_step(
    message: Message, state: FSMContext, member: Member, change: Awaitable[object],
) -> bool:
    """Apply what the member typed at a step, and end the step unless the text was refused.

    A refused text (ValidationError) propagates: the errors router says why and the step waits
    for another. Any other refusal means the pledge has moved on: the step ends, the pledge shows.
    """
    year = (await state.get_data())["year"]
    try:
        await change
    except ValidationError:
        raise
    except DomainError as refusal:
        await state.clear()
        await send_pledge(message, member, year, refusal.render(_))
        return False
    await state.clear()
    return True


async def item_of_step(message: Message, state: FSMContext, member: Member) -> PledgeItem | None:
    """The item a step is about (``item_id`` in the FSM data), if it is still in the pledge."""
    form = await state.get_data()
    item = await member_item(member, form["item_id"])
    if item is None:
        await state.clear()
        await send_pledge(message, member, form["year"], _("This item is no longer in your pledge."))
    return item


async def pledge_to_write(member: Member, year: int) -> Pledge | None:
    """This year's pledge (and in December next year's) is created on first use; another
    year's only if it exists."""
    if year in years_a_member_may_start():
        return await pledge_for(member, year, actor(member))
    return await member_pledge(member, year)


async def own_item(
    query: CallbackQuery, callback_data: PledgeItemCallback, member: Member,
) -> PledgeItem | None:
    """The item of the button if it is in the member's own pledge; otherwise the button is stale
    (or forged)."""
    item = await member_item(member, callback_data.item_id)
    if item is None:
        await stale_button(query)
    return item


async def item_number(item: PledgeItem) -> int:
    ids = await PledgeItem.filter(pledge_id=item.pledge_id).values_list("id", flat=True)
    return ids.index(item.id) + 1


async def item_screen(item: PledgeItem, notice: str = "") -> tuple[str, InlineKeyboardMarkup]:
    """One item in full; from approval on, with its latest progress (``item.pledge`` loaded)."""
    pledge = item.pledge
    entries = (await item.progress.all())[-ENTRIES_ON_ITEM:] if shows_progress(pledge) else []
    text = item_text(await item_number(item), item, pledge, entries, _)
    markup = pledge_keyboards.item_screen(pledge, item, entries)
    return (f"{notice}\n\n{text}" if notice else text), markup


# --------------------------------------------------------------------------- handlers


async def my_pledge(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    await state.clear()
    await show_pledge(query, member, current_year())
    await query.answer()


async def open_pledge(
    query: CallbackQuery, callback_data: PledgeCallback, state: FSMContext, member: Member,
) -> None:
    year = callback_data.year
    if year not in await pledge_years_open_to(member):
        await stale_button(query)
        return
    await state.clear()
    await show_pledge(query, member, year)
    await query.answer()


async def item_opened(
    query: CallbackQuery, callback_data: PledgeItemCallback, state: FSMContext, member: Member,
) -> None:
    if item := await own_item(query, callback_data, member):
        await state.clear()
        await show(query, *await item_screen(item))
        await query.answer()


async def save_draft(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    await state.clear()
    notice = _("💾 Your draft is saved. Come back to it any time with “📝 My pledge” in the main "
               "menu.")
    await show(query, f"{notice}\n\n{menu_text(member)}", keyboards.main_menu(member))
    await query.answer()


async def cancel_button(
    query: CallbackQuery, callback_data: PledgeCallback, state: FSMContext, member: Member,
) -> None:
    await state.clear()
    await show_pledge(query, member, callback_data.year, _("Cancelled. Your pledge is kept as it was."))
    await query.answer()


async def cancel_command(message: Message, state: FSMContext, member: Member) -> None:
    year = (await state.get_data()).get("year", current_year())
    await state.clear()
    await send_pledge(message, member, year, _("Cancelled. Your pledge is kept as it was."))


def create_router() -> Router:
    """Members only: the parent router filters."""
    router = Router(name=__name__)
    action = PledgeCallback.filter
    # A step's /cancel comes before the step could take it as input.
    router.message.register(cancel_command, PLEDGE_STEPS, Command("cancel"))
    router.callback_query.register(my_pledge, MenuCallback.filter(F.action == MenuAction.MY_PLEDGE))
    router.callback_query.register(open_pledge, action(F.action == PledgeAction.OPEN))
    router.callback_query.register(save_draft, action(F.action == PledgeAction.SAVE))
    router.callback_query.register(
        item_opened, PledgeItemCallback.filter(F.action == PledgeItemAction.OPEN)
    )
    router.callback_query.register(cancel_button, action(F.action == PledgeAction.CANCEL))
    return router
