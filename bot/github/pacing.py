"""Keeping one installation's requests within GitHub's secondary rate limits.

GitHub asks integrations to send content-changing requests one at a time and about a second
apart (roughly 80 a minute), and to stop *everything* for the installation while it has asked
for a pause. :class:`InstallationPacer` is that per-installation state; every client of the
installation shares one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


def pacing_delay(last_sent: float | None, interval: float, now: float) -> float:
    """Seconds to wait so that two mutations are at least ``interval`` apart."""
    if last_sent is None:
        return 0.0
    return max(0.0, last_sent + interval - now)


class InstallationPacer:
    """One installation's mutation lock, mutation spacing and rate-limit pause.

    ``mutation_lock`` is held for a whole mutation including its retries, so mutations keep
    their order and never overlap. The spacing is measured from the end of one mutation to the
    start of the next, so GitHub sees them at least ``interval`` apart whatever the latency.
    """

    def __init__(
        self,
        interval: float,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self.interval = interval
        self.mutation_lock = asyncio.Lock()
        self._sleep = sleep
        self._clock = clock
        self._last_mutation: float | None = None
        self._paused_until = 0.0

    async def before_mutation(self) -> None:
        """Wait out the spacing since the previous mutation (call with the lock held)."""
        delay = pacing_delay(self._last_mutation, self.interval, self._clock())
        if delay > 0:
            await self._sleep(delay)

    def after_mutation(self) -> None:
        """Record that a mutation has just finished (whatever its outcome)."""
        self._last_mutation = self._clock()

    def pause(self, seconds: float) -> None:
        """Hold every request of the installation for ``seconds`` (GitHub asked us to wait)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def wait_if_paused(self) -> float:
        """Sleep out a pause in force, once; returns the seconds slept."""
        until = self._paused_until
        delay = until - self._clock()
        if delay <= 0:
            return 0.0
        await self._sleep(delay)
        # End the pause explicitly (unless a longer one arrived meanwhile) rather than trust
        # the clock: an injected sleep in tests returns at once without time passing.
        if self._paused_until == until:
            self._paused_until = 0.0
        return delay
