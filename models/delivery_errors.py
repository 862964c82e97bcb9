"""What a failed delivery's stored error means, in words a secretary can act on.

The outbox keeps each error as Telegram (or the delivery worker) worded it, for whoever
debugs; the panel shows the reason it falls under. Telegram's descriptions are stable
English phrases, matched here case-insensitively anywhere in the stored text.
"""

from __future__ import annotations

from locales import N_

# (phrase in the stored error, the reason's message id), first match wins.
REASONS: tuple[tuple[str, str], ...] = (
    ("chat not found",
     N_("Telegram does not know this chat: the person never opened the bot, or deleted their account")),
    ("bot can't initiate conversation", N_("The person never opened the bot")),
    ("bot was blocked by the user", N_("The person blocked the bot")),
    ("user is deactivated", N_("The person's Telegram account was deleted")),
    ("bot was kicked", N_("The bot was removed from the group")),
    ("not a member of the", N_("The bot was removed from the group")),
    ("upgraded to a supergroup", N_("The group became a supergroup: link it again with /link")),
    ("message is too long", N_("The message is too long for Telegram")),
    ("can't parse entities", N_("Telegram refused the message's formatting")),
    ("retry after", N_("Telegram asked to send more slowly")),
    ("too many requests", N_("Telegram asked to send more slowly")),
    ("TelegramNetworkError", N_("Telegram could not be reached")),
    ("TelegramServerError", N_("Telegram had a server error")),
    ("lease expired", N_("Sending was cut off: the sending process stopped")),
    ("taken back at restart", N_("Sending was cut off: the sending process stopped")),
    ("given back at shutdown", N_("Sending was cut off: the sending process stopped")),
)
OTHER_REASON = N_("Another error (the export has Telegram's own words)")


def reason_of(error: str | None) -> str | None:
    """The message id of ``error``'s reason; None when there is no error."""
    if not error:
        return None
    folded = error.casefold()
    return next((reason for phrase, reason in REASONS if phrase.casefold() in folded), OTHER_REASON)
