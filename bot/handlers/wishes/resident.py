"""A resident's wishes after submitting: the list with statuses, withdrawing one, the photo
of a progress note, confirming fulfilment and rating it (from the "done" notification)."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from tortoise.transactions import in_transaction

from bot import notify, wish_keyboards
from bot.callbacks import (
    MenuAction,
    MenuCallback,
    MyWishAction,
    MyWishCallback,
    WishConfirmCallback,
    WishNotDoneCallback,
    WishPhotoCallback,
    WishRateCallback,
)
from bot.handlers.common import show, stale_button
from bot.texts import excerpt
from models.errors import DomainError
from models.members import TelegramUser
from models.wishes import (
    SATISFACTION_LABELS,
    WISH_STATUS_LABELS,
    WITHDRAWABLE,
    Satisfaction,
    WishStatus,
    confirm_fulfilled,
    get_resident_wish,
    note_photo_for_resident,
    rate_wish,
    reopen_wish,
    resident_actor,
    wishes_of_resident,
    withdraw_wish,
)

MY_WISHES_SHOWN = 10
# Ten reasons in full (up to 300 characters each) would pass Telegram's 4096; the rejection
# notification carried the whole reason.
REASON_SHOWN = 120


async def my_wishes(query: CallbackQuery, state: FSMContext, tg_user: TelegramUser) -> None:
    await state.clear()
    await show_my_wishes(query, tg_user)
    await query.answer()


async def show_my_wishes(query: CallbackQuery, tg_user: TelegramUser, notice: str = "") -> None:
    wishes = await wishes_of_resident(tg_user, limit=MY_WISHES_SHOWN)
    lines = [notice, ""] if notice else []
    lines.append(_("📋 <b>My wishes</b>"))
    if not wishes:
        lines.append(_("You have not made any wishes yet."))
    for number, wish in enumerate(wishes, start=1):
        status = _("{community} · {status}").format(
            community=escape(wish.community.name), status=_(WISH_STATUS_LABELS[wish.status]))
        lines += ["", f"{number}. {excerpt(wish.text)}", f"    {status}"]
        if wish.status == WishStatus.REJECTED and wish.reject_reason:
            lines.append("    " + _("Reason: {reason}").format(
                reason=excerpt(wish.reject_reason, REASON_SHOWN)))
    if len(wishes) == MY_WISHES_SHOWN:
        lines += ["", _("(Your {count} latest wishes.)").format(count=MY_WISHES_SHOWN)]
    await show(query, "\n".join(lines), wish_keyboards.my_wishes(wishes))


async def withdraw_asked(query: CallbackQuery, callback_data: MyWishCallback, tg_user: TelegramUser) -> None:
    wish = await get_resident_wish(callback_data.wish_id, tg_user)
    if wish is None:
        await stale_button(query)
        return
    if wish.status not in WITHDRAWABLE:
        await show_my_wishes(query, tg_user)
        await query.answer(_("This wish can no longer be withdrawn."), show_alert=True)
        return
    await show(query, _("Withdraw this wish?\n\n{wish}").format(wish=excerpt(wish.text)),
               wish_keyboards.withdraw_confirmation(wish))
    await query.answer()


async def withdraw_confirmed(
    query: CallbackQuery, callback_data: MyWishCallback, tg_user: TelegramUser,
) -> None:
    wish = await get_resident_wish(callback_data.wish_id, tg_user)
    if wish is None:
        await stale_button(query)
        return
    try:
        await withdraw_wish(wish, tg_user)
    except DomainError as refusal:
        await show_my_wishes(query, tg_user)
        if wish.status == WishStatus.WITHDRAWN:  # refreshed by the refused transition: a second tap
            await query.answer(_("This wish can no longer be withdrawn."), show_alert=True)
        else:
            await query.answer(refusal.render(_), show_alert=True)
        return
    await show_my_wishes(query, tg_user, notice=_("Your wish has been withdrawn."))
    await query.answer()


async def fulfilment_confirmed(
    query: CallbackQuery, callback_data: WishConfirmCallback, tg_user: TelegramUser,
) -> None:
    wish = await get_resident_wish(callback_data.wish_id, tg_user)
    if wish is None:
        await stale_button(query)
        return
    try:
        async with in_transaction():  # the confirmation and the claimant's notification, or neither
            await confirm_fulfilled(
                wish, resident_actor(tg_user), by_resident=tg_user, satisfaction=callback_data.satisfaction
            )
            await notify.wish_fulfilled(wish)
    except DomainError:
        if wish.status != WishStatus.FULFILLED:  # refreshed by the refused transition
            raise
        await query.answer(_("You have already confirmed this wish. Thank you!"), show_alert=True)
        return
    thanks = _("🎉 Thank you for confirming that your wish is fulfilled:\n\n{wish}").format(
        wish=excerpt(wish.text))
    if callback_data.satisfaction is None:
        question = _("How satisfied are you with the help?")
        await show(query, f"{thanks}\n\n{question}", wish_keyboards.rating(wish))
    else:
        await show(query, f"{thanks}\n\n{rating_text(callback_data.satisfaction)}")
    await query.answer()


async def not_done(query: CallbackQuery, callback_data: WishNotDoneCallback, tg_user: TelegramUser) -> None:
    wish = await get_resident_wish(callback_data.wish_id, tg_user)
    if wish is None:
        await stale_button(query)
        return
    async with in_transaction():  # back to the claimant, and the claimant told, or neither
        await reopen_wish(wish, resident_actor(tg_user), by_resident=tg_user)
        await notify.wish_not_done(wish)
    await show(query, _("↩️ Thank you for telling us. The member who took on your wish “{wish}” "
                        "has been told it is not done yet and will get in touch.").format(
        wish=excerpt(wish.text)))
    await query.answer()


async def rated(query: CallbackQuery, callback_data: WishRateCallback, tg_user: TelegramUser) -> None:
    wish = await get_resident_wish(callback_data.wish_id, tg_user)
    if wish is None:
        await stale_button(query)
        return
    await rate_wish(wish, tg_user, callback_data.satisfaction)
    fulfilled = _("🎉 Your wish is fulfilled:\n\n{wish}").format(wish=excerpt(wish.text))
    await show(query, f"{fulfilled}\n\n{rating_text(callback_data.satisfaction)}")
    await query.answer()


async def photo_asked(query: CallbackQuery, callback_data: WishPhotoCallback, tg_user: TelegramUser) -> None:
    note = await note_photo_for_resident(callback_data.note_id, tg_user)
    if note is None:
        await stale_button(query)
        return
    await query.message.answer_photo(note.photo_file_id, caption=excerpt(note.text))
    await query.answer()


def rating_text(satisfaction: Satisfaction) -> str:
    return _("Your rating: {rating}. Thank you!").format(rating=_(SATISFACTION_LABELS[satisfaction]))


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(my_wishes, MenuCallback.filter(F.action == MenuAction.MY_WISHES))
    router.callback_query.register(withdraw_asked, MyWishCallback.filter(F.action == MyWishAction.WITHDRAW))
    router.callback_query.register(
        withdraw_confirmed, MyWishCallback.filter(F.action == MyWishAction.WITHDRAW_CONFIRMED)
    )
    router.callback_query.register(fulfilment_confirmed, WishConfirmCallback.filter())
    router.callback_query.register(not_done, WishNotDoneCallback.filter())
    router.callback_query.register(rated, WishRateCallback.filter())
    router.callback_query.register(photo_asked, WishPhotoCallback.filter())
    return router
