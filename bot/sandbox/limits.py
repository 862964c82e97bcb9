"""Telegram's flood limits, emulated.

Defaults follow Telegram's published guidance: about 30 messages per second
overall (counted over any sliding one-second window), one message per second
in a private chat and 20 messages per minute in a group. Only accepted sends
count. Past a limit the caller gets the number of whole seconds (at least 1)
to wait, which the API turns into ``429 Too Many Requests: retry after N``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any


class RateLimiter:
    """Sliding-window limiter; switch it on and off at runtime with :meth:`configure`."""

    def __init__(
        self,
        *,
        enabled: bool = False,
        global_rate: int = 30,
        per_chat_interval: float = 1.0,
        group_per_minute: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.global_rate = global_rate
        self.per_chat_interval = per_chat_interval
        self.group_per_minute = group_per_minute
        self.clock = clock
        self._global: deque[float] = deque()
        self._private_last: dict[int, float] = {}
        self._group: dict[int, deque[float]] = {}

    def configure(
        self,
        *,
        enabled: bool | None = None,
        global_rate: int | None = None,
        per_chat_interval: float | None = None,
        group_per_minute: int | None = None,
    ) -> None:
        """Change any knob; ``None`` leaves it as it is. ``0`` disables that limit."""
        if enabled is not None:
            if enabled and not self.enabled:
                self.clear()
            self.enabled = bool(enabled)
        if global_rate is not None:
            self.global_rate = max(0, int(global_rate))
        if per_chat_interval is not None:
            self.per_chat_interval = max(0.0, float(per_chat_interval))
        if group_per_minute is not None:
            self.group_per_minute = max(0, int(group_per_minute))

    def clear(self) -> None:
        """Forget all recorded sends."""
        self._global.clear()
        self._private_last.clear()
        self._group.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "enforce": self.enabled,
            "global_rate": self.global_rate,
            "per_chat_interval": self.per_chat_interval,
            "group_per_minute": self.group_per_minute,
        }

    def acquire(self, chat_id: int, is_group: bool) -> int | None:
        """Record a send if allowed and return ``None``; else return retry_after seconds."""
        if not self.enabled:
            return None
        now = self.clock()
        waits: list[float] = []
        # Global: at most `global_rate` accepted sends in any 1-second window.
        if self.global_rate:
            while self._global and self._global[0] <= now - 1.0:
                self._global.popleft()
            if len(self._global) >= self.global_rate:
                waits.append(self._global[0] + 1.0 - now)
        if is_group:
            if self.group_per_minute:
                window = self._group.setdefault(chat_id, deque())
                while window and window[0] <= now - 60.0:
                    window.popleft()
                if len(window) >= self.group_per_minute:
                    waits.append(window[0] + 60.0 - now)
        elif self.per_chat_interval:
            last = self._private_last.get(chat_id)
            if last is not None and now - last < self.per_chat_interval:
                waits.append(last + self.per_chat_interval - now)
        if waits:
            return max(1, math.ceil(max(waits)))
        if self.global_rate:
            self._global.append(now)
        if is_group:
            if self.group_per_minute:
                self._group.setdefault(chat_id, deque()).append(now)
        elif self.per_chat_interval:
            self._private_last[chat_id] = now
        return None
