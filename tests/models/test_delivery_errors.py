"""A stored delivery error is shown as its reason in words."""

from __future__ import annotations

import pytest

from models.delivery_errors import OTHER_REASON, reason_of


@pytest.mark.parametrize(("error", "reason"), [
    ("TelegramBadRequest: Telegram server says - Bad Request: chat not found",
     "Telegram does not know this chat: the person never opened the bot, or deleted their account"),
    ("TelegramForbiddenError: Telegram server says - Forbidden: bot was blocked by the user",
     "The person blocked the bot"),
    ("TelegramForbiddenError: Telegram server says - Forbidden: user is deactivated",
     "The person's Telegram account was deleted"),
    ("TelegramForbiddenError: Telegram server says - Forbidden: bot was kicked from the group chat",
     "The bot was removed from the group"),
    ("TelegramBadRequest: Telegram server says - Bad Request: message is too long",
     "The message is too long for Telegram"),
    ("TelegramBadRequest: Telegram server says - Bad Request: can't parse entities: Unsupported",
     "Telegram refused the message's formatting"),
    ("rate limited: retry after 7 s", "Telegram asked to send more slowly"),
    ("TelegramNetworkError: HTTP Client says - ClientConnectorError: Cannot connect to host",
     "Telegram could not be reached"),
    ("TelegramServerError: Telegram server says - Internal Server Error", "Telegram had a server error"),
    ("lease expired: the worker died before recording the outcome",
     "Sending was cut off: the sending process stopped"),
    ("ValidationError: 1 validation error for InlineKeyboardMarkup", OTHER_REASON),
])
def test_known_errors_have_a_reason_in_words(error, reason):
    assert reason_of(error) == reason


def test_no_error_has_no_reason():
    assert reason_of(None) is None and reason_of("") is None
