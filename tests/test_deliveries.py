"""The delivery queue: ordered per key, concurrent across keys, dedupe, failures, drain."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

from bot.context import delivery_log
from bot.web.deliveries import Admission, Delivery, DeliveryQueue


def make(delivery_id: str, key: str, run: Callable[[], Awaitable[None]]) -> Delivery:
    return Delivery(
        delivery_id=delivery_id, event="push", key=key, run=run, log=delivery_log(delivery_id)
    )


async def settle(queue: DeliveryQueue, timeout: float = 5.0) -> None:
    """Wait until the queue has nothing queued or running."""
    async with asyncio.timeout(timeout):
        while (stats := queue.stats()).queued or stats.running:
            await asyncio.sleep(0.001)


class Recorder:
    """Jobs that record when they start and end, sleeping in between."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def job(self, name: str, seconds: float) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            self.events.append(("start", name))
            await asyncio.sleep(seconds)
            self.events.append(("end", name))

        return run


async def test_one_key_runs_one_at_a_time_in_submission_order() -> None:
    queue = DeliveryQueue()
    rec = Recorder()
    # Decreasing durations: without ordering, the later, shorter jobs would finish first.
    for i in range(6):
        job = rec.job(f"d{i}", 0.006 - i * 0.001)
        assert queue.submit(make(f"d{i}", "repo:1", job)) is Admission.ACCEPTED
    await settle(queue)
    expected = [step for i in range(6) for step in (("start", f"d{i}"), ("end", f"d{i}"))]
    assert rec.events == expected
    assert queue.stats().processed == 6


