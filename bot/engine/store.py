"""What the bot remembers between deliveries, behind one small interface.

GitHub holds the bot's real state (the hidden markers in its issues and comments); the store
only keeps what GitHub cannot tell cheaply: delivery ids already taken, commit comments posted,
which pull request a merge commit came from, which pushes were handled. Every entry expires.
One process uses :class:`MemoryStore`; processes that share work share a store on disk or in
Redis, so that they cannot silently disagree.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

#: How long the features remember what they record (GitHub redelivers within days).
DAY = 24 * 60 * 60.0


class Store(Protocol):
    """Namespaced keys with string values, each with a time to live in seconds."""

    async def get(self, namespace: str, key: str) -> str | None:
        """The value, or ``None`` when absent or expired."""
        ...

    async def put(self, namespace: str, key: str, value: str, ttl: float) -> None:
        """Set the value, replacing any."""
        ...

    async def put_if_absent(self, namespace: str, key: str, value: str, ttl: float) -> bool:
        """Set the value unless one is there; True when this call set it."""
        ...

    async def delete(self, namespace: str, key: str) -> None:
        """Forget the key (absent is fine)."""
        ...


class MemoryStore:
    """A :class:`Store` in this process's memory, bounded: the oldest entries go first."""

    def __init__(
        self, *, max_entries: int = 200_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: dict[tuple[str, str], tuple[str, float]] = {}
        self._max = max_entries
        self._clock = clock

    def _live(self, namespace: str, key: str) -> str | None:
        entry = self._entries.get((namespace, key))
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._entries[(namespace, key)]
            return None
        return entry[0]

    async def get(self, namespace: str, key: str) -> str | None:
        return self._live(namespace, key)

    async def put(self, namespace: str, key: str, value: str, ttl: float) -> None:
        self._entries.pop((namespace, key), None)  # re-inserted last: the newest
        self._entries[(namespace, key)] = (value, self._clock() + ttl)
        while len(self._entries) > self._max:
            del self._entries[next(iter(self._entries))]

    async def put_if_absent(self, namespace: str, key: str, value: str, ttl: float) -> bool:
        if self._live(namespace, key) is not None:
            return False
        await self.put(namespace, key, value, ttl)
        return True

    async def delete(self, namespace: str, key: str) -> None:
        self._entries.pop((namespace, key), None)
