"""A worker process for the queue tests: ``python queue_worker.py URL PREFIX RECORD SECONDS``.

It runs ``work()`` until SIGTERM with a handler that appends ``start <id>`` and
``done <id>`` lines to RECORD and sleeps SECONDS in between. Timings are the tests' fast
ones (a 1 s lease), so a process killed with SIGKILL is replaced within seconds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.queue import Delivery, Policy, QueueBase, SqliteQueue
from bot.queue.redis import RedisQueue

POLICY = Policy(backoff=(0.05,), lease=1.0, heartbeat=0.2, poll=0.02, grace=0.3)


def record(path: Path, line: str) -> None:
    # One write per line in append mode: lines from two processes never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{line} {os.getpid()}\n".encode())
    finally:
        os.close(fd)


async def main(url: str, prefix: str, path: Path, seconds: float) -> None:
    queue: QueueBase
    if url.startswith("sqlite:///"):
        queue = SqliteQueue(url.removeprefix("sqlite:///"), POLICY)
    else:
        queue = RedisQueue(url, POLICY, prefix=prefix)

    async def handler(d: Delivery) -> None:
        record(path, f"start {d.id}")
        await asyncio.sleep(seconds)
        record(path, f"done {d.id}")

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    record(path, "ready -")
    await queue.work(handler, stop, concurrency=2)
    await queue.close()
    record(path, "exit -")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])))
