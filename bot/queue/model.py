"""The queue's data and contract: what a delivery is, what a queue promises, and its policy."""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

#: Seconds between a failure and the next attempt; one entry per retry. The total (18 min
#: 40 s) outlasts a typical GitHub or network outage, so a failure heals without a human.
BACKOFF: tuple[float, ...] = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
#: A key whose worker has not renewed its lease this long is given to another worker.
LEASE_SECONDS = 30.0
#: How often a worker renews its leases; a few renewals fit in one lease so that one slow
#: round trip does not lose it.
HEARTBEAT_SECONDS = 5.0
#: A day, in seconds: how long the features remember what they record in the store.
DAY = 24 * 60 * 60.0
#: How long a delivery id is remembered (GitHub redelivers with the same id).
DEDUPE_SECONDS = 24 * 60 * 60.0
#: Deliveries waiting at most, over all keys; past it ``submit`` answers FULL.
MAX_QUEUED = 10_000
#: Deliveries one worker handles for one key before the key goes to the back of the line,
#: so that a busy repository cannot hold a worker while other repositories wait.
TURN = 10
#: How long an idle worker waits before it asks for work again.
POLL_SECONDS = 0.1
#: How long running handlers may finish after ``stop`` before they are handed back.
GRACE_SECONDS = 20.0


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery as plain data: any process can run it from its bytes."""

    id: str  # X-GitHub-Delivery
    event: str  # X-GitHub-Event, e.g. "push"
    action: str | None
    #: Deliveries with one key run one at a time, in order: "repo:<id>", else
    #: "installation:<id>", else "app".
    key: str
    installation: int | None
    payload: dict[str, Any]
    received_at: float = field(default_factory=time.time)

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "event": self.event,
                "action": self.action,
                "key": self.key,
                "installation": self.installation,
                "payload": self.payload,
                "received_at": self.received_at,
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Delivery:
        data = orjson.loads(raw)
        return cls(
            id=data["id"],
            event=data["event"],
            action=data["action"],
            key=data["key"],
            installation=data["installation"],
            payload=data["payload"],
            received_at=data["received_at"],
        )


class Admission(enum.Enum):
    """What ``submit`` did with a delivery."""

    ACCEPTED = "accepted"  # stored durably (as durably as the backend can)
    DUPLICATE = "duplicate"  # its id was accepted before
    FULL = "full"  # too many deliveries wait; GitHub should be answered 503
    CLOSED = "closed"  # the queue is closed


@dataclass(frozen=True)
class QueueStats:
    """Counters for ``/health``; ``processed``, ``failed`` and ``duplicates`` are totals
    since the store was created (shared by every process using it)."""

    queued: int  # waiting for a worker
    running: int  # keys a worker holds now
    retrying: int  # keys waiting out a backoff after a failure
    dead: int  # deliveries that failed every attempt
    processed: int
    failed: int  # failed attempts (each retry counts)
    duplicates: int
    oldest_age: float | None  # seconds since the oldest live delivery was received


@dataclass(frozen=True)
class DeadDelivery:
    """A delivery that failed every attempt and waits for ``retry_dead``."""

    id: str
    event: str
    key: str
    attempts: int
    error: str
    died_at: float


Handler = Callable[[Delivery], Awaitable[None]]
"""Handles one delivery; raising marks the attempt failed, and it is retried later."""


@dataclass(frozen=True)
class Policy:
    """The timings and bounds of a queue; tests shrink them."""

    backoff: tuple[float, ...] = BACKOFF
    lease: float = LEASE_SECONDS
    heartbeat: float = HEARTBEAT_SECONDS
    dedupe: float = DEDUPE_SECONDS
    max_queued: int = MAX_QUEUED
    turn: int = TURN
    poll: float = POLL_SECONDS
    grace: float = GRACE_SECONDS

    @property
    def max_attempts(self) -> int:
        return len(self.backoff) + 1

    def delay(self, attempts: int) -> float | None:
        """Seconds before the next attempt after ``attempts`` failed ones; None: give up."""
        if attempts >= self.max_attempts:
            return None
        return self.backoff[max(attempts, 1) - 1]


class DeliveryQueue(Protocol):
    """What the server (``submit``) and the worker process (``work``) code against."""

    async def submit(self, delivery: Delivery) -> Admission: ...

    async def work(
        self, handler: Handler, stop: asyncio.Event, *, concurrency: int = 4
    ) -> None: ...

    async def stats(self) -> QueueStats: ...

    async def dead(self) -> list[DeadDelivery]: ...

    async def retry_dead(self, delivery_id: str | None = None) -> int: ...

    async def close(self) -> None: ...


class Store(Protocol):
    """Small shared state with a time to live, e.g. comments posted, pulls merged."""

    async def get(self, namespace: str, key: str) -> str | None: ...

    async def put(self, namespace: str, key: str, value: str, ttl: float) -> None: ...

    async def put_if_absent(self, namespace: str, key: str, value: str, ttl: float) -> bool:
        """Store ``value`` unless a live value is there; True if this call stored it."""
        ...

    async def delete(self, namespace: str, key: str) -> None: ...

    async def close(self) -> None: ...
