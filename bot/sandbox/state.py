"""The sandbox's in-memory world: users, chats, messages, the update queue,
callback queries, uploaded files and the send log.

Everything here is plain Python, driven by :mod:`.api` (the bot side) and
:mod:`.actions` (the user side). It renders Telegram objects (``User``,
``Chat``, ``Message``, ``Update`` ...) as the dicts the Bot API returns.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .limits import RateLimiter

DEFAULT_BOT_ID = 1000000001
DEFAULT_BOT_USERNAME = "xianfeng_sandbox_bot"
DEFAULT_BOT_FIRST_NAME = "Xianfeng Sandbox"

#: Update types delivered when allowed_updates is empty or never set (Telegram's default).
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post",
        "business_connection", "business_message", "edited_business_message",
        "deleted_business_messages", "inline_query", "chosen_inline_result",
        "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media",
        "poll", "poll_answer", "my_chat_member", "chat_join_request", "chat_boost",
        "removed_chat_boost",
    }
)


def now_unix() -> int:
    return int(time.time())


#: 2020-01-01 UTC: update ids count milliseconds from here (about 2e11 in 2026).
UPDATE_ID_EPOCH = 1_577_836_800


def first_update_id() -> int:
    """Where a new sandbox starts numbering updates: the milliseconds since UPDATE_ID_EPOCH.

    Telegram never hands a bot an update id it has already used (within a week), and the bot
    remembers the ids it handled for days (models/updates.py), so a sandbox restarted on the
    same database must not start again at 1: the bot would ignore everything as duplicates.
    A later run starts past every id of an earlier one unless that run sent more than a
    thousand updates a second on average."""
    return int((time.time() - UPDATE_ID_EPOCH) * 1000)


class Notifier:
    """Wakes up every coroutine waiting in :meth:`wait` when :meth:`notify` is called."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    async def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a notification; ``True`` if one came."""
        if timeout <= 0:
            return False
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(fut)
        try:
            await asyncio.wait_for(fut, timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            self._waiters.discard(fut)

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for fut in waiters:
            if not fut.done():
                try:
                    fut.set_result(None)
                except RuntimeError:  # its loop is closed
                    pass


# --------------------------------------------------------------------------- records


@dataclass
class SandboxUser:
    """A Telegram user on the user side of the sandbox."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_premium: bool = False
    #: The user has a private chat with the bot (wrote to it, or was pre-registered).
    started: bool = False
    #: The user blocked the bot: sends to them fail with 403.
    blocked: bool = False

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        if self.is_premium:
            data["is_premium"] = True
        return data

    def to_json(self) -> dict[str, Any]:
        """The user-side view (adds started/blocked)."""
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
            "started": self.started,
            "blocked": self.blocked,
        }


@dataclass
class CallbackRecord:
    """One press of an inline button and the bot's answer to it."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    forged: bool = False
    created: float = field(default_factory=time.monotonic)
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "callback_query_id": self.id,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "data": self.data,
            "forged": self.forged,
            "answered": self.answered,
            "text": self.text,
            "show_alert": self.show_alert,
            "url": self.url,
        }


