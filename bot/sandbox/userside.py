"""The user side: a JSON API under ``/sandbox/api/`` for tests, benchmarks and
the chat page. It acts as Telegram users and reads what the bot did.

Successful calls answer with a JSON object; refusals with
``{"error": "..."}`` and a 4xx status. POST bodies must be JSON
(``Content-Type: application/json``), which also keeps other web sites from
driving the sandbox through a visitor's browser.

Endpoints (``{id}`` is a user or chat id):

=======  ==============================================  =====================================
GET      /sandbox/api/info                               bot, limits, webhook, counts
POST     /sandbox/api/reset                              forget everything but bot and limits
GET      /sandbox/api/users                              list users (``?limit=&offset=``)
POST     /sandbox/api/users                              create/update {id, first_name, ...}
POST     /sandbox/api/users/bulk                         {users: [...]} or {start_id, count}
GET      /sandbox/api/users/{id}                         one user
POST     /sandbox/api/users/{id}/block                   {blocked: true|false}
POST     /sandbox/api/users/{id}/messages                send as the user to the bot
GET      /sandbox/api/chats                              list chats
GET      /sandbox/api/chats/{id}                         transcript {chat, messages}
POST     /sandbox/api/chats/{id}/messages                send in a chat {user_id, kind, text...}
POST     /sandbox/api/chats/{id}/press                   {user_id, message_id, data|button_text, forge}
GET      /sandbox/api/chats/{id}/wait                    ``?after=<message_id>`` new bot messages,
                                                         or ``?version=<v>`` any change; ``&timeout=``
POST     /sandbox/api/groups                             {title, id?, type?, member_ids?, with_bot?, by_user_id?}
POST     /sandbox/api/groups/{id}/bot                    {by_user_id}: add the bot
DELETE   /sandbox/api/groups/{id}/bot                    ``?by_user_id=&kick=``: remove the bot
GET      /sandbox/api/callbacks/{cid}                    a press and its answer (``?timeout=`` waits)
GET      /sandbox/api/limits                             limits
POST     /sandbox/api/limits                             {enforce, global_rate, per_chat_interval, group_per_minute}
GET      /sandbox/api/send_log                           ``?since=N`` -> {entries, next}
GET      /sandbox/api/updates                            pending updates and webhook state
GET      /sandbox/api/files/{file_id}                    a stored file's bytes
=======  ==============================================  =====================================
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .actions import SandboxError, UserActions
from .state import SandboxState

MAX_WAIT = 60.0
JsonHandler = Callable[[web.Request], Awaitable[Any]]


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise SandboxError(f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SandboxError(f"{name} must be an integer") from None


def _opt_int(value: Any, name: str) -> int | None:
    return None if value is None or value == "" else _int(value, name)


def _timeout(request: web.Request, default: float) -> float:
    try:
        value = float(request.query.get("timeout", default))
    except ValueError:
        raise SandboxError("timeout must be a number") from None
    return min(MAX_WAIT, max(0.0, value))


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise SandboxError("POST bodies must be JSON (Content-Type: application/json)", 415)
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise SandboxError("invalid JSON body") from None
    if not isinstance(data, dict):
        raise SandboxError("the JSON body must be an object")
    return data


def _wrap(handler: JsonHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            result = await handler(request)
        except SandboxError as error:
            return _json({"error": error.message}, status=error.status)
        if isinstance(result, web.StreamResponse):
            return result
        return _json(result)

    wrapped.__name__ = handler.__name__
    return wrapped


class UserSideApi:
    """aiohttp handlers of the user side."""

    def __init__(self, state: SandboxState, actions: UserActions | None = None) -> None:
        self.state = state
        self.actions = actions or UserActions(state)

    def add_routes(self, app: web.Application, prefix: str = "/sandbox/api") -> None:
        r = app.router
        routes: list[tuple[str, str, JsonHandler]] = [
            ("GET", "/info", self.info),
            ("POST", "/reset", self.reset),
            ("GET", "/users", self.list_users),
            ("POST", "/users", self.upsert_user),
            ("POST", "/users/bulk", self.bulk_users),
            ("GET", "/users/{id}", self.get_user),
            ("POST", "/users/{id}/block", self.block_user),
            ("POST", "/users/{id}/messages", self.user_message),
            ("GET", "/chats", self.list_chats),
            ("GET", "/chats/{id}", self.get_transcript),
            ("POST", "/chats/{id}/messages", self.chat_message),
            ("POST", "/chats/{id}/press", self.press),
            ("GET", "/chats/{id}/wait", self.wait),
            ("POST", "/groups", self.create_group),
            ("POST", "/groups/{id}/bot", self.add_bot),
            ("DELETE", "/groups/{id}/bot", self.remove_bot),
            ("GET", "/callbacks/{cid}", self.callback),
            ("GET", "/limits", self.get_limits),
            ("POST", "/limits", self.set_limits),
            ("GET", "/send_log", self.send_log),
            ("GET", "/updates", self.updates),
            ("GET", "/files/{file_id}", self.file),
        ]
        for method, path, handler in routes:
            r.add_route(method, prefix + path, _wrap(handler))

    # ------------------------------------------------------------------ general

    async def info(self, request: web.Request) -> Any:
        state = self.state
        return {
            "bot": state.bot_user(full=True),
            "limits": state.limiter.to_json(),
            "group_privacy": state.group_privacy,
            "webhook_url": state.webhook.url,
            "users": len(state.users),
            "chats": len(state.chats),
            "pending_updates": len(state.updates),
            "send_log": len(state.send_log),
            "commands": state.commands,
        }

    async def reset(self, request: web.Request) -> Any:
        await _body(request)
        self.state.reset()
        return {"ok": True}

    # ------------------------------------------------------------------ users

    async def list_users(self, request: web.Request) -> Any:
        limit = _int(request.query.get("limit", 1000), "limit")
        offset = _int(request.query.get("offset", 0), "offset")
        users = list(self.state.users.values())
        return {"total": len(users), "users": [u.to_json() for u in users[offset : offset + limit]]}

    async def upsert_user(self, request: web.Request) -> Any:
        body = await _body(request)
        user_id = _int(body.get("id"), "id")
        fields = {k: body.get(k) for k in ("first_name", "last_name", "username", "language_code")}
        for key, value in fields.items():
            if value is not None and not isinstance(value, str):
                raise SandboxError(f"{key} must be a string")
        if "started" in body:
            fields["started"] = _flag(body["started"])
        if "is_premium" in body:
            fields["is_premium"] = _flag(body["is_premium"])
        user = self.actions.user(user_id, **fields)
        if "blocked" in body:
            user = self.actions.set_blocked(user_id, _flag(body["blocked"]))
        return user.to_json()

    async def bulk_users(self, request: web.Request) -> Any:
        body = await _body(request)
        users = body.get("users")
        if users is not None and not isinstance(users, list):
            raise SandboxError("users must be a list")
        try:
            count = self.actions.bulk_register(
                users,
                start_id=_opt_int(body.get("start_id"), "start_id"),
                count=_int(body.get("count", 0), "count"),
                first_name=str(body.get("first_name") or "User"),
                language_code=body.get("language_code"),
                started=_flag(body.get("started", True)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise SandboxError(f"bad user entry: {error}") from None
        return {"registered": count, "total": len(self.state.users)}

    async def get_user(self, request: web.Request) -> Any:
        user = self.state.users.get(_int(request.match_info["id"], "id"))
        if user is None:
            raise SandboxError("unknown user", 404)
        return user.to_json()

    async def block_user(self, request: web.Request) -> Any:
        body = await _body(request)
        user_id = _int(request.match_info["id"], "id")
        return self.actions.set_blocked(user_id, _flag(body.get("blocked", True))).to_json()

    # ------------------------------------------------------------------ messages

    async def _send(self, user_id: int, chat_id: int | None, body: dict[str, Any]) -> Any:
        data = None
        if body.get("data_base64") is not None:
            try:
                data = base64.b64decode(str(body["data_base64"]), validate=True)
            except (binascii.Error, ValueError):
                raise SandboxError("data_base64 is not valid base64") from None
        entities = body.get("entities")
        if entities is not None and not isinstance(entities, list):
            raise SandboxError("entities must be a list")
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise SandboxError("text must be a string")
        message = self.actions.send(
            user_id,
            chat_id=chat_id,
            kind=str(body.get("kind") or "text"),
            text=text,
            entities=entities,
            caption=body.get("caption"),
            reply_to_message_id=_opt_int(body.get("reply_to_message_id"), "reply_to_message_id"),
            emoji=body.get("emoji"),
            data=data,
            file_name=body.get("file_name"),
            mime_type=body.get("mime_type"),
            duration=_opt_int(body.get("duration"), "duration"),
            phone_number=body.get("phone_number"),
            latitude=body.get("latitude"),
            longitude=body.get("longitude"),
        )
        return message.to_json()

    async def user_message(self, request: web.Request) -> Any:
        body = await _body(request)
        return await self._send(_int(request.match_info["id"], "id"), None, body)

    async def chat_message(self, request: web.Request) -> Any:
        body = await _body(request)
        chat_id = _int(request.match_info["id"], "id")
        user_id = _int(body.get("user_id", chat_id if chat_id > 0 else None), "user_id")
        return await self._send(user_id, chat_id, body)

    async def press(self, request: web.Request) -> Any:
        body = await _body(request)
        chat_id = _int(request.match_info["id"], "id")
        user_id = _int(body.get("user_id", chat_id if chat_id > 0 else None), "user_id")
        data = body.get("data")
        if data is not None and not isinstance(data, str):
            raise SandboxError("data must be a string")
        record = self.actions.press(
            user_id,
            _int(body.get("message_id"), "message_id"),
            data,
            chat_id=chat_id,
            button_text=body.get("button_text"),
            forge=_flag(body.get("forge", False)),
        )
        return record.to_json()

    async def callback(self, request: web.Request) -> Any:
        record = self.state.callbacks.get(request.match_info["cid"])
        if record is None:
            raise SandboxError("unknown callback query", 404)
        deadline = asyncio.get_running_loop().time() + _timeout(request, 0.0)
        while not record.answered and not self.state.closing:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await self.state.callback_notifier.wait(remaining)
        return record.to_json()

    # ------------------------------------------------------------------ chats

    async def list_chats(self, request: web.Request) -> Any:
        return {"chats": [self.actions.chat_json(c) for c in self.state.chats.values()]}

    async def get_transcript(self, request: web.Request) -> Any:
        return self.actions.transcript(_int(request.match_info["id"], "id"))

    async def wait(self, request: web.Request) -> Any:
        chat_id = _int(request.match_info["id"], "id")
        chat = self.actions.chat(chat_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _timeout(request, 10.0)
        query = request.query

        def alive() -> bool:
            return not self.state.closing and self.state.chats.get(chat_id) is chat

        if "version" in query:
            version = _int(query["version"], "version")
            while chat.version == version and alive():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                await chat.notifier.wait(remaining)
            result = self.actions.transcript(chat_id) if alive() else {"chat": None, "messages": []}
            return {"changed": chat.version != version, "version": chat.version, **result}
        after = _int(query.get("after", 0), "after")
        contains = query.get("contains")
        while True:
            found = self.actions.bot_messages_after(chat, after, contains)
            remaining = deadline - loop.time()
            if found or remaining <= 0 or not alive():
                return {"messages": [m.to_json() for m in found], "version": chat.version}
            await chat.notifier.wait(remaining)

    async def create_group(self, request: web.Request) -> Any:
        body = await _body(request)
        members = body.get("member_ids") or []
        if not isinstance(members, list):
            raise SandboxError("member_ids must be a list")
        chat = self.actions.create_group(
            str(body.get("title") or ""),
            chat_id=_opt_int(body.get("id"), "id"),
            type=str(body.get("type") or "group"),
            member_ids=[_int(m, "member_ids") for m in members],
            with_bot=_flag(body.get("with_bot", False)),
            by_user_id=_opt_int(body.get("by_user_id"), "by_user_id"),
        )
        return self.actions.chat_json(chat)

    async def add_bot(self, request: web.Request) -> Any:
        body = await _body(request)
        chat_id = _int(request.match_info["id"], "id")
        message = self.actions.add_bot(chat_id, _int(body.get("by_user_id"), "by_user_id"))
        return {"chat": self.actions.chat_json(self.state.chats[chat_id]), "message": message.to_json()}

    async def remove_bot(self, request: web.Request) -> Any:
        chat_id = _int(request.match_info["id"], "id")
        by_user_id = _int(request.query.get("by_user_id"), "by_user_id")
        self.actions.remove_bot(chat_id, by_user_id, kick=_flag(request.query.get("kick", "true")))
        return {"chat": self.actions.chat_json(self.state.chats[chat_id])}

    # ------------------------------------------------------------------ limits, log, debug

    async def get_limits(self, request: web.Request) -> Any:
        return self.state.limiter.to_json()

    async def set_limits(self, request: web.Request) -> Any:
        body = await _body(request)
        try:
            self.state.limiter.configure(
                enabled=_flag(body["enforce"]) if "enforce" in body else None,
                global_rate=body.get("global_rate"),
                per_chat_interval=body.get("per_chat_interval"),
                group_per_minute=body.get("group_per_minute"),
            )
        except (TypeError, ValueError):
            raise SandboxError("limits must be numbers") from None
        return self.state.limiter.to_json()

    async def send_log(self, request: web.Request) -> Any:
        since = max(0, _int(request.query.get("since", 0), "since"))
        records = self.state.send_log.records
        return {"entries": [r.to_json() for r in records[since:]], "next": len(records)}

    async def updates(self, request: web.Request) -> Any:
        webhook = self.state.webhook
        return {
            "pending": [u.to_api() for u in self.state.updates],
            "webhook": {
                "url": webhook.url,
                "has_secret": bool(webhook.secret_token),
                "last_error_date": webhook.last_error_date,
                "last_error_message": webhook.last_error_message,
            },
        }

    async def file(self, request: web.Request) -> Any:
        stored = self.state.files.get(request.match_info["file_id"])
        if stored is None:
            raise SandboxError("unknown file", 404)
        mime = stored.mime_type or "application/octet-stream"
        inline = mime in ("image/png", "image/jpeg", "image/gif", "image/webp")
        name = (stored.file_name or stored.file_path.rsplit("/", 1)[-1]).replace('"', "")
        disposition = "inline" if inline else "attachment"
        return web.Response(
            body=stored.data,
            content_type=mime if inline else "application/octet-stream",
            headers={
                "Content-Disposition": f'{disposition}; filename="{name.encode("ascii", "replace").decode()}"',
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox; default-src 'none'",
            },
        )
