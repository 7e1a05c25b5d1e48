"""GitHub's rate limits (primary budget and secondary per-minute cap) and injected faults."""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass
from typing import Any

SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
SECONDARY_LIMIT_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
#: ``inject_fault(..., status=PASS_THROUGH, delay=...)``: serve the request normally (its
#: effect happens) but answer only after the delay: a write the client timed out on.
PASS_THROUGH = 0


class PrimaryLimit:
    """The hourly request budget, reported on every answer in ``x-ratelimit-*`` headers."""

    def __init__(self, limit: int = 5000, window: float = 3600.0) -> None:
        self.limit = limit
        self.window = window
        self.remaining = limit
        self.reset_at = 0.0

    def set(self, remaining: int, reset_in: float, now: float) -> None:
        """Force the budget (tests): ``remaining`` requests until ``now + reset_in``."""
        self.remaining = remaining
        self.reset_at = now + reset_in

    def _roll(self, now: float) -> None:
        if now >= self.reset_at:
            self.remaining = self.limit
            self.reset_at = now + self.window

    def exhausted(self, now: float) -> bool:
        """Whether a request now must be refused."""
        self._roll(now)
        return self.remaining <= 0

    def spend(self, now: float) -> None:
        """Count one request (304s and refused requests are not counted, like GitHub)."""
        self._roll(now)
        self.remaining = max(self.remaining - 1, 0)

    def headers(self, now: float) -> dict[str, str]:
        """The ``x-ratelimit-*`` headers as they stand."""
        self._roll(now)
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(math.ceil(self.reset_at)),
            "x-ratelimit-used": str(max(self.limit - self.remaining, 0)),
            "x-ratelimit-resource": "core",
        }


class SecondaryLimit:
    """At most ``per_window`` content-creating requests in any ``window`` seconds."""

    def __init__(self) -> None:
        self.per_window: int | None = None
        self.window = 60.0
        self._recent: deque[float] = deque()

    def configure(self, per_window: int | None, window: float) -> None:
        """Turn the cap on (``per_window`` requests per ``window`` s) or off (``None``)."""
        self.per_window = per_window
        self.window = window
        self._recent.clear()

    def retry_after(self, now: float) -> int | None:
        """Seconds to wait when a write now would break the cap, else ``None`` (and count it)."""
        if self.per_window is None:
            return None
        while self._recent and self._recent[0] <= now - self.window:
            self._recent.popleft()
        if len(self._recent) >= self.per_window:
            return max(math.ceil(self._recent[0] + self.window - now), 1)
        self._recent.append(now)
        return None


@dataclass
class Fault:
    """The next ``times`` requests matching ``method`` and ``pattern`` get this answer."""

    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str]
    body: Any
    delay: float

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request (``"*"`` matches every method)."""
        return (
            self.times > 0
            and self.method in ("*", method.upper())
            and self.pattern.search(path) is not None
        )


class Faults:
    """The queue of injected faults, first match wins."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        self.pending.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any, counting one use of it."""
        for fault in self.pending:
            if fault.matches(method, path):
                fault.times -= 1
                if fault.times == 0:
                    self.pending.remove(fault)
                return fault
        return None
