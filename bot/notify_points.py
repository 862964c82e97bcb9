"""Telling members about their contribution cards: a card someone else recorded for them
(attendance marked by an organiser, a card issued by a secretary) or revoked, with where
they now stand for the award. A card for a fulfilled wish is told in the wish's own
notification; a member who checks in is told in the answer.

Each function queues one message in the outbox (nothing for a member without Telegram), with
a dedup key naming the card; callers queue it in the transaction that recorded the card.
"""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import MenuAction, MenuCallback
from bot.notify import Recipient
from bot.points_texts import card_sources, standing_after
from bot.texts import Gettext
from models.activities import SignUp, SignUpStatus
from models.members import TelegramUser
from models.outbox import OutboxMessage
from models.points import CARD_SOURCE_LABELS, CardSource, PointCard, awarded_card


async def card_recorded(card: PointCard) -> OutboxMessage | None:
    if (to := await _member(card)) is None:
        return None
    _ = to.gettext
    lines = [_("⭐ A contribution card has been recorded for you."), await _what_for(card, _),
             await standing_after(card, _)]
    return await to.send("\n\n".join(lines), kind="card.recorded", dedup_key=f"card:{card.id}:recorded",
                         keyboard=_my_points(_))


async def attendance_card(signup: SignUp) -> OutboxMessage | None:
    """After an organiser marked attendance: the card that being there gave the member, if any
    (nothing for a signup marked excused or absent)."""
    if signup.status != SignUpStatus.ATTENDED:
        return None
    card = await awarded_card(CardSource.ACTIVITY, signup.activity_id, signup.member_id)
    return await card_recorded(card) if card is not None else None


async def card_revoked(revocation: PointCard) -> OutboxMessage | None:
    if (to := await _member(revocation)) is None:
        return None
    _ = to.gettext
    card = await PointCard.get(id=revocation.revokes_id)
    lines = [_("A contribution card of yours has been revoked."), await _what_for(card, _),
             _("Reason: {reason}").format(reason=escape(revocation.reason)), await standing_after(card, _)]
    return await to.send("\n\n".join(lines), kind="card.revoked",
                         dedup_key=f"card:{revocation.id}:revoked", keyboard=_my_points(_))


async def _member(card: PointCard) -> Recipient | None:
    return Recipient.of(await TelegramUser.get_or_none(member_id=card.member_id))


async def _what_for(card: PointCard, _: Gettext) -> str:
    detail = (await card_sources([card]))[card.id]
    source = _(CARD_SOURCE_LABELS[card.source])
    return _("{source}: {detail}").format(source=source, detail=escape(detail)) if detail else source


def _my_points(_: Gettext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=_("⭐ My points"), callback_data=MenuCallback(action=MenuAction.POINTS).pack())]])