async def test_different_keys_run_concurrently() -> None:
    queue = DeliveryQueue()
    both_started = asyncio.Event()
    started: set[str] = set()

    def job(key: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            started.add(key)
            if len(started) == 2:
                both_started.set()
            # Each job waits for the other to start: only possible if they overlap.
            await asyncio.wait_for(both_started.wait(), timeout=2)

        return run

    queue.submit(make("a", "repo:1", job("repo:1")))
    queue.submit(make("b", "repo:2", job("repo:2")))
    assert queue.stats().queued + queue.stats().running == 2
    await settle(queue)
    assert queue.stats().processed == 2
    assert queue.stats().failed == 0


async def test_stats_count_queued_and_running() -> None:
    queue = DeliveryQueue()
    gate = asyncio.Event()

    async def blocked() -> None:
        await gate.wait()

    for i in range(3):
        queue.submit(make(f"d{i}", "repo:1", blocked))
    queue.submit(make("other", "repo:2", blocked))
    await asyncio.sleep(0)  # let the workers pick up their first delivery
    stats = queue.stats()
    assert (stats.queued, stats.running) == (2, 2)
    gate.set()
    await settle(queue)
    stats = queue.stats()
    assert (stats.queued, stats.running, stats.processed) == (0, 0, 4)


async def test_repeated_delivery_id_is_ignored() -> None:
    queue = DeliveryQueue()
    rec = Recorder()
    assert queue.submit(make("same", "repo:1", rec.job("first", 0))) is Admission.ACCEPTED
    assert queue.submit(make("same", "repo:1", rec.job("second", 0))) is Admission.DUPLICATE
    await settle(queue)
    # Still a duplicate after it has run.
    assert queue.submit(make("same", "repo:1", rec.job("third", 0))) is Admission.DUPLICATE
    assert [name for step, name in rec.events if step == "start"] == ["first"]
    assert queue.stats().duplicates == 2


async def test_delivery_ids_are_forgotten_after_the_ttl() -> None:
    queue = DeliveryQueue(dedupe_seconds=0.05)
    assert queue.submit(make("id", "repo:1", Recorder().job("a", 0))) is Admission.ACCEPTED
    await settle(queue)
    await asyncio.sleep(0.08)
    assert queue.submit(make("id", "repo:1", Recorder().job("b", 0))) is Admission.ACCEPTED
    await settle(queue)


async def test_a_failing_delivery_is_logged_counted_and_the_worker_continues(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = DeliveryQueue()
    rec = Recorder()

    async def boom() -> None:
        raise RuntimeError("handler exploded")

    queue.submit(make("bad", "repo:1", boom))
    queue.submit(make("good", "repo:1", rec.job("good", 0)))
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        await settle(queue)
    stats = queue.stats()
    assert (stats.processed, stats.failed) == (1, 1)
    assert rec.events == [("start", "good"), ("end", "good")]
    failure = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert failure.getMessage().startswith("delivery=bad push failed after")
    assert failure.exc_info is not None and "handler exploded" in str(failure.exc_info[1])
    done = [r.getMessage() for r in caplog.records if "done in" in r.getMessage()]
    assert len(done) == 1 and done[0].startswith("delivery=good push done in")


async def test_a_failed_delivery_can_be_redelivered() -> None:
    queue = DeliveryQueue()
    attempts: list[str] = []

    async def flaky() -> None:
        attempts.append("try")
        if len(attempts) == 1:
            raise RuntimeError("GitHub was down")

    queue.submit(make("retry-me", "repo:1", flaky))
    await settle(queue)
    assert queue.submit(make("retry-me", "repo:1", flaky)) is Admission.ACCEPTED
    await settle(queue)
    assert attempts == ["try", "try"]
    assert (queue.stats().processed, queue.stats().failed) == (1, 1)


async def test_idle_workers_exit_and_a_later_delivery_starts_a_new_one() -> None:
    queue = DeliveryQueue()
    rec = Recorder()
    queue.submit(make("a", "repo:1", rec.job("a", 0)))
    await settle(queue)
    await asyncio.sleep(0)
    assert queue.outstanding() == []
    assert not asyncio.all_tasks() - {asyncio.current_task()}
    queue.submit(make("b", "repo:1", rec.job("b", 0)))
    await settle(queue)
    assert [name for step, name in rec.events if step == "end"] == ["a", "b"]


async def test_a_full_queue_refuses_new_deliveries() -> None:
    queue = DeliveryQueue(max_queued=2)
    gate = asyncio.Event()

    async def blocked() -> None:
        await gate.wait()

    results = [queue.submit(make(f"d{i}", "repo:1", blocked)) for i in range(3)]
    assert results == [Admission.ACCEPTED, Admission.ACCEPTED, Admission.FULL]
    gate.set()
    await settle(queue)


async def test_drain_finishes_the_work_within_the_time() -> None:
    queue = DeliveryQueue()
    rec = Recorder()
    for i in range(3):
        queue.submit(make(f"d{i}", "repo:1", rec.job(f"d{i}", 0.01)))
    queue.submit(make("x", "repo:2", rec.job("x", 0.01)))
    dropped = await queue.drain(timeout=5)
    assert dropped == []
    assert queue.stats().processed == 4
    assert queue.submit(make("late", "repo:1", rec.job("late", 0))) is Admission.CLOSED


async def test_drain_cancels_what_is_left_and_names_it() -> None:
    queue = DeliveryQueue()
    finished: list[str] = []

    def job(name: str, seconds: float) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await asyncio.sleep(seconds)
            finished.append(name)

        return run

    queue.submit(make("quick", "repo:1", job("quick", 0)))
    queue.submit(make("slow", "repo:1", job("slow", 10)))
    queue.submit(make("behind", "repo:1", job("behind", 0)))
    queue.submit(make("other", "repo:2", job("other", 10)))
    loop = asyncio.get_running_loop()
    started = loop.time()
    dropped = await queue.drain(timeout=0.1)
    assert loop.time() - started < 2
    assert finished == ["quick"]
    assert sorted(d.delivery_id for d in dropped) == ["behind", "other", "slow"]
    # Running ones are listed before those that never started.
    assert dropped[-1].delivery_id == "behind"
    await asyncio.sleep(0)
    assert not asyncio.all_tasks() - {asyncio.current_task()}
