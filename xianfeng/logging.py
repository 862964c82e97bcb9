"""Logging for every ``xianfeng`` command: text (default) or JSON lines, with the id of the
panel request or bot update being handled.

``LOG_FORMAT=json`` writes one JSON object per line: ``timestamp`` (UTC, ISO 8601), ``level``,
``logger``, ``message``, ``request_id`` / ``update_id`` when set, ``exception`` when there is
one. The ids live in context variables, so every log line written while a request or an update
is handled carries them, whichever module writes it.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

#: The panel request being handled (also sent back as ``X-Request-ID``).
request_id_var: ContextVar[str | None] = ContextVar("xianfeng_request_id", default=None)
#: The Telegram update being handled.
update_id_var: ContextVar[int | None] = ContextVar("xianfeng_update_id", default=None)

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"


class ContextFilter(logging.Filter):
    """Copies the current request/update id onto each record (``record.request_id`` ...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.update_id = update_id_var.get()
        parts = []
        if record.request_id:
            parts.append(f"request={record.request_id}")
        if record.update_id is not None:
            parts.append(f"update={record.update_id}")
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        update_id = getattr(record, "update_id", None)
        if update_id is not None:
            entry["update_id"] = update_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (like logging's own
    last-resort handler), so a replaced or captured stderr never receives writes once closed."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure_logging(
    log_format: str = "text", level: str | int = "INFO", *, stream: TextIO | None = None
) -> logging.Handler:
    """Install our root handler (replacing one installed earlier; others are left alone)."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.addFilter(ContextFilter())
    json_lines = log_format == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    handler._xianfeng = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_xianfeng", False):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # aiogram logs every update at INFO ("Update id=... is handled"): too chatty for production.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    return handler
