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
        self._pause: asyncio.Future[None] | None = None

    async def before_mutation(self) -> None:
        """Wait out the spacing since the previous mutation (call with the lock held)."""
        delay = pacing_delay(self._last_mutation, self.interval, self._clock())
        if delay > 0:
            await self._sleep(delay)

    def after_mutation(self) -> None:
        """Record that a mutation has just finished (whatever its outcome)."""
        self._last_mutation = self._clock()

    def pause(self, seconds: float) -> None:
        """Hold every request of the installation for ``seconds`` (GitHub asked us to wait).

        The pause is one shared wait: the first refusal starts it, later refusals can only
        lengthen it, and every waiter awaits the same sleep, so N concurrent refusals cost
        one wait, not N.
        """
        until = self._clock() + seconds
        if until <= self._paused_until:
            return
        self._paused_until = until
        if self._pause is None or self._pause.done():
            self._pause = asyncio.ensure_future(self._sleep_out_pause())

    async def _sleep_out_pause(self) -> None:
        # Count the time slept ourselves rather than trust the clock: an injected sleep in
        # tests returns at once without time passing.
        covered = self._clock()
        try:
            while self._paused_until > covered:
                delay = self._paused_until - covered
                covered = self._paused_until
                await self._sleep(delay)
        finally:
            self._paused_until = 0.0

    async def wait_if_paused(self) -> float:
        """Wait out a pause in force, shared with every other waiter; returns the seconds left."""
        pause = self._pause
        if pause is None or pause.done():
            return 0.0
        remaining = max(0.0, self._paused_until - self._clock())
        # Shielded: one cancelled waiter must not end the pause for everyone else.
        await asyncio.shield(pause)
        return remaining

    def close(self) -> None:
        """Stop a pause in progress (the process is shutting down)."""
        if self._pause is not None and not self._pause.done():
            self._pause.cancel()
