"""Client-side pacing that keeps a sender under Telegram's flood limits."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` sends per second, with at most ``burst`` sends banked.

    Any one-second window then holds at most ``rate + burst`` sends: 29 at the
    default 28/s, 30 at 29/s, so rates up to 29 stay within Telegram's 30. The half token
    over one absorbs a late wake-up (timer slack, a slow query) without slipping
    the schedule, where a bucket of exactly one would lose that time on every send.
    """

    def __init__(
        self, rate: float, burst: float = 1.5, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._tokens = burst
        self._updated = clock()

    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def delay(self) -> float:
        """Seconds until a token is available (0 if one is available now)."""
        self._refill()
        return max(0.0, (1.0 - self._tokens) / self.rate)

    def take(self) -> None:
        """Use a token: call it right before sending, once :meth:`delay` is 0."""
        self._refill()
        self._tokens -= 1.0


def is_group_chat(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative chat ids; users positive ones."""
    return chat_id < 0


class ChatCooldown:
    """Chats that were sent to less than ``interval`` seconds ago (``group_interval`` for
    groups: Telegram allows about 20 messages a minute in a group, one every 3 s).

    The interval is counted from when the previous send returned, which is after
    Telegram registered it, so transport jitter can never bring two sends closer.
    """

    def __init__(
        self, interval: float, clock: Callable[[], float] = time.monotonic, *,
        group_interval: float | None = None,
    ) -> None:
        self.interval = interval
        self.group_interval = interval if group_interval is None else group_interval
        self.clock = clock
        self._free_at: dict[int, float] = {}

    def interval_for(self, chat_id: int) -> float:
        return self.group_interval if is_group_chat(chat_id) else self.interval

    def start(self, chat_id: int) -> None:
        if (interval := self.interval_for(chat_id)) > 0:
            self._free_at[chat_id] = self.clock() + interval

    def cooling(self) -> set[int]:
        """The chats that must not be sent to yet (forgetting the ones that are free again)."""
        now = self.clock()
        self._free_at = {chat: t for chat, t in self._free_at.items() if t > now}
        return set(self._free_at)

    def next_free_in(self) -> float | None:
        """Seconds until the first cooling chat is free again, None if none is cooling."""
        if not self._free_at:
            return None
        return max(0.0, min(self._free_at.values()) - self.clock())
