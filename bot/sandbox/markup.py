"""Validation of ``reply_markup`` the way Telegram checks it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .errors import ApiError, bad_request

_BUTTON_KINDS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
MAX_BUTTONS = 100


def _button_error(detail: str) -> ApiError:
    return bad_request(f"can't parse inline keyboard button: {detail}")


def _valid_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return bool(parts.hostname)
    return parts.scheme == "tg" and bool(parts.netloc or parts.path)


def _inline_button(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    text = raw.get("text")
    if not isinstance(text, str):
        raise _button_error('Field "text" must be of type String')
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    button: dict[str, Any] = {"text": text}
    kinds = [k for k in _BUTTON_KINDS if raw.get(k) not in (None, False)]
    if not kinds:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    kind = kinds[0]
    value = raw[kind]
    if kind == "callback_data":
        if not isinstance(value, str):
            raise _button_error('Field "callback_data" must be of type String')
        if not 1 <= len(value.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    elif kind == "url":
        if not isinstance(value, str) or not _valid_url(value):
            raise bad_request("BUTTON_URL_INVALID")
    button[kind] = value
    for extra in ("style", "icon_custom_emoji_id"):
        if raw.get(extra) is not None:
            button[extra] = raw[extra]
    return button


def normalize_reply_markup(raw: Any) -> dict[str, Any] | None:
    """Validate a reply markup; return it normalized (or ``None``), or raise a 400 ApiError."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = raw["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                "can't parse inline keyboard button: Field \"inline_keyboard\" of the "
                "InlineKeyboardMarkup should be an Array of Arrays"
            )
        keyboard = [[_inline_button(b) for b in row] for row in rows]
        keyboard = [row for row in keyboard if row]
        if sum(len(row) for row in keyboard) > MAX_BUTTONS:
            raise bad_request("reply markup is too long")
        return {"inline_keyboard": keyboard}
    if "keyboard" in raw:
        rows = raw["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'can\'t parse reply keyboard markup JSON object: Field "keyboard" of the '
                "ReplyKeyboardMarkup should be an Array of Arrays"
            )
        keyboard = []
        for row in rows:
            out_row = []
            for button in row:
                if isinstance(button, str):
                    button = {"text": button}
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad_request("can't parse keyboard button: Field \"text\" must be of type String")
                out_row.append(button)
            if out_row:
                keyboard.append(out_row)
        if not keyboard:
            raise bad_request("keyboard must be non-empty")
        return {**raw, "keyboard": keyboard}
    if raw.get("remove_keyboard"):
        return {"remove_keyboard": True}
    if raw.get("force_reply"):
        return {**raw, "force_reply": True}
    raise bad_request("can't find field \"inline_keyboard\"")


def callback_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """All inline buttons that carry callback_data."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [b for row in markup["inline_keyboard"] for b in row if "callback_data" in b]
