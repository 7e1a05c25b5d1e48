"""Helpers for the queue tests: fast policies, backends by name, a running worker."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.queue import Delivery, MemoryQueue, Policy, QueueBase, QueueStats, SqliteQueue
from bot.queue.redis import RedisQueue

#: Seconds, not minutes: the semantics are the same, the suite stays fast.
FAST = Policy(
    backoff=(0.05, 0.1),
    lease=1.0,
    heartbeat=0.2,
    poll=0.02,
    grace=0.5,
)

BACKENDS = ["memory", "sqlite", "redis"]


def delivery(id_: str, key: str = "repo:1", **payload: Any) -> Delivery:
    return Delivery(
        id=id_,
        event="push",
        action=None,
        key=key,
        installation=1,
        payload=payload,
    )


class Backend:
    """Opens queues of one kind that share one store (a file, a Redis prefix)."""

    def __init__(self, kind: str, tmp: Path, redis_url: str | None) -> None:
        self.kind = kind
        self.path = tmp / "queue.sqlite3"
        self.redis_url = redis_url
        self.prefix = f"{{test-{uuid.uuid4().hex}}}:"
        self.opened: list[QueueBase] = []
        self._memory: MemoryQueue | None = None

    @property
    def url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}"
        assert self.redis_url is not None
        return self.redis_url

    def open(self, policy: Policy = FAST) -> QueueBase:
        """A queue on the shared store (memory: the same object every time)."""
        queue: QueueBase
        if self.kind == "memory":
            if self._memory is None:
                self._memory = MemoryQueue(policy)
            return self._memory
        if self.kind == "sqlite":
            queue = SqliteQueue(self.path, policy)
        else:
            assert self.redis_url is not None
            queue = RedisQueue(self.redis_url, policy, prefix=self.prefix)
        self.opened.append(queue)
        return queue

    async def close(self) -> None:
        for queue in [*self.opened, *([self._memory] if self._memory else [])]:
            await queue.close()


async def until(
    check: Callable[[], Awaitable[bool]], timeout: float = 5.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def settled(queue: QueueBase, timeout: float = 5.0) -> QueueStats:
    """Wait until nothing is queued, running or retrying."""
    stats: QueueStats | None = None

    async def idle() -> bool:
        nonlocal stats
        stats = await queue.stats()
        return not (stats.queued or stats.running or stats.retrying)

    await until(idle, timeout, "the queue to settle")
    assert stats is not None
    return stats


@contextlib.asynccontextmanager
async def working(
    queue: QueueBase,
    handler: Callable[[Delivery], Awaitable[None]],
    concurrency: int = 4,
) -> AsyncIterator[asyncio.Event]:
    """Run ``queue.work`` in the background; stop it and wait for it on exit."""
    stop = asyncio.Event()
    task = asyncio.create_task(queue.work(handler, stop, concurrency=concurrency))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
