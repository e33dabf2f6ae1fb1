"""Teams' bot rate limits as sliding windows, with time as a parameter.

Microsoft's "Rate limiting for bots" page (learn.microsoft.com/microsoftteams/platform/bots/
how-to/rate-limit) gives, per bot per conversation: 7 sends per 1 s, 8 per 2 s, 60 per 30 s,
1800 per hour; and per app per tenant 50 requests per second. Each limit is kept as a
sliding window ("at most N in any T seconds"): a token bucket refilled at N/T admits a burst
followed by the refill, which can exceed the shorter windows (8 in 2 s) that Teams enforces.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

PER_CONVERSATION: tuple[tuple[int, float], ...] = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
PER_TENANT: tuple[tuple[int, float], ...] = ((50, 1.0),)


@dataclass
class Every:
    """Yes once per `interval` of the times it is shown, counted from the first: for
    housekeeping done in passing, such as forgetting keys that went idle."""

    interval: float
    _last: float | None = None

    def due(self, now: float) -> bool:
        if self._last is None:
            self._last = now
        if now - self._last < self.interval:
            return False
        self._last = now
        return True


@dataclass
class SlidingWindows:
    """For each key, the send times still inside the longest window."""

    limits: Sequence[tuple[int, float]]
    _sent: dict[Hashable, deque[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # How long a send matters: the longest window (Teams' hour).
        self._horizon = max(window for _, window in self.limits)
        self._sweeps = Every(self._horizon)

    def wait_time(self, key: Hashable, now: float) -> float:
        """Seconds until one more send for `key` fits every window (0 if it fits now)."""
        sent = self._sent.get(key)
        if sent is not None:
            self._forget(sent, now)
        if not sent:
            self._sent.pop(key, None)  # idle conversations cost no memory
            return 0.0
        wait = 0.0
        for count, window in self.limits:
            if len(sent) >= count:
                # The send `count` places back must leave this window before another fits.
                oldest_relevant = sent[-count]
                wait = max(wait, oldest_relevant + window - now)
        return max(wait, 0.0)

    def record(self, key: Hashable, now: float) -> None:
        sent = self._sent.setdefault(key, deque())
        sent.append(now)
        self._forget(sent, now)
        self._sweep(now)

    def _sweep(self, now: float) -> None:
        """Drop the keys whose sends have all left the longest window, once per such window:
        a conversation the bot never writes to again must not be remembered for ever."""
        if not self._sweeps.due(now):
            return
        for key in [key for key, sent in self._sent.items() if sent[-1] <= now - self._horizon]:
            del self._sent[key]

    def _forget(self, sent: deque[float], now: float) -> None:
        while sent and sent[0] <= now - self._horizon:
            sent.popleft()

    def __len__(self) -> int:
        return len(self._sent)

    def count_within(self, key: Hashable, now: float, window: float) -> int:
        return sum(1 for moment in self._sent.get(key, ()) if moment > now - window)
