"""The bot side: ``/bot<token>/<method>`` handlers that answer like Telegram.

Responses are ``{"ok": true, "result": ...}`` or Telegram's error body with the
HTTP status equal to ``error_code``. Every send*/edit* attempt is written to
``state.send_log``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .entities import EntityParseError, parse_html, strip_entities, utf16_len, validate_entities
from .errors import (
    NOT_FOUND,
    UNAUTHORIZED,
    ApiError,
    bad_request,
    conflict,
    forbidden,
    too_many_requests,
)
from .markup import normalize_reply_markup
from .media import guess_mime, image_size
from .params import Params, read_params
from .state import (
    DEFAULT_UPDATE_TYPES,
    SandboxChat,
    SandboxState,
    SendRecord,
    StoredFile,
    StoredMessage,
    now_unix,
)
from .webhook import WebhookUrlError, validate_webhook_url

TOKEN_RE = re.compile(r"(\d{1,19}):([A-Za-z0-9_\-]{1,100})")
#: Methods whose attempts go to the send log and through the rate limiter.
LOGGED_METHODS = frozenset(
    {"sendmessage", "senddocument", "sendphoto", "editmessagetext", "editmessagereplymarkup",
     "editmessagecaption"}
)
MAX_POLL_TIMEOUT = 50.0
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
GETUPDATES_WITH_WEBHOOK = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
GETUPDATES_TERMINATED = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


@dataclass
class Described:
    """A result with Telegram's optional ``description`` next to it."""

    result: Any
    description: str


Handler = Callable[[Params], Awaitable[Any]]


def json_dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def api_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=json_dumps)


def error_response(error: ApiError) -> web.Response:
    return api_response(error.to_json(), status=error.code)


