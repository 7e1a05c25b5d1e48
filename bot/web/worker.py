"""The worker process (``python -m bot worker``): runs queued deliveries, and the sweeps that
bring missed deliveries back.

Any number of workers may run on one queue (Redis: on any machines; SQLite: on one machine);
the queue keeps each repository to one worker at a time. ``python -m bot serve`` starts one
worker itself when the queue is the embedded SQLite file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from datetime import UTC, datetime, timedelta

from bot.config import Config, ConfigError
from bot.github import GitHubError, GitHubFactory
from bot.queue import Delivery, DeliveryQueue, Store, open_queue, open_store
from bot.recovery.catch_up import catch_up_deliveries
from bot.recovery.redeliver import redeliver_failed
from bot.web.dispatch import Services, run_delivery

log = logging.getLogger(__name__)

#: How often an embedded worker checks that the server that started it still runs.
PARENT_CHECK_SECONDS = 1.0
#: How far back a redelivery sweep looks (GitHub keeps deliveries for three days).
REDELIVERY_WINDOW = timedelta(hours=6)


def run_worker() -> int:
    """``python -m bot worker``: work until SIGTERM/SIGINT; returns the exit status."""
    from bot.web.server import configure_logging

    try:
        config = Config.from_env()
        config.require_credentials()
    except ConfigError as exc:
        print(f"meeting-todo-bot: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.log_level, config.log_format)
    return asyncio.run(work(config))


async def work(config: Config) -> int:
    """Run deliveries and sweeps until a stop signal (or the parent server's end)."""
    from bot.features import router

    queue = open_queue(config.queue_url, config.queue_policy())
    store = open_store(config.queue_url)
    factory = GitHubFactory(config)
    services = Services(config, factory, store, router)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    helpers = [asyncio.create_task(sweep(config, factory, queue, store, stop))]
    parent = os.environ.get("MEETING_TODO_BOT_PARENT")
    if parent:
        helpers.append(asyncio.create_task(watch_parent(int(parent), stop)))

    async def handle(delivery: Delivery) -> None:
        await run_delivery(delivery, services)

    log.info("worker %d: working (%d at a time)", os.getpid(), config.worker_concurrency)
    try:
        await queue.work(handle, stop, concurrency=config.worker_concurrency)
    finally:
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        await factory.close()
        await store.close()
        await queue.close()
    log.info("worker %d: stopped", os.getpid())
    return 0


async def watch_parent(parent: int, stop: asyncio.Event) -> None:
    """Stop when the server that started this worker is gone (killed with -9, say): its
    replacement starts a worker of its own, and two would only compete."""
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("worker %d: the server %d is gone; stopping", os.getpid(), parent)
            stop.set()
            return
        await asyncio.sleep(PARENT_CHECK_SECONDS)


async def sweep(
    config: Config, factory: GitHubFactory, queue: DeliveryQueue, store: Store, stop: asyncio.Event
) -> None:
    """Every so often, one worker among all redelivers failed deliveries and queues catch-ups.

    A lease in the store makes each sweep run once per interval however many workers share
    the queue; a sweep that fails waits for the next interval.
    """
    intervals = [i for i in (config.redelivery_interval, config.catch_up_interval) if i > 0]
    if not intervals or not config.uses_app:
        return  # token mode has no App to ask for deliveries or installations
    tick = min(*intervals, 60.0)
    while not stop.is_set():
        if config.redelivery_interval > 0 and await store.put_if_absent(
            "sweep", "redeliver", str(os.getpid()), config.redelivery_interval
        ):
            with contextlib.suppress(GitHubError):
                await redeliver_failed(
                    factory.for_app(),
                    store,
                    now=datetime.now(UTC),
                    window=REDELIVERY_WINDOW,
                )
        if config.catch_up_interval > 0 and await store.put_if_absent(
            "sweep", "catch-up", str(os.getpid()), config.catch_up_interval
        ):
            try:
                for delivery in await catch_up_deliveries(
                    factory, interval=config.catch_up_interval
                ):
                    await queue.submit(delivery)
            except GitHubError as exc:
                log.warning("catch-up sweep failed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), tick)
