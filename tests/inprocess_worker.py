"""The web app and a worker on one in-memory queue, in the test's own event loop: for tests
that drive the edge in process rather than through the Procfile's processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gidgethub.routing import Router

from bot.config import Config
from bot.github import GitHubFactory
from bot.queue import MemoryQueue, MemoryStore, Policy
from bot.web.dispatch import Services, run_delivery

#: One attempt each (a failure is dead at once, counted in ``failed``) and a fast poll.
POLICY = Policy(backoff=(), poll=0.001, grace=5.0)


@asynccontextmanager
async def worker_for(
    config: Config, factory: GitHubFactory, router: Router
) -> AsyncIterator[MemoryQueue]:
    """A queue with a worker running its deliveries through ``router`` until the block ends."""
    queue = MemoryQueue(POLICY)
    services = Services(config, factory, MemoryStore(), router)
    stop = asyncio.Event()
    task = asyncio.create_task(queue.work(lambda d: run_delivery(d, services), stop))
    try:
        yield queue
    finally:
        stop.set()
        await task


async def settle(queue: MemoryQueue, timeout: float = 30.0) -> None:
    """Wait until nothing is queued or running."""
    async with asyncio.timeout(timeout):
        while (stats := await queue.stats()).queued or stats.running:
            await asyncio.sleep(0.002)