class BotApi:
    """Bot API method implementations over a :class:`SandboxState`."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._token = ""
        self.methods: dict[str, Handler] = {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "sendmessage": self.send_message,
            "senddocument": self.send_document,
            "sendphoto": self.send_photo,
            "sendchataction": self.send_chat_action,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "deletemessages": self.delete_messages,
            "answercallbackquery": self.answer_callback_query,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "getfile": self.get_file,
            "getchat": self.get_chat,
            "getchatmember": self.get_chat_member,
            "leavechat": self.leave_chat,
            "setchatmenubutton": self.set_chat_menu_button,
            "getchatmenubutton": self.get_chat_menu_button,
        }

    # ------------------------------------------------------------------ HTTP

    async def handle(self, request: web.Request) -> web.Response:
        """aiohttp handler for ``/bot{token}/{method}``."""
        token = request.match_info["token"]
        if not TOKEN_RE.fullmatch(token):
            return error_response(UNAUTHORIZED)
        method = request.match_info["method"]
        if method.lower() not in self.methods:
            return error_response(NOT_FOUND)
        try:
            params = await read_params(request)
        except ApiError as error:
            return error_response(error)
        return await self.respond(token, method, params)

    async def respond(self, token: str, method: str, params: Params) -> web.Response:
        try:
            result = await self.call(token, method, params)
        except ApiError as error:
            return error_response(error)
        if isinstance(result, Described):
            return api_response({"ok": True, "result": result.result, "description": result.description})
        return api_response({"ok": True, "result": result})

    async def download(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for ``/file/bot{token}/{path}``."""
        if not TOKEN_RE.fullmatch(request.match_info["token"]):
            return error_response(UNAUTHORIZED)
        stored = self.state.files_by_path.get(request.match_info["path"])
        if stored is None:
            return error_response(NOT_FOUND)
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type or "application/octet-stream",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    async def call(self, token: str, method: str, params: Params) -> Any:
        """Run one method for ``token``; raises :class:`ApiError` on failure."""
        match = TOKEN_RE.fullmatch(token)
        if not match:
            raise UNAUTHORIZED
        handler = self.methods.get(method.lower())
        if handler is None:
            raise NOT_FOUND
        self.state.bot_id = int(match.group(1))
        self._token = token
        if method.lower() not in LOGGED_METHODS:
            return await handler(params)
        canonical = handler.__name__.title().replace("_", "")
        canonical = canonical[0].lower() + canonical[1:]
        chat_id = _loggable_chat_id(params)
        try:
            result = await handler(params)
        except ApiError as error:
            self.state.send_log.append(
                SendRecord(
                    t=self.state.clock(),
                    chat_id=chat_id,
                    method=canonical,
                    outcome=str(error.code),
                    message_id=params.int("message_id") if _is_int(params.raw("message_id")) else None,
                    text=params.str("text") if params.has("text") else params.str("caption"),
                    description=error.description,
                    retry_after=(error.parameters or {}).get("retry_after"),
                )
            )
            raise
        message = result if isinstance(result, dict) else {}
        self.state.send_log.append(
            SendRecord(
                t=self.state.clock(),
                chat_id=chat_id,
                method=canonical,
                outcome="ok",
                message_id=message.get("message_id"),
                text=message.get("text", message.get("caption")),
            )
        )
        return result

    # ------------------------------------------------------------------ helpers

    def _chat(self, params: Params, name: str = "chat_id") -> SandboxChat:
        chat = self.state.find_chat(params.chat_id(name))
        if chat is None:
            raise bad_request("chat not found")
        if chat.type == "private":
            user = self.state.users.get(chat.id)
            if user is None or not user.started:
                raise bad_request("chat not found")
        return chat

    def _check_can_write(self, chat: SandboxChat) -> None:
        if chat.type == "private":
            user = self.state.users[chat.id]
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            return
        if chat.bot_status != "member":
            kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
            if chat.bot_status == "kicked":
                raise forbidden(f"bot was kicked from the {kind}")
            raise forbidden(f"bot is not a member of the {kind}")

    def _rate_limit(self, chat: SandboxChat) -> None:
        retry_after = self.state.limiter.acquire(chat.id, chat.is_group)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def _formatted(
        self, params: Params, field: str, *, entities_field: str, required: bool, limit: int
    ) -> tuple[str | None, list[dict[str, Any]], str | None, str | None]:
        """(plain text, entities, source, parse_mode) of a text or caption parameter."""
        raw = params.str(field)
        if raw is None or raw == "":
            if required:
                raise bad_request("message text is empty")
            return None, [], None, None
        parse_mode = params.str("parse_mode")
        explicit = params.json(entities_field)
        try:
            if explicit is not None:
                text, entities = strip_entities(raw, validate_entities(explicit, raw))
                parse_mode = None
            elif parse_mode:
                mode = parse_mode.lower()
                if mode == "html":
                    text, entities = parse_html(raw)
                elif mode in ("markdown", "markdownv2"):
                    # Accepted without markup interpretation: the project uses HTML.
                    text, entities = raw.strip(), []
                else:
                    raise bad_request(f"unsupported parse_mode \"{parse_mode}\"")
            else:
                text, entities = raw.strip(), []
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        if not text:
            if required:
                raise bad_request("message text is empty")
            return None, [], None, None
        if utf16_len(text) > limit:
            raise bad_request("message is too long" if field == "text" else "message caption is too long")
        return text, entities, raw, parse_mode

    def _markup(self, params: Params) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(inline markup, other reply markup) from ``reply_markup``."""
        markup = normalize_reply_markup(params.json("reply_markup"))
        if markup is not None and "inline_keyboard" in markup:
            return markup, None
        return None, markup

    def _inline_markup(self, params: Params) -> dict[str, Any] | None:
        inline, other = self._markup(params)
        if other is not None:
            raise bad_request("inline keyboard expected")
        return inline

    def _reply_to(self, chat: SandboxChat, params: Params) -> int | None:
        target: int | None = None
        allow_missing = params.bool("allow_sending_without_reply")
        reply_parameters = params.json("reply_parameters")
        if isinstance(reply_parameters, dict):
            target = _as_int(reply_parameters.get("message_id"))
            allow_missing = bool(reply_parameters.get("allow_sending_without_reply", allow_missing))
        elif params.has("reply_to_message_id"):
            target = params.int("reply_to_message_id")
        if target is None:
            return None
        message = chat.by_id.get(target)
        if message is None or message.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return target

    def _apply_reply_keyboard(self, chat: SandboxChat, other: dict[str, Any] | None) -> None:
        if other is None:
            return
        if "keyboard" in other:
            chat.reply_keyboard = other
        elif other.get("remove_keyboard"):
            chat.reply_keyboard = None

    def _input_file(self, params: Params, field: str, *, folder: str) -> StoredFile:
        """A file sent as an upload, ``attach://name``, or an existing file_id."""
        upload = params.uploads.get(field)
        value = params.str(field) if upload is None else None
        if upload is None:
            if not value:
                raise bad_request(f"there is no {field} in the request")
            if value.startswith("attach://"):
                upload = params.uploads.get(value[len("attach://") :])
                if upload is None:
                    raise bad_request("wrong file identifier/HTTP URL specified")
            elif value.startswith(("http://", "https://")):
                # The sandbox never fetches anything from the network.
                raise bad_request("failed to get HTTP URL content")
            else:
                stored = self.state.files.get(value)
                if stored is None:
                    raise bad_request("wrong file identifier/HTTP URL specified")
                return stored
        if not upload.data:
            raise bad_request("file must be non-empty")
        return self.state.store_file(
            upload.data,
            folder=folder,
            file_name=upload.filename,
            mime_type=guess_mime(upload.filename, upload.data)
            if upload.content_type in ("", "application/octet-stream")
            else upload.content_type,
        )

    def _find_message(self, params: Params, not_found: str) -> tuple[SandboxChat, StoredMessage]:
        if params.has("inline_message_id"):
            raise bad_request(not_found)
        chat = self._chat(params)
        message_id = params.int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.by_id.get(message_id)
        if message is None or message.deleted:
            raise bad_request(not_found)
        return chat, message

    def _editable(self, params: Params) -> tuple[SandboxChat, StoredMessage]:
        chat, message = self._find_message(params, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        self._check_can_write(chat)
        return chat, message

    def _apply_edit(self, chat: SandboxChat, message: StoredMessage, **changes: Any) -> dict[str, Any]:
        message.history.append(
            {
                "text": message.text,
                "caption": message.caption,
                "reply_markup": message.reply_markup,
                "edit_date": message.edit_date,
            }
        )
        for key, value in changes.items():
            setattr(message, key, value)
        message.edit_count += 1
        message.edit_date = now_unix()
        self.state.touch(chat)
        return self.state.message_api(chat, message)

    def _bot_message(self, chat: SandboxChat, **content: Any) -> dict[str, Any]:
        message = self.state.add_message(
            chat, sender=self.state.bot_user(), from_bot=True, **content
        )
        return self.state.message_api(chat, message)

    # ------------------------------------------------------------------ identity & updates

    async def get_me(self, params: Params) -> Any:
        return self.state.bot_user(full=True)

    async def get_updates(self, params: Params) -> Any:
        state = self.state
        if state.webhook.url:
            raise conflict(GETUPDATES_WITH_WEBHOOK)
        offset = params.int("offset")
        limit = min(100, max(1, params.int("limit", 100) or 100))
        timeout = min(MAX_POLL_TIMEOUT, max(0.0, params.float("timeout", 0.0) or 0.0))
        allowed = params.json("allowed_updates")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON array")
        state.poll_generation += 1
        generation = state.poll_generation
        state.update_notifier.notify()  # an older waiting getUpdates ends with 409
        state.set_allowed_updates(allowed)
        if offset is not None:
            state.confirm_updates(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if state.poll_generation != generation:
                raise conflict(GETUPDATES_TERMINATED)
            if state.webhook.url:
                raise conflict(GETUPDATES_WITH_WEBHOOK)
            if state.updates or state.closing:
                return [u.to_api() for u in list(state.updates)[:limit]]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await state.update_notifier.wait(remaining)

    async def set_webhook(self, params: Params) -> Any:
        url = params.str("url", "") or ""
        if not url:
            return await self.delete_webhook(params)
        try:
            url = validate_webhook_url(url)
        except WebhookUrlError as error:
            raise bad_request(f"bad webhook: {error}") from None
        secret = params.str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_\-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = params.json("allowed_updates")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON array")
        state = self.state
        state.set_allowed_updates(allowed)
        if params.bool("drop_pending_updates"):
            state.drop_pending_updates()
        state.webhook.url = url
        state.webhook.secret_token = secret or None
        state.webhook.max_connections = params.int("max_connections", 40) or 40
        state.webhook.token = self._token
        state.webhook.last_error_date = None
        state.webhook.last_error_message = None
        state.update_notifier.notify()
        return Described(True, "Webhook was set")

    async def delete_webhook(self, params: Params) -> Any:
        state = self.state
        was_set = bool(state.webhook.url)
        state.webhook.url = ""
        state.webhook.secret_token = None
        if params.bool("drop_pending_updates"):
            state.drop_pending_updates()
        state.update_notifier.notify()
        return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def get_webhook_info(self, params: Params) -> Any:
        webhook = self.state.webhook
        info: dict[str, Any] = {
            "url": webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.updates),
        }
        if webhook.url:
            info["max_connections"] = webhook.max_connections
            info["ip_address"] = "127.0.0.1"
        if webhook.last_error_date is not None:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
        if self.state.allowed_updates != DEFAULT_UPDATE_TYPES:
            info["allowed_updates"] = sorted(self.state.allowed_updates)
        return info

    # ------------------------------------------------------------------ sending

    async def send_message(self, params: Params) -> Any:
        chat = self._chat(params)
        self._check_can_write(chat)
        text, entities, source, parse_mode = self._formatted(
            params, "text", entities_field="entities", required=True, limit=TEXT_LIMIT
        )
        inline, other = self._markup(params)
        reply_to = self._reply_to(chat, params)
        self._rate_limit(chat)
        self._apply_reply_keyboard(chat, other)
        return self._bot_message(
            chat,
            text=text,
            entities=entities or None,
            reply_markup=inline,
            reply_keyboard=other,
            reply_to_message_id=reply_to,
            source=source,
            parse_mode=parse_mode,
        )

    async def _send_media(self, params: Params, field: str, folder: str) -> Any:
        chat = self._chat(params)
        self._check_can_write(chat)
        caption, caption_entities, source, parse_mode = self._formatted(
            params, "caption", entities_field="caption_entities", required=False, limit=CAPTION_LIMIT
        )
        inline, other = self._markup(params)
        reply_to = self._reply_to(chat, params)
        stored = self._input_file(params, field, folder=folder)
        self._rate_limit(chat)
        self._apply_reply_keyboard(chat, other)
        if field == "photo":
            width, height = image_size(stored.data) or (320, 320)
            media: dict[str, Any] = {
                "photo": [
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "file_size": stored.file_size,
                        "width": width,
                        "height": height,
                    }
                ]
            }
        else:
            document: dict[str, Any] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.file_size,
            }
            if stored.file_name:
                document["file_name"] = stored.file_name
            if stored.mime_type:
                document["mime_type"] = stored.mime_type
            media = {"document": document}
        return self._bot_message(
            chat,
            caption=caption,
            caption_entities=caption_entities or None,
            media=media,
            reply_markup=inline,
            reply_keyboard=other,
            reply_to_message_id=reply_to,
            source=source,
            parse_mode=parse_mode,
        )

    async def send_document(self, params: Params) -> Any:
        return await self._send_media(params, "document", "documents")

    async def send_photo(self, params: Params) -> Any:
        return await self._send_media(params, "photo", "photos")

    async def send_chat_action(self, params: Params) -> Any:
        chat = self._chat(params)
        self._check_can_write(chat)
        if not params.has("action"):
            raise bad_request("action is empty")
        return True

    # ------------------------------------------------------------------ editing

    async def edit_message_text(self, params: Params) -> Any:
        chat, message = self._editable(params)
        text, entities, source, parse_mode = self._formatted(
            params, "text", entities_field="entities", required=True, limit=TEXT_LIMIT
        )
        markup = self._inline_markup(params)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        if text == message.text and entities == (message.entities or []) and markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        self._rate_limit(chat)
        return self._apply_edit(
            chat, message, text=text, entities=entities or None, reply_markup=markup,
            source=source, parse_mode=parse_mode,
        )

    async def edit_message_caption(self, params: Params) -> Any:
        chat, message = self._editable(params)
        caption, entities, source, parse_mode = self._formatted(
            params, "caption", entities_field="caption_entities", required=False, limit=CAPTION_LIMIT
        )
        markup = self._inline_markup(params)
        if message.text is not None:
            raise bad_request("there is no caption in the message to edit")
        if (
            caption == message.caption
            and entities == (message.caption_entities or [])
            and markup == message.reply_markup
        ):
            raise bad_request(NOT_MODIFIED)
        self._rate_limit(chat)
        return self._apply_edit(
            chat, message, caption=caption, caption_entities=entities or None, reply_markup=markup,
            source=source, parse_mode=parse_mode,
        )

    async def edit_message_reply_markup(self, params: Params) -> Any:
        chat, message = self._editable(params)
        markup = self._inline_markup(params)
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        self._rate_limit(chat)
        return self._apply_edit(chat, message, reply_markup=markup)

    async def delete_message(self, params: Params) -> Any:
        chat, message = self._find_message(params, "message to delete not found")
        if chat.is_group and not message.from_bot:
            raise bad_request("message can't be deleted")
        message.deleted = True
        self.state.touch(chat)
        return True

    async def delete_messages(self, params: Params) -> Any:
        chat = self._chat(params)
        ids = params.json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be an Array of 1-100 message identifiers")
        deleted = False
        for raw in ids:
            message = chat.by_id.get(_as_int(raw) or 0)
            if message is None or message.deleted or (chat.is_group and not message.from_bot):
                continue
            message.deleted = True
            deleted = True
        if not deleted:
            raise bad_request("message to delete not found")
        self.state.touch(chat)
        return True

    # ------------------------------------------------------------------ callbacks

    async def answer_callback_query(self, params: Params) -> Any:
        record = self.state.callbacks.get(params.str("callback_query_id") or "")
        if record is None or record.answered:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        url = params.str("url")
        if url is not None and not url.startswith(("https://t.me/", "tg://", "http://t.me/")):
            raise bad_request("URL_INVALID")
        record.answered = True
        record.text = text or None
        record.show_alert = params.bool("show_alert")
        record.url = url
        record.cache_time = params.int("cache_time", 0) or 0
        chat = self.state.chats.get(record.chat_id)
        if chat is not None:
            self.state.touch(chat)
        self.state.callback_notifier.notify()
        return True

    # ------------------------------------------------------------------ commands

    def _commands_key(self, params: Params) -> str:
        scope = params.json("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("can't parse BotCommandScope")
        language = params.str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        parts = [scope["type"], str(scope.get("chat_id", "")), str(scope.get("user_id", ""))]
        return "|".join(parts + [language])

    async def set_my_commands(self, params: Params) -> Any:
        commands = params.json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON array")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        clean = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand")
            command = str(item.get("command", "")).lstrip("/")
            description = str(item.get("description", ""))
            if not _COMMAND_RE.fullmatch(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": command, "description": description})
        key = self._commands_key(params)
        if clean:
            self.state.commands[key] = clean
        else:
            self.state.commands.pop(key, None)
        return True

    async def get_my_commands(self, params: Params) -> Any:
        return self.state.commands.get(self._commands_key(params), [])

    async def delete_my_commands(self, params: Params) -> Any:
        self.state.commands.pop(self._commands_key(params), None)
        return True

    # ------------------------------------------------------------------ files & chats

    async def get_file(self, params: Params) -> Any:
        stored = self.state.files.get(params.str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.to_api()

    async def get_chat(self, params: Params) -> Any:
        chat = self._chat(params)
        info = self.state.chat_api(chat)
        info.update(
            accent_color_id=chat.id % 7 if chat.id > 0 else 0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    async def get_chat_member(self, params: Params) -> Any:
        chat = self._chat(params)
        user_id = params.int("user_id")
        if user_id is None:
            raise bad_request("user_id is empty")
        if user_id == self.state.bot_id:
            status = chat.bot_status if chat.is_group else "member"
            return {"status": status, "user": self.state.bot_user()}
        user = self.state.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.type == "private":
            if user_id != chat.id:
                raise bad_request("user not found")
            return {"status": "member", "user": user.to_api()}
        status = "member" if user_id in chat.member_ids else "left"
        return {"status": status, "user": user.to_api()}

    async def leave_chat(self, params: Params) -> Any:
        chat = self._chat(params)
        if not chat.is_group:
            raise bad_request("chat member status can't be changed in private chats")
        self._check_can_write(chat)
        chat.bot_status = "left"
        self.state.left_chats.append(chat.id)
        bot = self.state.bot_user()
        self.state.enqueue(
            "my_chat_member",
            {
                "chat": self.state.chat_api(chat),
                "from": bot,
                "date": now_unix(),
                "old_chat_member": {"status": "member", "user": bot},
                "new_chat_member": {"status": "left", "user": bot},
            },
        )
        self.state.touch(chat)
        return True

    async def set_chat_menu_button(self, params: Params) -> Any:
        chat_id = params.int("chat_id") if params.has("chat_id") else None
        button = params.json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise bad_request("can't parse menu button")
        self.state.menu_buttons[chat_id] = button
        return True

    async def get_chat_menu_button(self, params: Params) -> Any:
        chat_id = params.int("chat_id") if params.has("chat_id") else None
        return self.state.menu_buttons.get(chat_id, self.state.menu_buttons.get(None, {"type": "default"}))


# ---------------------------------------------------------------------- small helpers


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _is_int(value: Any) -> bool:
    return _as_int(value) is not None


def _loggable_chat_id(params: Params) -> int | str | None:
    value = params.raw("chat_id")
    as_int = _as_int(value)
    return as_int if as_int is not None else value
