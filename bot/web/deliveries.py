"""Webhook deliveries run in the background: in order per repository, repeats ignored.

The server answers GitHub at once and hands the work to a :class:`DeliveryQueue`. Each
ordering key (a repository) has its own first-in-first-out queue and at most one worker
task, so two pushes to one repository never race while different repositories proceed
concurrently. A worker exits when its queue is empty. Every task is tracked so that a
shutdown can drain them, and cancel and name what is left when time runs out.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cachetools import TTLCache

#: How long a delivery id is remembered (GitHub redelivers with the same id).
DEDUPE_SECONDS = 24 * 60 * 60
#: How many delivery ids are remembered at most; the oldest are forgotten first.
DEDUPE_SIZE = 200_000
#: Deliveries waiting at most, over all repositories; past it new ones are refused so
#: that a flood cannot exhaust memory (a parsed 25 KB push takes about 90 KB).
MAX_QUEUED = 1_000


@dataclass(frozen=True)
class Delivery:
    """One accepted webhook delivery and the work it asks for."""

    delivery_id: str
    event: str
    #: Deliveries with the same key run one at a time, in order (the repository).
    key: str
    run: Callable[[], Awaitable[None]]
    log: logging.LoggerAdapter[logging.Logger]
    received: float = field(default_factory=time.monotonic)


class Admission(enum.Enum):
    """What :meth:`DeliveryQueue.submit` did with a delivery."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    CLOSED = "closed"
    FULL = "full"


@dataclass(frozen=True)
class QueueStats:
    """Counters for ``/health``."""

    queued: int
    running: int
    processed: int
    failed: int
    duplicates: int
    accepting: bool


class DeliveryQueue:
    """Per-key ordered queues with tracked worker tasks, delivery-id dedupe and drain."""

    def __init__(
        self,
        *,
        dedupe_seconds: float = DEDUPE_SECONDS,
        dedupe_size: int = DEDUPE_SIZE,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self._seen: TTLCache[str, bool] = TTLCache(maxsize=dedupe_size, ttl=dedupe_seconds)
        self._pending: dict[str, deque[Delivery]] = {}
        self._running: dict[str, Delivery] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._max_queued = max_queued
        self._queued = 0
        self.processed = 0
        self.failed = 0
        self.duplicates = 0
        self.accepting = True

    def stats(self) -> QueueStats:
        """The current counters."""
        return QueueStats(
            queued=self._queued,
            running=len(self._running),
            processed=self.processed,
            failed=self.failed,
            duplicates=self.duplicates,
            accepting=self.accepting,
        )

    def submit(self, delivery: Delivery) -> Admission:
        """Queue a delivery behind the others with its key; start a worker if none runs."""
        if not self.accepting:
            return Admission.CLOSED
        if delivery.delivery_id in self._seen:
            self.duplicates += 1
            return Admission.DUPLICATE
        if self._queued >= self._max_queued:
            return Admission.FULL
        self._seen[delivery.delivery_id] = True
        self._pending.setdefault(delivery.key, deque()).append(delivery)
        self._queued += 1
        if delivery.key not in self._workers:
            self._workers[delivery.key] = asyncio.create_task(
                self._work(delivery.key), name=f"deliveries:{delivery.key}"
            )
        return Admission.ACCEPTED

    async def _work(self, key: str) -> None:
        pending = self._pending[key]
        try:
            while pending:
                delivery = pending.popleft()
                self._queued -= 1
                self._running[key] = delivery
                await self._run_one(delivery)
        finally:
            # No await between the last emptiness check and here, so a delivery submitted
            # after this worker saw an empty queue always finds no worker and starts one.
            self._workers.pop(key, None)
            self._running.pop(key, None)
            if not pending:
                self._pending.pop(key, None)

    async def _run_one(self, delivery: Delivery) -> None:
        started = time.monotonic()
        waited_ms = (started - delivery.received) * 1000
        try:
            await delivery.run()
        except Exception:
            self.failed += 1
            # Forget the id so that a manual redelivery from GitHub retries the work.
            self._seen.pop(delivery.delivery_id, None)
            delivery.log.exception(
                "%s failed after %.1f ms (waited %.1f ms)",
                delivery.event,
                (time.monotonic() - started) * 1000,
                waited_ms,
            )
        else:
            self.processed += 1
            delivery.log.info(
                "%s done in %.1f ms (waited %.1f ms)",
                delivery.event,
                (time.monotonic() - started) * 1000,
                waited_ms,
            )

    def outstanding(self) -> list[Delivery]:
        """The deliveries running or waiting, running ones first."""
        waiting = [delivery for queue in self._pending.values() for delivery in queue]
        return [*self._running.values(), *waiting]

    async def drain(self, timeout: float) -> list[Delivery]:
        """Stop accepting, let the work finish for up to ``timeout`` seconds, cancel the rest.

        Returns the deliveries that were cancelled (running) or never started (waiting).
        """
        self.accepting = False
        workers = list(self._workers.values())
        if workers:
            await asyncio.wait(workers, timeout=timeout)
        dropped = self.outstanding()
        leftover = list(self._workers.values())
        for task in leftover:
            task.cancel()
        if leftover:
            # A handler that swallows its cancellation must not hang the shutdown.
            await asyncio.wait(leftover, timeout=1.0)
        return dropped