@dataclass
class StoredMessage:
    """A message in a chat, from the bot or from a user."""

    message_id: int
    chat_id: int
    date: int
    sender: dict[str, Any]
    from_bot: bool
    text: str | None = None
    entities: list[dict[str, Any]] | None = None
    caption: str | None = None
    caption_entities: list[dict[str, Any]] | None = None
    #: Extra Message fields: sticker, photo, voice, document, contact, location,
    #: new_chat_members, left_chat_member ...
    media: dict[str, Any] = field(default_factory=dict)
    #: Inline keyboard only (Telegram returns no other kind in Message.reply_markup).
    reply_markup: dict[str, Any] | None = None
    #: A reply keyboard / remove / force_reply sent with the message (user side only).
    reply_keyboard: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    #: The text as the bot sent it, before parsing (HTML source), for debugging.
    source: str | None = None
    parse_mode: str | None = None
    edit_date: int | None = None
    edit_count: int = 0
    deleted: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[CallbackRecord] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.text is not None:
            return "text"
        for name in (
            "photo", "document", "sticker", "voice", "video", "audio", "animation",
            "contact", "location", "new_chat_members", "left_chat_member",
        ):
            if name in self.media:
                return name
        return "other"

    @property
    def content(self) -> str:
        """Text or caption ('' if neither)."""
        return self.text if self.text is not None else (self.caption or "")

    def to_api(
        self, chat: dict[str, Any], reply_to: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The Bot API ``Message`` object."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": chat,
            "date": self.date,
        }
        if reply_to is not None:
            data["reply_to_message"] = reply_to
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        data.update(self.media)
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        if self.reply_markup is not None:
            data["reply_markup"] = self.reply_markup
        return data

    def to_json(self) -> dict[str, Any]:
        """The transcript view used by the user side and the chat page."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "date": self.date,
            "from_bot": self.from_bot,
            "from": self.sender,
            "kind": self.kind,
            "text": self.text,
            "entities": self.entities or [],
            "caption": self.caption,
            "caption_entities": self.caption_entities or [],
            "media": self.media,
            "reply_markup": self.reply_markup,
            "reply_keyboard": self.reply_keyboard,
            "reply_to_message_id": self.reply_to_message_id,
            "source": self.source,
            "parse_mode": self.parse_mode,
            "edited": self.edit_count > 0,
            "edit_count": self.edit_count,
            "history": self.history,
            "deleted": self.deleted,
            "callback_answers": [c.to_json() for c in self.callbacks],
        }


@dataclass
class SandboxChat:
    """A private chat with a user, or a group."""

    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    user_id: int | None = None
    #: The bot's membership in a group: member | left | kicked.
    bot_status: str = "left"
    member_ids: set[int] = field(default_factory=set)
    messages: list[StoredMessage] = field(default_factory=list)
    by_id: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    #: The reply keyboard the bot last showed here (None: the normal text input).
    reply_keyboard: dict[str, Any] | None = None
    #: Incremented on any change (new message, edit, delete, callback answer).
    version: int = 0
    notifier: Notifier = field(default_factory=Notifier)

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    @property
    def chat_instance(self) -> str:
        return str(int(hashlib.sha1(str(self.id).encode()).hexdigest()[:15], 16))


@dataclass
class PendingUpdate:
    update_id: int
    type: str
    payload: dict[str, Any]

    def to_api(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.type: self.payload}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``File`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass
class SendRecord:
    """One attempt of a send*/edit* method, accepted or not."""

    t: float  # time.monotonic()
    chat_id: int | str | None
    method: str
    outcome: str  # "ok" | "429" | "403" | "400" | ...
    message_id: int | None = None
    text: str | None = None
    description: str | None = None
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "chat_id": self.chat_id,
            "method": self.method,
            "outcome": self.outcome,
            "message_id": self.message_id,
            "text": self.text,
            "description": self.description,
            "retry_after": self.retry_after,
        }


SEND_METHODS = ("sendMessage", "sendDocument", "sendPhoto")


class SendLog:
    """Every send*/edit* attempt in order, with helpers for limit and duplicate checks."""

    def __init__(self) -> None:
        self.records: list[SendRecord] = []

    def append(self, record: SendRecord) -> None:
        self.records.append(record)

    def clear(self) -> None:
        self.records.clear()

    def __iter__(self) -> Iterator[SendRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> SendRecord:
        return self.records[index]

    def accepted(self, methods: Iterable[str] | None = None) -> list[SendRecord]:
        """Accepted attempts, optionally only of the given methods."""
        wanted = set(methods) if methods is not None else None
        return [r for r in self.records if r.ok and (wanted is None or r.method in wanted)]

    def max_in_window(
        self,
        window: float = 1.0,
        *,
        chat_id: int | None = None,
        methods: Iterable[str] | None = None,
    ) -> int:
        """Most accepted sends inside any half-open window ``[t, t + window)``."""
        times = sorted(
            r.t for r in self.accepted(methods) if chat_id is None or r.chat_id == chat_id
        )
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while times[lo] <= t - window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    def max_per_chat_in_window(
        self, window: float = 1.0, methods: Iterable[str] | None = None
    ) -> dict[int | str | None, int]:
        """``max_in_window`` for every chat that received something."""
        chats = {r.chat_id for r in self.accepted(methods)}
        return {c: self.max_in_window(window, chat_id=c, methods=methods) for c in chats}  # type: ignore[arg-type]

    def duplicates(
        self, methods: Iterable[str] = SEND_METHODS
    ) -> list[tuple[int | str | None, str | None, int]]:
        """(chat_id, text, count) for every text delivered more than once to the same chat."""
        counts: dict[tuple[Any, Any], int] = {}
        for r in self.accepted(methods):
            counts[(r.chat_id, r.text)] = counts.get((r.chat_id, r.text), 0) + 1
        return [(c, t, n) for (c, t), n in counts.items() if n > 1]


@dataclass
class WebhookConfig:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    token: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


# --------------------------------------------------------------------------- the world


class SandboxState:
    """The whole sandbox world. One instance per server."""

    def __init__(
        self,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = DEFAULT_BOT_FIRST_NAME,
        bot_id: int = DEFAULT_BOT_ID,
        enforce_limits: bool = False,
        global_rate: int = 30,
        per_chat_interval: float = 1.0,
        group_per_minute: int = 20,
        group_privacy: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        #: The bot's user id: the digits of the last token seen, else this default.
        self.bot_id = bot_id
        #: Privacy mode: in groups the bot only receives commands, replies to it and mentions.
        self.group_privacy = group_privacy
        self.clock = clock
        self.limiter = RateLimiter(
            enabled=enforce_limits,
            global_rate=global_rate,
            per_chat_interval=per_chat_interval,
            group_per_minute=group_per_minute,
            clock=clock,
        )
        #: Woken when an update is queued or polling must stop (getUpdates, webhook worker).
        self.update_notifier = Notifier()
        #: Woken when a callback query is answered.
        self.callback_notifier = Notifier()
        self.closing = False
        # Bot configuration (survives reset()).
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook = WebhookConfig()
        #: Update ids only ever grow, even across reset(), so a running poller's offset stays valid;
        #: and, like Telegram's, they are not reused by the next run (see first_update_id).
        self.next_update_id = first_update_id()
        self._callback_ids = itertools.count(int.from_bytes(secrets.token_bytes(5), "big") << 12)
        self._file_counter = itertools.count(1)
        #: Bumped by every getUpdates call: an older waiting call gets 409 Conflict.
        self.poll_generation = 0
        #: Every send*/edit* attempt (kept as the same object across reset()).
        self.send_log = SendLog()
        self._reset_world()

    def _reset_world(self) -> None:
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, SandboxChat] = {}
        self.updates: deque[PendingUpdate] = deque()
        self.callbacks: dict[str, CallbackRecord] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.send_log.clear()
        self.left_chats: list[int] = []

    def reset(self) -> None:
        """Forget users, chats, updates, callbacks, files and the send log.

        Bot identity and configuration (commands, webhook, allowed_updates) and the
        limits settings stay; update ids keep growing.
        """
        self.update_notifier.notify()
        for chat in self.chats.values():
            chat.notifier.notify()
        self._reset_world()
        self.limiter.clear()
        self.update_notifier.notify()

    def close(self) -> None:
        """Release every long poll (server shutdown)."""
        self.closing = True
        self.update_notifier.notify()
        self.callback_notifier.notify()
        for chat in self.chats.values():
            chat.notifier.notify()

    # ------------------------------------------------------------------ bot identity

    def bot_user(self, *, full: bool = False) -> dict[str, Any]:
        """The bot's ``User`` object (``full`` adds the getMe-only fields)."""
        data: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }
        if full:
            data.update(
                can_join_groups=True,
                can_read_all_group_messages=not self.group_privacy,
                supports_inline_queries=False,
                can_connect_to_business=False,
                has_main_web_app=False,
            )
        return data

    # ------------------------------------------------------------------ users and chats

    def upsert_user(self, user_id: int, **fields: Any) -> SandboxUser:
        """Create a user or update the given fields (``None`` values are ignored)."""
        user = self.users.get(user_id)
        fields = {k: v for k, v in fields.items() if v is not None}
        if user is None:
            fields.setdefault("first_name", f"User {user_id}")
            user = SandboxUser(id=user_id, **fields)
            self.users[user_id] = user
        else:
            for key, value in fields.items():
                setattr(user, key, value)
        if user.started:
            self.private_chat(user_id)
        return user

    def private_chat(self, user_id: int) -> SandboxChat:
        """The private chat with ``user_id`` (created on first use)."""
        chat = self.chats.get(user_id)
        if chat is None:
            chat = SandboxChat(id=user_id, type="private", user_id=user_id, bot_status="member")
            chat.member_ids.add(user_id)
            self.chats[user_id] = chat
        return chat

    def chat_api(self, chat: SandboxChat) -> dict[str, Any]:
        """The Bot API ``Chat`` object."""
        if chat.type == "private":
            user = self.users.get(chat.user_id or chat.id)
            data: dict[str, Any] = {"id": chat.id, "type": "private"}
            if user is not None:
                data["first_name"] = user.first_name
                if user.last_name:
                    data["last_name"] = user.last_name
                if user.username:
                    data["username"] = user.username
            else:
                data["first_name"] = f"User {chat.id}"
            return data
        data = {"id": chat.id, "type": chat.type, "title": chat.title or str(chat.id)}
        if chat.type == "group":
            data["all_members_are_administrators"] = False
        return data

    def find_chat(self, chat_id: int | str) -> SandboxChat | None:
        """A chat by id or ``@username`` (private chats only have usernames here)."""
        if isinstance(chat_id, str):
            name = chat_id.lstrip("@").lower()
            for user in self.users.values():
                if user.username and user.username.lower() == name and user.id in self.chats:
                    return self.chats[user.id]
            return None
        return self.chats.get(chat_id)

    # ------------------------------------------------------------------ messages

    def add_message(
        self, chat: SandboxChat, *, sender: dict[str, Any], from_bot: bool, **content: Any
    ) -> StoredMessage:
        """Append a message to ``chat`` with the chat's next message id."""
        msg = StoredMessage(
            message_id=chat.next_message_id,
            chat_id=chat.id,
            date=now_unix(),
            sender=sender,
            from_bot=from_bot,
            **content,
        )
        chat.next_message_id += 1
        chat.messages.append(msg)
        chat.by_id[msg.message_id] = msg
        self.touch(chat)
        return msg

    def message_api(self, chat: SandboxChat, msg: StoredMessage, *, nested: bool = True) -> dict[str, Any]:
        """The Bot API ``Message`` for a stored message (with its reply_to_message)."""
        reply_to = None
        if nested and msg.reply_to_message_id is not None:
            target = chat.by_id.get(msg.reply_to_message_id)
            if target is not None and not target.deleted:
                reply_to = self.message_api(chat, target, nested=False)
        return msg.to_api(self.chat_api(chat), reply_to)

    def touch(self, chat: SandboxChat) -> None:
        """Mark a chat changed and wake whoever waits on it."""
        chat.version += 1
        chat.notifier.notify()

    # ------------------------------------------------------------------ updates

    def enqueue(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue an update; returns its id, or ``None`` when allowed_updates excludes it."""
        if kind not in self.allowed_updates:
            return None
        update = PendingUpdate(self.next_update_id, kind, payload)
        self.next_update_id += 1
        self.updates.append(update)
        self.update_notifier.notify()
        return update.update_id

    def set_allowed_updates(self, value: list[str] | None) -> None:
        """Apply an ``allowed_updates`` parameter (``None`` keeps the previous setting)."""
        if value is None:
            return
        self.allowed_updates = frozenset(value) if value else DEFAULT_UPDATE_TYPES
        kept = [u for u in self.updates if u.type in self.allowed_updates]
        self.updates = deque(kept)

    def confirm_updates(self, offset: int) -> None:
        """Forget updates before ``offset``; a negative offset keeps only the last ``-offset``."""
        if offset < 0:
            keep = -offset
            while len(self.updates) > keep:
                self.updates.popleft()
            return
        while self.updates and self.updates[0].update_id < offset:
            self.updates.popleft()

    def drop_pending_updates(self) -> None:
        self.updates.clear()

    # ------------------------------------------------------------------ callbacks

    def new_callback(
        self, user_id: int, chat_id: int, message_id: int, data: str, forged: bool
    ) -> CallbackRecord:
        record = CallbackRecord(
            id=str(next(self._callback_ids)),
            user_id=user_id,
            chat_id=chat_id,
            message_id=message_id,
            data=data,
            forged=forged,
        )
        self.callbacks[record.id] = record
        return record

    # ------------------------------------------------------------------ files

    def store_file(
        self,
        data: bytes,
        *,
        folder: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        extension: str | None = None,
    ) -> StoredFile:
        """Keep uploaded bytes and give them a file_id, file_unique_id and file_path."""
        n = next(self._file_counter)
        if extension is None:
            extension = file_name.rsplit(".", 1)[1] if file_name and "." in file_name else "bin"
        stored = StoredFile(
            file_id=f"SBX{folder[:2].upper()}{n:06d}{secrets.token_urlsafe(18)}",
            file_unique_id=f"SBXU{n:04d}{secrets.token_urlsafe(5)}",
            file_path=f"{folder}/file_{n}.{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored
