"""Reading Bot API method parameters the way Telegram does.

aiogram posts ``application/x-www-form-urlencoded`` or ``multipart/form-data``
where nested values (reply_markup, entities, allowed_updates ...) are
JSON-encoded strings; other clients post a JSON body or use the query string.
:func:`read_params` merges all of them into one :class:`Params`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from .errors import bad_request


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Params:
    """Typed access to method parameters; raises Telegram-style 400 errors."""

    values: dict[str, Any] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None else value

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            raise bad_request(f"field \"{name}\" must be of type String")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            try:
                as_float = float(value)
            except (TypeError, ValueError):
                raise bad_request(f"field \"{name}\" must be a valid Number") from None
            if as_float != int(as_float):
                raise bad_request(f"field \"{name}\" must be a valid Number") from None
            return int(as_float)

    def float(self, name: str, default: float | None = None) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"field \"{name}\" must be a valid Number") from None

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return bool(value)
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise bad_request(f"field \"{name}\" must be of type Boolean")

    def json(self, name: str, default: Any = None) -> Any:
        """A nested value: already decoded (JSON body) or a JSON-encoded string (form)."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, (dict, list)):
            return value
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            raise bad_request(f"can't parse {name} JSON object") from None

    def chat_id(self, name: str = "chat_id") -> int | str:
        """``chat_id``: an integer or an ``@username`` string."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None


async def read_params(request: web.Request) -> Params:
    """Collect parameters from the query string and the body (form, multipart or JSON)."""
    params = Params()
    params.values.update(request.query)
    if request.method not in ("POST", "PUT"):
        return params
    ctype = request.content_type
    if ctype == "application/json":
        raw = await request.read()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("request body must be a JSON object")
            params.values.update(body)
    elif ctype == "multipart/form-data":
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if isinstance(part, aiohttp.BodyPartReader):
                name = part.name or ""
                data = await part.read(decode=True)
                if part.filename is not None:
                    params.uploads[name] = Upload(
                        filename=part.filename,
                        content_type=part.headers.get("Content-Type", "application/octet-stream"),
                        data=bytes(data),
                    )
                else:
                    params.values[name] = bytes(data).decode("utf-8", errors="replace")
    elif ctype == "application/x-www-form-urlencoded":
        form = await request.post()
        for key in form:
            params.values[key] = form[key]
    return params
