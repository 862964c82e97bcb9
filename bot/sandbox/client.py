"""An async Python client of the sandbox's user side, for tests and benchmarks.

::

    async with SandboxClient(sandbox.url) as c:
        await c.user(1001, first_name="张三", language_code="zh-hans")
        mid = await c.send_text(1001, "/start")
        reply = await c.wait_for_bot_message(1001, after_message_id=mid, contains="欢迎")
        await c.press_button(1001, "报到")

Message dicts are transcript entries: ``message_id``, ``from_bot``, ``text``,
``caption``, ``entities``, ``reply_markup``, ``edited``, ``deleted``,
``callback_answers`` ... (see :meth:`StoredMessage.to_json`).
"""

from __future__ import annotations

import asyncio
import base64
import json as _json
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp


class SandboxClientError(Exception):
    """The sandbox refused a user-side request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class SandboxTimeout(asyncio.TimeoutError):
    """Waiting for something in a chat timed out."""


def message_content(message: dict[str, Any]) -> str:
    """Text or caption of a transcript message ('' if none)."""
    return message.get("text") or message.get("caption") or ""


def inline_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """All inline buttons of a transcript message, row by row."""
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


class SandboxClient:
    """Acts as Telegram users against a running sandbox (``base_url`` = ``SandboxServer.url``)."""

    def __init__(
        self,
        base_url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        default_timeout: float = 5.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_url = f"{self.base_url}/sandbox/api"
        self.default_timeout = default_timeout
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session (if the client created it)."""
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(trust_env=False)
            self._own_session = True
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Call a user-side endpoint (path relative to ``/sandbox/api``); raise on errors."""
        if json is None and method == "POST":
            json = {}
        query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (params or {}).items() if v is not None}
        client_timeout = aiohttp.ClientTimeout(total=(timeout or 0) + 10.0)
        async with self._http().request(
            method, f"{self.api_url}{path}", json=json, params=query, timeout=client_timeout
        ) as response:
            raw = await response.text()
            try:
                data = _json.loads(raw) if raw else None
            except ValueError:
                data = None
            if response.status >= 400:
                message = data.get("error") if isinstance(data, dict) else raw[:200]
                raise SandboxClientError(response.status, message or response.reason or "")
            if data is None:
                raise SandboxClientError(response.status, f"not a JSON answer: {raw[:200]!r}")
            return data

    # ------------------------------------------------------------------ sandbox

    async def info(self) -> dict[str, Any]:
        """Bot identity, limits, webhook URL and counts."""
        return await self.request("GET", "/info")

    async def reset(self) -> None:
        """Forget users, chats, updates, files and the send log."""
        await self.request("POST", "/reset")

    async def limits(self) -> dict[str, Any]:
        """Current limits: ``enforce``, ``global_rate``, ``per_chat_interval``, ``group_per_minute``."""
        return await self.request("GET", "/limits")

    async def set_limits(
        self,
        enforce: bool | None = None,
        *,
        global_rate: int | None = None,
        per_chat_interval: float | None = None,
        group_per_minute: int | None = None,
    ) -> dict[str, Any]:
        """Switch limits on/off or change them (``None`` keeps a value)."""
        body = {
            "enforce": enforce,
            "global_rate": global_rate,
            "per_chat_interval": per_chat_interval,
            "group_per_minute": group_per_minute,
        }
        return await self.request("POST", "/limits", json={k: v for k, v in body.items() if v is not None})

    async def send_log(self, since: int = 0) -> list[dict[str, Any]]:
        """Send attempts (``t``, ``chat_id``, ``method``, ``outcome``, ``message_id``, ``text``)."""
        return (await self.request("GET", "/send_log", params={"since": since}))["entries"]

    async def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued for the bot and not yet confirmed."""
        return (await self.request("GET", "/updates"))["pending"]

    # ------------------------------------------------------------------ users

    async def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        started: bool | None = None,
    ) -> dict[str, Any]:
        """Create or update a user. ``started=True`` makes the bot able to message them now."""
        body: dict[str, Any] = {"id": user_id}
        for key, value in (
            ("first_name", first_name),
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
            ("started", started),
        ):
            if value is not None:
                body[key] = value
        return await self.request("POST", "/users", json=body)

    async def get_user(self, user_id: int) -> dict[str, Any]:
        """A user (with ``started`` and ``blocked``)."""
        return await self.request("GET", f"/users/{user_id}")

    async def start(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        code: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
    ) -> int:
        """Create/update the user and send ``/start`` (or ``/start CODE``, as a deep link does).

        Returns the message_id of the ``/start`` message.
        """
        await self.user(user_id, first_name, language_code=language_code, username=username)
        return await self.send_text(user_id, f"/start {code}" if code else "/start")

    async def users(self) -> list[dict[str, Any]]:
        """All users."""
        return (await self.request("GET", "/users", params={"limit": 1_000_000}))["users"]

    async def bulk_users(
        self,
        users: Iterable[dict[str, Any]] | None = None,
        *,
        start_id: int | None = None,
        count: int = 0,
        language_code: str | None = None,
        started: bool = True,
    ) -> int:
        """Register many users quickly (as having started the bot by default)."""
        body: dict[str, Any] = {"count": count, "started": started}
        if users is not None:
            body["users"] = list(users)
        if start_id is not None:
            body["start_id"] = start_id
        if language_code is not None:
            body["language_code"] = language_code
        return (await self.request("POST", "/users/bulk", json=body))["registered"]

    async def block(self, user_id: int, blocked: bool = True) -> dict[str, Any]:
        """Mark that the user blocked the bot (the bot gets a my_chat_member update)."""
        return await self.request("POST", f"/users/{user_id}/block", json={"blocked": blocked})

    async def unblock(self, user_id: int) -> dict[str, Any]:
        """Undo :meth:`block`."""
        return await self.block(user_id, False)

    # ------------------------------------------------------------------ sending

    async def send(self, user_id: int, *, chat_id: int | None = None, **fields: Any) -> dict[str, Any]:
        """Send any kind of message (``kind=text|sticker|photo|voice|document|contact|location``)."""
        if isinstance(fields.get("data"), (bytes, bytearray)):
            fields["data_base64"] = base64.b64encode(fields.pop("data")).decode()
        body = {k: v for k, v in fields.items() if v is not None}
        if chat_id is None or chat_id == user_id:
            return await self.request("POST", f"/users/{user_id}/messages", json=body)
        return await self.request("POST", f"/chats/{chat_id}/messages", json={"user_id": user_id, **body})

    async def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
        reply_to_message_id: int | None = None,
    ) -> int:
        """Send text as the user (``/start CODE`` gets its bot_command entity). Returns message_id."""
        message = await self.send(
            user_id, chat_id=chat_id, kind="text", text=text, entities=entities,
            reply_to_message_id=reply_to_message_id,
        )
        return message["message_id"]

    async def send_sticker(self, user_id: int, emoji: str = "👍", *, chat_id: int | None = None) -> int:
        """Send a sticker. Returns message_id."""
        return (await self.send(user_id, chat_id=chat_id, kind="sticker", emoji=emoji))["message_id"]

    async def send_photo(
        self, user_id: int, data: bytes | None = None, *, caption: str | None = None, chat_id: int | None = None
    ) -> int:
        """Send a photo (a 1x1 PNG unless ``data`` is given). Returns message_id."""
        return (await self.send(user_id, chat_id=chat_id, kind="photo", data=data, caption=caption))["message_id"]

    async def send_voice(self, user_id: int, duration: int = 3, *, chat_id: int | None = None) -> int:
        """Send a voice note. Returns message_id."""
        return (await self.send(user_id, chat_id=chat_id, kind="voice", duration=duration))["message_id"]

    async def send_document(
        self,
        user_id: int,
        data: bytes = b"sandbox document\n",
        file_name: str = "document.txt",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> int:
        """Send a document. Returns message_id."""
        message = await self.send(
            user_id, chat_id=chat_id, kind="document", data=data, file_name=file_name,
            mime_type=mime_type, caption=caption,
        )
        return message["message_id"]

    async def send_contact(self, user_id: int, phone_number: str, *, chat_id: int | None = None) -> int:
        """Share a contact (the user's own). Returns message_id."""
        return (await self.send(user_id, chat_id=chat_id, kind="contact", phone_number=phone_number))["message_id"]

    # ------------------------------------------------------------------ buttons

    async def press(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        forge: bool = False,
    ) -> str:
        """Press the inline button with ``data`` on ``message_id``; returns the callback_query_id.

        The button must be on the message's current keyboard unless ``forge=True``.
        """
        record = await self.request(
            "POST",
            f"/chats/{chat_id if chat_id is not None else user_id}/press",
            json={"user_id": user_id, "message_id": message_id, "data": data, "forge": forge},
        )
        return record["callback_query_id"]

    async def press_button(self, user_id: int, text: str, *, chat_id: int | None = None) -> str:
        """Press the button whose text contains ``text`` on the newest bot message that has one.

        Returns the callback_query_id. URL buttons can't be pressed this way.
        """
        chat = chat_id if chat_id is not None else user_id
        for message in reversed(await self.transcript(chat)):
            if not message["from_bot"] or message["deleted"]:
                continue
            for button in inline_buttons(message):
                if text in button["text"] and "callback_data" in button:
                    return await self.press(user_id, message["message_id"], button["callback_data"], chat_id=chat)
        raise SandboxClientError(404, f"no bot message in chat {chat} has a button containing {text!r}")

    async def callback_answer(self, callback_query_id: str, timeout: float | None = None) -> dict[str, Any]:
        """Wait until the bot answers the callback; returns ``answered``, ``text``, ``show_alert``, ``url``.

        Raises :class:`SandboxTimeout` if it is not answered in time.
        """
        timeout = self.default_timeout if timeout is None else timeout
        record = await self.request(
            "GET", f"/callbacks/{callback_query_id}", params={"timeout": timeout}, timeout=timeout
        )
        if not record["answered"]:
            raise SandboxTimeout(f"callback {callback_query_id} was not answered within {timeout}s")
        return record

    # ------------------------------------------------------------------ groups

    async def create_group(
        self,
        title: str,
        *,
        member_ids: Iterable[int] = (),
        chat_id: int | None = None,
        type: str = "group",
        with_bot: bool = False,
        by_user_id: int | None = None,
    ) -> dict[str, Any]:
        """Create a group (negative id); ``with_bot=True`` adds the bot right away."""
        body: dict[str, Any] = {"title": title, "member_ids": list(member_ids), "type": type, "with_bot": with_bot}
        if chat_id is not None:
            body["id"] = chat_id
        if by_user_id is not None:
            body["by_user_id"] = by_user_id
        return await self.request("POST", "/groups", json=body)

    async def add_bot_to_group(self, chat_id: int, by_user_id: int) -> dict[str, Any]:
        """The user adds the bot to the group (my_chat_member + new_chat_members updates)."""
        return await self.request("POST", f"/groups/{chat_id}/bot", json={"by_user_id": by_user_id})

    async def remove_bot_from_group(self, chat_id: int, by_user_id: int, *, kick: bool = True) -> dict[str, Any]:
        """The user removes the bot from the group (my_chat_member update)."""
        return await self.request(
            "DELETE", f"/groups/{chat_id}/bot", params={"by_user_id": by_user_id, "kick": kick}
        )

    # ------------------------------------------------------------------ reading

    async def chat(self, chat_id: int) -> dict[str, Any]:
        """``{"chat": ..., "messages": [...]}``."""
        return await self.request("GET", f"/chats/{chat_id}")

    async def transcript(self, chat_id: int) -> list[dict[str, Any]]:
        """All messages of a chat from both sides, oldest first (deleted ones flagged)."""
        return (await self.chat(chat_id))["messages"]

    async def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """The bot's messages in a chat, oldest first."""
        return [
            m for m in await self.transcript(chat_id)
            if m["from_bot"] and (include_deleted or not m["deleted"])
        ]

    async def last_bot_message(self, chat_id: int) -> dict[str, Any] | None:
        """The newest non-deleted bot message, or ``None``."""
        messages = await self.bot_messages(chat_id)
        return messages[-1] if messages else None

    async def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """One message of the transcript (current state)."""
        for message in await self.transcript(chat_id):
            if message["message_id"] == message_id:
                return message
        raise SandboxClientError(404, f"message {message_id} not found in chat {chat_id}")

    async def wait_for_bot_message(
        self,
        chat_id: int,
        after_message_id: int | None = None,
        contains: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Wait for the first bot message newer than ``after_message_id`` (containing ``contains``).

        With ``after_message_id=None`` it waits for a reply to the chat's latest user
        message (i.e. after that message). Raises :class:`SandboxTimeout` with the
        chat's recent messages in the error text.
        """
        timeout = self.default_timeout if timeout is None else timeout
        if after_message_id is None:
            user_messages = [m for m in await self.transcript(chat_id) if not m["from_bot"]]
            after_message_id = user_messages[-1]["message_id"] if user_messages else 0
        result = await self.request(
            "GET",
            f"/chats/{chat_id}/wait",
            params={"after": after_message_id, "contains": contains, "timeout": timeout},
            timeout=timeout,
        )
        if result["messages"]:
            return result["messages"][0]
        raise SandboxTimeout(
            f"no bot message after #{after_message_id}"
            + (f" containing {contains!r}" if contains else "")
            + f" in chat {chat_id} within {timeout}s; recent: {await self._recent(chat_id)}"
        )

    async def wait_until(
        self,
        chat_id: int,
        predicate: Callable[[list[dict[str, Any]]], Any],
        timeout: float | None = None,
    ) -> Any:
        """Wait until ``predicate(transcript)`` is truthy; returns its value.

        Re-checks on every change of the chat (new message, edit, delete, callback answer).
        """
        timeout = self.default_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        chat = await self.chat(chat_id)
        version = chat["chat"]["version"]
        while True:
            value = predicate(chat["messages"])
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise SandboxTimeout(
                    f"condition not met in chat {chat_id} within {timeout}s; recent: {await self._recent(chat_id)}"
                )
            result = await self.request(
                "GET", f"/chats/{chat_id}/wait", params={"version": version, "timeout": remaining},
                timeout=remaining,
            )
            version = result["version"]
            if result.get("chat") is not None:
                chat = result

    async def wait_for_edit(
        self, chat_id: int, message_id: int, *, contains: str | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """Wait until the bot edits ``message_id`` (so that it contains ``contains``)."""
        def edited(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
            for message in messages:
                if message["message_id"] == message_id and message["edited"]:
                    if contains is None or contains in message_content(message):
                        return message
            return None

        return await self.wait_until(chat_id, edited, timeout)

    async def _recent(self, chat_id: int, n: int = 5) -> list[str]:
        try:
            messages = await self.transcript(chat_id)
        except SandboxClientError:
            return []
        return [
            f"#{m['message_id']} {'bot' if m['from_bot'] else 'user'}: {message_content(m)[:80]!r}"
            for m in messages[-n:]
        ]
