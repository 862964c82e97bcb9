"""Wish notifications: messages to people other than the user in front of the bot.

Each function renders one notification in the recipient's language and queues it in
the outbox (``models.outbox``); the delivery worker sends it. Nothing is queued when
the recipient has no Telegram account (a wish entered in the panel, a member who has
not linked the bot). Each carries a dedup key naming its event, so calling a function
twice for one event queues one message.

The admin panel calls :func:`wish_published`, :func:`wish_rejected`,
:func:`wish_fulfilled` (after a secretary's confirmation) and :func:`wish_released`;
the scheduler calls :func:`send_wish_reminders`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from aiogram.types import InlineKeyboardMarkup
from tortoise.transactions import in_transaction

from bot import wish_keyboards
from bot.points_texts import standing_after
from bot.texts import Gettext, excerpt
from locales import default_locale, translations
from models.audit import AuditEntry
from models.members import Member, TelegramUser, preferred_locale
from models.outbox import OutboxMessage, enqueue
from models.points import CardSource, awarded_card
from models.wishes import (
    SATISFACTION_LABELS,
    Wish,
    WishProgress,
    WishStatus,
    mark_overdue_alerted,
    mark_reminded,
    wishes_due_for_reminder,
    wishes_newly_overdue,
)


@dataclass(frozen=True)
class Recipient:
    """A Telegram user to notify, and the gettext of their language."""

    user: TelegramUser
    gettext: Gettext

    @classmethod
    def of(cls, user: TelegramUser | None) -> Recipient | None:
        if user is None:
            return None
        return cls(user, translations(preferred_locale(user, default_locale())).gettext)

    async def send(
        self, text: str, *, kind: str, dedup_key: str, keyboard: InlineKeyboardMarkup | None = None,
    ) -> OutboxMessage:
        return await enqueue(
            self.user.id, text, kind=kind, dedup_key=dedup_key, telegram_user_id=self.user.id,
            reply_markup=keyboard.model_dump(mode="json", exclude_none=True) if keyboard else None,
        )


async def _resident(wish: Wish) -> Recipient | None:
    if wish.resident_id is None:
        return None
    return Recipient.of(await TelegramUser.get_or_none(id=wish.resident_id))


async def _claimant(wish: Wish) -> Recipient | None:
    if wish.claimant_id is None:
        return None
    return Recipient.of(await TelegramUser.get_or_none(member_id=wish.claimant_id))


# --------------------------------------------------------------------------- to the resident


async def wish_published(wish: Wish) -> OutboxMessage | None:
    if (to := await _resident(wish)) is None:
        return None
    _ = to.gettext
    await wish.fetch_related("community")
    text = _("🌟 Your wish “{wish}” has been reviewed and is now on the wish wall of {community}. "
             "We will tell you when a Party member takes it on.").format(
        wish=excerpt(wish.text), community=escape(wish.community.name))
    return await to.send(text, kind="wish.published", dedup_key=f"wish:{wish.id}:published")


async def wish_rejected(wish: Wish) -> OutboxMessage | None:
    if (to := await _resident(wish)) is None:
        return None
    _ = to.gettext
    text = _("Your wish “{wish}” could not be accepted.\n\nReason: {reason}\n\n"
             "If you have questions, please contact your community.").format(
        wish=excerpt(wish.text), reason=escape(wish.reject_reason))
    return await to.send(text, kind="wish.rejected", dedup_key=f"wish:{wish.id}:rejected")


async def wish_claimed(wish: Wish) -> OutboxMessage | None:
    if (to := await _resident(wish)) is None:
        return None
    _ = to.gettext
    claimant = await Member.get(id=wish.claimant_id)
    text = _(
        "🤝 Good news: Party member {name} has taken on your wish “{wish}” and will contact you."
    ).format(name=escape(claimant.name), wish=excerpt(wish.text))
    return await to.send(
        text, kind="wish.claimed", dedup_key=f"wish:{wish.id}:claimed:{wish.claimed_at.isoformat()}"
    )


async def wish_progress(wish: Wish, progress: WishProgress) -> OutboxMessage | None:
    if (to := await _resident(wish)) is None:
        return None
    _ = to.gettext
    text = _("📝 News about your wish “{wish}”:\n\n{note}").format(
        wish=excerpt(wish.text), note=escape(progress.text))
    keyboard = wish_keyboards.see_note_photo(progress, to.gettext) if progress.photo_file_id else None
    return await to.send(
        text, kind="wish.progress", dedup_key=f"wish:{wish.id}:progress:{progress.id}", keyboard=keyboard,
    )


async def _latest_entry(wish: Wish, action: str) -> AuditEntry | None:
    """The wish's newest audit entry of ``action``: what names one of several alike events
    (a dedup key), and who caused it."""
    return await AuditEntry.filter(
        action=action, object_type="Wish", object_id=str(wish.id)
    ).order_by("-id").first()


async def wish_released(wish: Wish) -> OutboxMessage | None:
    """After :func:`models.wishes.release_wish`, by the claimant or a secretary."""
    if (to := await _resident(wish)) is None:
        return None
    _ = to.gettext
    # The release clears the claim's fields, so its audit entry is what names this release.
    release = await _latest_entry(wish, "wish.release")
    text = _("The member who took on your wish “{wish}” could not carry on. "
             "Your wish is back on the wish wall for another member.").format(wish=excerpt(wish.text))
    return await to.send(text, kind="wish.released",
                         dedup_key=f"wish:{wish.id}:released:{release.id if release else 0}")


async def wish_done(wish: Wish) -> OutboxMessage | None:
    """Asks the resident to confirm, with one-tap satisfaction buttons."""
    if (to := await _resident(wish)) is None:
        return None
    _ = to.gettext
    claimant = await Member.get(id=wish.claimant_id)
    text = _("✅ Party member {name} says your wish “{wish}” is done.\n\n"
             "If so, please confirm, and tell us how satisfied you are:").format(
        name=escape(claimant.name), wish=excerpt(wish.text))
    return await to.send(
        text, kind="wish.done", dedup_key=f"wish:{wish.id}:done:{wish.done_at.isoformat()}",
        keyboard=wish_keyboards.confirm_fulfilment(wish, to.gettext),
    )


# --------------------------------------------------------------------------- to the claimant


async def wish_not_done(wish: Wish) -> OutboxMessage | None:
    """After :func:`models.wishes.reopen_wish`, by the resident or a secretary."""
    if (to := await _claimant(wish)) is None:
        return None
    _ = to.gettext
    reopened = await _latest_entry(wish, "wish.not_done")
    if reopened is not None and reopened.actor_admin_id is not None:
        text = _("↩️ The community says the wish “{wish}” is not done yet. Please get in touch "
                 "with the resident; it is back among your claimed wishes.")
    else:
        text = _("↩️ The resident says the wish “{wish}” is not done yet. Please get in touch "
                 "with them; it is back among your claimed wishes.")
    text = text.format(wish=excerpt(wish.text))
    return await to.send(text, kind="wish.not_done",
                         dedup_key=f"wish:{wish.id}:not_done:{reopened.id if reopened else 0}")


async def wish_fulfilled(wish: Wish) -> OutboxMessage | None:
    """After :func:`models.wishes.confirm_fulfilled`, by the resident or a secretary."""
    if (to := await _claimant(wish)) is None:
        return None
    _ = to.gettext
    if wish.confirmed_by == "resident":
        text = _("🎉 The resident confirmed that the wish “{wish}” is fulfilled. Thank you!")
    else:
        text = _("🎉 The community confirmed that the wish “{wish}” is fulfilled. Thank you!")
    lines = [text.format(wish=excerpt(wish.text))]
    if wish.satisfaction:
        rating = _(SATISFACTION_LABELS[wish.satisfaction])
        lines.append(_("The resident's rating: {rating}").format(rating=rating))
    lines.append(_("A contribution card has been recorded for you."))
    if (card := await awarded_card(CardSource.WISH, wish.id, wish.claimant_id)) is not None:
        lines.append(await standing_after(card, _))
    return await to.send("\n\n".join(lines), kind="wish.fulfilled", dedup_key=f"wish:{wish.id}:fulfilled")


async def wish_deadline_reminder(wish: Wish) -> OutboxMessage | None:
    if (to := await _claimant(wish)) is None:
        return None
    _ = to.gettext
    text = _(
        "⏰ Reminder: the deadline of the wish “{wish}” you took on is {deadline}.\n\n"
        "When it is done, please mark it done; if you cannot do it, give it up so another member can."
    ).format(wish=excerpt(wish.text), deadline=wish.deadline.isoformat())
    return await to.send(text, kind="wish.reminder", dedup_key=_claim_key(wish, "reminder"),
                         keyboard=wish_keyboards.open_claimed_wish(wish, to.gettext))


async def wish_overdue(wish: Wish) -> OutboxMessage | None:
    if (to := await _claimant(wish)) is None:
        return None
    _ = to.gettext
    text = _("⚠️ The deadline ({deadline}) of the wish “{wish}” you took on has passed, and the community "
             "has been told.\n\nPlease finish it and mark it done, or give it up so another member can "
             "take it on.").format(wish=excerpt(wish.text), deadline=wish.deadline.isoformat())
    return await to.send(text, kind="wish.overdue", dedup_key=_claim_key(wish, "overdue"),
                         keyboard=wish_keyboards.open_claimed_wish(wish, to.gettext))


def _claim_key(wish: Wish, event: str) -> str:
    """One per claim and deadline: a new claimant (or a new deadline) is told again."""
    return f"wish:{wish.id}:{event}:{wish.deadline}:{wish.claimed_at.isoformat()}"


# --------------------------------------------------------------------------- the scheduled job


@dataclass(frozen=True)
class ReminderRun:
    reminded: int
    overdue: int


async def send_wish_reminders(now: datetime | None = None) -> ReminderRun:
    """Remind claimants before the deadline; flag overdue wishes for the panel and tell their claimants.

    Each wish is taken by a conditional update in the same transaction as its message, so a
    second run, even a concurrent one, sends nothing twice and a crash loses nothing.
    """
    now = now or datetime.now(UTC)
    reminded = overdue = 0
    for wish in await wishes_due_for_reminder(now):
        async with in_transaction():
            if await mark_reminded(wish, now):
                await wish_deadline_reminder(wish)
                reminded += 1
    for wish in await wishes_newly_overdue(now):
        async with in_transaction():
            if await mark_overdue_alerted(wish, now):
                if wish.status == WishStatus.CLAIMED:
                    await wish_overdue(wish)
                overdue += 1
    return ReminderRun(reminded=reminded, overdue=overdue)
