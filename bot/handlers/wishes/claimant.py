"""The member who took on a wish (members only): the resident's contact, progress notes,
giving the wish up, marking it done."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from tortoise.transactions import in_transaction

from bot import notify, wish_keyboards
from bot.callbacks import ClaimedAction, ClaimedWishCallback, MenuAction, MenuCallback
from bot.handlers.common import (
    ask_below,
    expect_text,
    register_note_step,
    show,
    stale_button,
)
from bot.states import ClaimedWishInput
from bot.texts import excerpt, local_date
from bot.wish_texts import category_label, deadline_text, service_line
from models.audit import Actor
from models.members import Member
from models.wishes import (
    REASON_MAX,
    TEXT_MAX,
    WISH_STATUS_LABELS,
    Wish,
    WishStatus,
    add_progress,
    get_claimed_wish,
    latest_progress,
    mark_done,
    release_wish,
    wishes_claimed_by,
)

PROGRESS_SHOWN = 5
# A busy member's whole list would pass Telegram's 4096 characters: the nearest deadlines first.
CLAIMED_SHOWN = 20


async def claimed_wish_text(wish: Wish) -> str:
    """The claimant's view of a wish they hold, with the resident's contact."""
    lines = [
        _("🤝 <b>A wish you have taken on</b>"),
        "",
        f"[{category_label(wish.category, _)}] {escape(wish.text)}",
        service_line(wish, _),
        _("Status: {status}").format(status=_(WISH_STATUS_LABELS[wish.status])),
        "",
        _("<b>The resident's contact</b> (only for you: please keep it private)"),
    ]
    if wish.resident_name:
        lines.append(_("Name: {name}").format(name=escape(wish.resident_name)))
    if wish.contact_phone:
        lines.append(_("Phone: {phone}").format(phone=escape(wish.contact_phone)))
    if not (wish.resident_name or wish.contact_phone):
        lines.append(_("The resident left no contact details. The community can put you in touch."))
    if wish.resident_id is not None:
        lines.append(_(
            "The resident uses this bot and is told when you post progress or mark the wish done."
        ))
    notes = await latest_progress(wish, PROGRESS_SHOWN)
    if notes:
        lines += ["", _("<b>Your progress notes</b>")]
        lines += [f"• {local_date(note.created_at)} {escape(note.text)}{' 📷' if note.photo_file_id else ''}"
                  for note in notes]
    return "\n".join(lines)


async def show_claimed_wish(query: CallbackQuery, wish: Wish) -> None:
    await show(query, await claimed_wish_text(wish), wish_keyboards.claimed_wish(wish))


async def claimed_list(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    await state.clear()
    wishes = await wishes_claimed_by(member)
    more = len(wishes) > CLAIMED_SHOWN
    wishes = wishes[:CLAIMED_SHOWN]
    lines = [_("🤝 <b>My claimed wishes</b>")]
    if not wishes:
        lines.append(_(
            "You are not working on any wish right now. The wish wall has wishes to take on."
        ))
    for number, wish in enumerate(wishes, start=1):
        status = _("Deadline: {deadline} · {status}").format(
            deadline=deadline_text(wish), status=_(WISH_STATUS_LABELS[wish.status]))
        lines += ["", f"{number}. {excerpt(wish.text)}", f"    {status}"]
    if more:
        lines += ["", _("(The {count} with the nearest deadlines.)").format(count=CLAIMED_SHOWN)]
    await show(query, "\n".join(lines), wish_keyboards.claimed_list(wishes))
    await query.answer()


async def held_wish(
    query: CallbackQuery, callback_data: ClaimedWishCallback, member: Member,
) -> Wish | None:
    """The wish of the button if this member holds it; otherwise the button is stale (or forged)."""
    wish = await get_claimed_wish(callback_data.wish_id, member)
    if wish is None:
        await stale_button(query)
    return wish


async def view(query: CallbackQuery, callback_data: ClaimedWishCallback, member: Member) -> None:
    if wish := await held_wish(query, callback_data, member):
        await show_claimed_wish(query, wish)
        await query.answer()


async def ask_progress(
    query: CallbackQuery, callback_data: ClaimedWishCallback, member: Member, state: FSMContext,
) -> None:
    if wish := await held_wish(query, callback_data, member):
        if wish.resident_id is not None:
            prompt = _("📝 Write a short progress note about this wish (at most {count} characters), or "
                       "send a photo with the note as its caption. The resident will see it.")
        else:  # entered in the panel: the resident is not in the bot
            prompt = _("📝 Write a short progress note about this wish (at most {count} characters), or "
                       "send a photo with the note as its caption. The community will see it.")
        await ask_for_text(query, state, wish, ClaimedWishInput.progress, prompt.format(count=TEXT_MAX))


async def ask_release_reason(
    query: CallbackQuery, callback_data: ClaimedWishCallback, member: Member, state: FSMContext,
) -> None:
    if wish := await held_wish(query, callback_data, member):
        await ask_for_text(query, state, wish, ClaimedWishInput.release_reason, _(
            "↩️ Why are you giving up this wish (at most {count} characters)? "
            "It goes back on the wish wall for another member."
        ).format(count=REASON_MAX))


async def ask_for_text(
    query: CallbackQuery, state: FSMContext, wish: Wish, step: State, prompt: str,
) -> None:
    if wish.status != WishStatus.CLAIMED:
        await stale_button(query)
        return
    await state.set_state(step)
    await state.set_data({"wish_id": wish.id})
    await ask_below(query, state, f"{excerpt(wish.text)}\n\n{prompt}", wish_keyboards.cancel_only())
    await query.answer()


async def wish_of_conversation(message: Message, state: FSMContext, member: Member) -> Wish | None:
    """The wish the member is writing about, if they are still working on it."""
    wish = await get_claimed_wish((await state.get_data())["wish_id"], member)
    if wish is None or wish.status != WishStatus.CLAIMED:
        await state.clear()
        await message.answer(_("You are no longer working on this wish."),
                             reply_markup=wish_keyboards.wall_or_menu())
        return None
    return wish


async def save_progress(
    message: Message, state: FSMContext, member: Member, text: str, photo_file_id: str | None,
) -> None:
    if wish := await wish_of_conversation(message, state, member):
        async with in_transaction():
            progress = await add_progress(wish, member, text, photo_file_id=photo_file_id)
            await notify.wish_progress(wish, progress)
        await state.clear()
        saved = _("Progress saved.")
        await message.answer(f"{saved}\n\n{await claimed_wish_text(wish)}",
                             reply_markup=wish_keyboards.claimed_wish(wish))


async def release_reason_written(message: Message, state: FSMContext, member: Member) -> None:
    if wish := await wish_of_conversation(message, state, member):
        async with in_transaction():
            await release_wish(wish, Actor(member=member), message.text)
            await notify.wish_released(wish)
        await state.clear()
        await message.answer(_("The wish is back on the wish wall. Thank you for letting us know."),
                             reply_markup=wish_keyboards.wall_or_menu())


async def done(query: CallbackQuery, callback_data: ClaimedWishCallback, member: Member) -> None:
    if wish := await held_wish(query, callback_data, member):
        async with in_transaction():
            await mark_done(wish, member)
            await notify.wish_done(wish)
        await show_claimed_wish(query, wish)
        if wish.resident_id is not None:
            await query.answer(_("Marked as done. The resident will be asked to confirm."))
        else:
            await query.answer(_("Marked as done. The community will confirm it."))


def create_router() -> Router:
    """Members only: the parent router filters."""
    router = Router(name=__name__)
    action = ClaimedWishCallback.filter
    router.callback_query.register(
        claimed_list, MenuCallback.filter(F.action == MenuAction.CLAIMED_WISHES)
    )
    router.callback_query.register(view, action(F.action == ClaimedAction.VIEW))
    router.callback_query.register(ask_progress, action(F.action == ClaimedAction.PROGRESS))
    router.callback_query.register(ask_release_reason, action(F.action == ClaimedAction.RELEASE))
    router.callback_query.register(done, action(F.action == ClaimedAction.DONE))
    register_note_step(router, ClaimedWishInput.progress, save_progress)
    router.message.register(release_reason_written, ClaimedWishInput.release_reason, F.text)
    router.message.register(expect_text, ClaimedWishInput.release_reason)
    return router
