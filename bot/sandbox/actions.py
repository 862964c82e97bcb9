"""What users do: write to the bot, press buttons, block it, make groups.

Each action changes the world in :class:`~.state.SandboxState` and queues the
update Telegram would send to the bot (``message``, ``callback_query``,
``my_chat_member``). Failures raise :class:`SandboxError`; the user-side HTTP
API turns them into ``{"error": ...}`` with the error's status.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from .entities import EntityParseError, command_entities, utf16_len, validate_entities
from .markup import callback_buttons
from .media import PLACEHOLDER_OGG, PLACEHOLDER_WEBP, TINY_PNG, guess_mime, image_size
from .state import CallbackRecord, SandboxChat, SandboxState, SandboxUser, StoredMessage, now_unix

MESSAGE_KINDS = ("text", "sticker", "photo", "voice", "document", "contact", "location")


class SandboxError(Exception):
    """A refused user-side action (``status`` is the HTTP status to answer with)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class UserActions:
    """User-side operations on a :class:`SandboxState`."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._group_ids = itertools.count(1)

    # ------------------------------------------------------------------ users

    def user(self, user_id: int, **fields: Any) -> SandboxUser:
        """Create or update a user (``None`` fields are left unchanged)."""
        if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id < 2**52:
            raise SandboxError("user id must be a positive integer")
        first_name = fields.get("first_name")
        if first_name is not None and not str(first_name).strip():
            raise SandboxError("first_name must be non-empty")
        return self.state.upsert_user(user_id, **fields)

    def _existing_or_new_user(self, user_id: int) -> SandboxUser:
        return self.state.users.get(user_id) or self.user(user_id)

    def bulk_register(
        self,
        users: Iterable[dict[str, Any]] | None = None,
        *,
        start_id: int | None = None,
        count: int = 0,
        first_name: str = "User",
        language_code: str | None = None,
        started: bool = True,
    ) -> int:
        """Register many users at once (default: as having started the bot). Returns how many."""
        n = 0
        for item in users or ():
            fields = {k: item.get(k) for k in ("first_name", "last_name", "username", "language_code")}
            fields["started"] = bool(item.get("started", started))
            self.user(int(item["id"]), **fields)
            n += 1
        if count:
            if start_id is None:
                raise SandboxError("start_id is required with count")
            for user_id in range(start_id, start_id + count):
                self.state.upsert_user(
                    user_id,
                    first_name=f"{first_name} {user_id}",
                    language_code=language_code,
                    started=started,
                )
                n += 1
        return n

    def set_blocked(self, user_id: int, blocked: bool) -> SandboxUser:
        """Mark that the user blocked (or unblocked) the bot; the bot gets my_chat_member."""
        user = self.state.users.get(user_id)
        if user is None:
            raise SandboxError("unknown user", 404)
        if user.blocked == blocked:
            return user
        user.blocked = blocked
        if user.started:
            chat = self.state.private_chat(user_id)
            self._my_chat_member(
                chat,
                user,
                old="member" if blocked else "kicked",
                new="kicked" if blocked else "member",
            )
        return user

    # ------------------------------------------------------------------ chats

    def chat(self, chat_id: int) -> SandboxChat:
        """A chat by id; the private chat of a known user is created on demand."""
        chat = self.state.chats.get(chat_id)
        if chat is None and chat_id in self.state.users:
            chat = self.state.private_chat(chat_id)
        if chat is None:
            raise SandboxError("chat not found", 404)
        return chat

    def create_group(
        self,
        title: str,
        *,
        chat_id: int | None = None,
        type: str = "group",
        member_ids: Iterable[int] = (),
        with_bot: bool = False,
        by_user_id: int | None = None,
    ) -> SandboxChat:
        """Create a group or supergroup (negative id), optionally with the bot in it."""
        if type not in ("group", "supergroup"):
            raise SandboxError("type must be group or supergroup")
        if not title or not str(title).strip():
            raise SandboxError("title must be non-empty")
        if chat_id is None:
            while True:
                n = next(self._group_ids)
                chat_id = -(1_000_000_000_000 + n) if type == "supergroup" else -(4_000_000_000 + n)
                if chat_id not in self.state.chats:
                    break
        if chat_id >= 0:
            raise SandboxError("group ids are negative")
        if chat_id in self.state.chats:
            raise SandboxError("chat already exists", 409)
        chat = SandboxChat(id=chat_id, type=type, title=str(title))
        for user_id in member_ids:
            self._existing_or_new_user(int(user_id))
            chat.member_ids.add(int(user_id))
        self.state.chats[chat_id] = chat
        if with_bot:
            adder = by_user_id if by_user_id is not None else next(iter(sorted(chat.member_ids)), None)
            if adder is None:
                raise SandboxError("by_user_id is required to add the bot to an empty group")
            self.add_bot(chat_id, adder)
        return chat

    def add_bot(self, chat_id: int, by_user_id: int) -> StoredMessage:
        """``by_user_id`` adds the bot to a group: my_chat_member + new_chat_members message."""
        chat = self._group(chat_id)
        if chat.bot_status == "member":
            raise SandboxError("the bot is already in this group", 409)
        user = self._existing_or_new_user(by_user_id)
        chat.member_ids.add(user.id)
        old = chat.bot_status
        chat.bot_status = "member"
        self._my_chat_member(chat, user, old=old, new="member")
        message = self.state.add_message(
            chat,
            sender=user.to_api(),
            from_bot=False,
            media={"new_chat_members": [self.state.bot_user()]},
        )
        self.state.enqueue("message", self.state.message_api(chat, message))
        return message

    def remove_bot(self, chat_id: int, by_user_id: int, *, kick: bool = True) -> None:
        """``by_user_id`` removes the bot (status kicked, or left with ``kick=False``)."""
        chat = self._group(chat_id)
        if chat.bot_status != "member":
            raise SandboxError("the bot is not in this group", 409)
        user = self._existing_or_new_user(by_user_id)
        new = "kicked" if kick else "left"
        chat.bot_status = new
        self._my_chat_member(chat, user, old="member", new=new)
        # The service message is visible in the transcript; the bot no longer receives it.
        self.state.add_message(
            chat, sender=user.to_api(), from_bot=False,
            media={"left_chat_member": self.state.bot_user()},
        )

    def _group(self, chat_id: int) -> SandboxChat:
        chat = self.state.chats.get(chat_id)
        if chat is None or not chat.is_group:
            raise SandboxError("group not found", 404)
        return chat

    def _my_chat_member(self, chat: SandboxChat, user: SandboxUser, *, old: str, new: str) -> None:
        bot = self.state.bot_user()

        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"status": status, "user": bot}
            if status == "kicked":
                data["until_date"] = 0
            return data

        self.state.enqueue(
            "my_chat_member",
            {
                "chat": self.state.chat_api(chat),
                "from": user.to_api(),
                "date": now_unix(),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    # ------------------------------------------------------------------ messages

    def send(
        self,
        user_id: int,
        *,
        chat_id: int | None = None,
        kind: str = "text",
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        reply_to_message_id: int | None = None,
        emoji: str | None = None,
        data: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        duration: int | None = None,
        phone_number: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> StoredMessage:
        """Send a message as ``user_id`` (to the bot, or in group ``chat_id``)."""
        if kind not in MESSAGE_KINDS:
            raise SandboxError(f"kind must be one of {', '.join(MESSAGE_KINDS)}")
        user = self._existing_or_new_user(user_id)
        private = chat_id is None or chat_id == user_id
        if private:
            if user.blocked:  # writing to a blocked bot means restarting it first
                self.set_blocked(user_id, False)
            user.started = True
            chat = self.state.private_chat(user_id)
        else:
            chat = self._group(chat_id)  # type: ignore[arg-type]
            chat.member_ids.add(user_id)
        content: dict[str, Any] = {}
        if kind == "text":
            if text is None or not text.strip():
                raise SandboxError("text must be non-empty")
            if utf16_len(text) > 4096:
                raise SandboxError("text is longer than 4096 characters")
            if entities is not None:
                try:
                    entities = validate_entities(entities, text)
                except EntityParseError as error:
                    raise SandboxError(str(error)) from None
            else:
                entities = command_entities(text)
            content = {"text": text, "entities": entities or None}
        else:
            content = {"media": self._media(user, kind, emoji=emoji, data=data, file_name=file_name,
                                            mime_type=mime_type, duration=duration,
                                            phone_number=phone_number, latitude=latitude,
                                            longitude=longitude)}
            if caption and kind in ("photo", "document", "voice"):
                content["caption"] = caption
        if reply_to_message_id is not None:
            target = chat.by_id.get(reply_to_message_id)
            if target is None or target.deleted:
                raise SandboxError("message to reply to not found", 404)
            content["reply_to_message_id"] = reply_to_message_id
        message = self.state.add_message(chat, sender=user.to_api(), from_bot=False, **content)
        if self._bot_receives(chat, message):
            self.state.enqueue("message", self.state.message_api(chat, message))
        return message

    def _bot_receives(self, chat: SandboxChat, message: StoredMessage) -> bool:
        if not chat.is_group:
            return True
        if chat.bot_status != "member":
            return False
        if not self.state.group_privacy:
            return True
        text = message.text or ""
        if text.startswith("/"):
            return True
        if f"@{self.state.bot_username}".lower() in text.lower():
            return True
        if message.reply_to_message_id is not None:
            target = chat.by_id.get(message.reply_to_message_id)
            return target is not None and target.from_bot
        return False

    def _media(self, user: SandboxUser, kind: str, **opts: Any) -> dict[str, Any]:
        state = self.state
        if kind == "contact":
            return {
                "contact": {
                    "phone_number": opts.get("phone_number") or "+8613800000000",
                    "first_name": user.first_name,
                    **({"last_name": user.last_name} if user.last_name else {}),
                    "user_id": user.id,
                }
            }
        if kind == "location":
            return {
                "location": {
                    "latitude": opts.get("latitude") if opts.get("latitude") is not None else 39.9042,
                    "longitude": opts.get("longitude") if opts.get("longitude") is not None else 116.4074,
                }
            }
        data: bytes | None = opts.get("data")
        file_name = opts.get("file_name")
        if kind == "sticker":
            stored = state.store_file(data or PLACEHOLDER_WEBP, folder="stickers", mime_type="image/webp", extension="webp")
            return {
                "sticker": {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": opts.get("emoji") or "👍",
                    "set_name": "SandboxStickers",
                    "file_size": stored.file_size,
                }
            }
        if kind == "photo":
            data = data or TINY_PNG
            stored = state.store_file(data, folder="photos", mime_type=guess_mime(file_name, data), extension="jpg")
            width, height = image_size(data) or (320, 320)
            return {
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
        if kind == "voice":
            stored = state.store_file(data or PLACEHOLDER_OGG, folder="voice", mime_type="audio/ogg", extension="oga")
            return {
                "voice": {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "duration": int(opts.get("duration") or 3),
                    "mime_type": "audio/ogg",
                    "file_size": stored.file_size,
                }
            }
        # document
        data = data if data is not None else "sandbox document\n".encode()
        file_name = file_name or "document.txt"
        mime_type = opts.get("mime_type") or guess_mime(file_name, data)
        stored = state.store_file(data, folder="documents", file_name=file_name, mime_type=mime_type)
        return {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": stored.file_size,
            }
        }

    # ------------------------------------------------------------------ buttons

    def press(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        *,
        chat_id: int | None = None,
        button_text: str | None = None,
        forge: bool = False,
    ) -> CallbackRecord:
        """Press an inline button: queues a callback_query update.

        Unless ``forge`` is true, the message must exist and its *current*
        keyboard must have a button with this callback_data (or, with
        ``button_text``, a callback button whose text contains it).
        """
        if data is None and button_text is None:
            raise SandboxError("data or button_text is required")
        user = self._existing_or_new_user(user_id)
        chat = self.chat(chat_id if chat_id is not None else user_id)
        message = chat.by_id.get(message_id)
        if message is not None and message.deleted:
            message = None
        if not forge:
            if message is None:
                raise SandboxError("message not found", 404)
            buttons = callback_buttons(message.reply_markup)
            if button_text is not None:
                matching = [b for b in buttons if button_text in b["text"]]
                if not matching:
                    raise SandboxError(f"no callback button containing {button_text!r} on this message", 409)
                data = matching[0]["callback_data"]
            if not any(b["callback_data"] == data for b in buttons):
                raise SandboxError("no button with this callback_data on the message's current keyboard", 409)
        if data is None:
            raise SandboxError("forge=true needs data")
        if chat.is_group:
            chat.member_ids.add(user_id)
        record = self.state.new_callback(user_id, chat.id, message_id, data, forge)
        if message is not None:
            message_obj = self.state.message_api(chat, message)
            message.callbacks.append(record)
            self.state.touch(chat)
        else:
            message_obj = {"chat": self.state.chat_api(chat), "message_id": message_id, "date": 0}
        self.state.enqueue(
            "callback_query",
            {
                "id": record.id,
                "from": user.to_api(),
                "message": message_obj,
                "chat_instance": chat.chat_instance,
                "data": data,
            },
        )
        return record

    # ------------------------------------------------------------------ reading

    def transcript(self, chat_id: int) -> dict[str, Any]:
        """The chat and all its messages (both sides, in order, deleted ones flagged)."""
        chat = self.chat(chat_id)
        return {"chat": self.chat_json(chat), "messages": [m.to_json() for m in chat.messages]}

    def chat_json(self, chat: SandboxChat) -> dict[str, Any]:
        data = self.state.chat_api(chat)
        data.update(
            bot_status=chat.bot_status,
            member_ids=sorted(chat.member_ids),
            version=chat.version,
            reply_keyboard=chat.reply_keyboard,
            message_count=len(chat.messages),
        )
        return data

    def bot_messages_after(self, chat: SandboxChat, after: int, contains: str | None = None) -> list[StoredMessage]:
        return [
            m
            for m in chat.messages
            if m.from_bot and m.message_id > after and not m.deleted
            and (contains is None or contains in m.content)
        ]
