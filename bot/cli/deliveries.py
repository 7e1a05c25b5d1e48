"""``python -m bot deliveries [retry ID|--all]``: what the queue holds, and dead deliveries run
again. Reads the same queue as the server (``QUEUE_URL``/``REDIS_URL``, else the SQLite file)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from bot.config import Config, ConfigError
from bot.queue import open_queue


async def show_or_retry(config: Config, *, retry: bool, delivery_id: str | None) -> int:
    """Print the counters and dead deliveries, or retry them; returns the exit status."""
    from bot.web.server import queue_counters

    queue = open_queue(config.queue_url, config.queue_policy())
    try:
        if retry:
            count = await queue.retry_dead(delivery_id)
            if delivery_id is not None and count == 0:
                print(f"no dead delivery {delivery_id}", file=sys.stderr)
                return 1
            print(f"{count} dead deliveries queued again")
            return 0
        counters = queue_counters(await queue.stats())
        print(" ".join(f"{name}={value}" for name, value in counters.items()))
        for dead in await queue.dead():
            when = datetime.fromtimestamp(dead.died_at, UTC).isoformat(timespec="seconds")
            print(f"dead {dead.id} {dead.event} {dead.key} after {dead.attempts} attempts")
            print(f"  at {when}: {dead.error.strip().splitlines()[-1] if dead.error else '?'}")
        return 0
    finally:
        await queue.close()


def run_deliveries(*, retry: bool, delivery_id: str | None) -> int:
    """Entry point of ``python -m bot deliveries``."""
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(show_or_retry(config, retry=retry, delivery_id=delivery_id))
