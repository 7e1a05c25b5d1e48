"""The worker loop every backend shares; a backend supplies five atomic steps.

A backend keeps, per ordering key, a first-in-first-out list of pending deliveries, and
each key with pending deliveries is in exactly one place: the ready line (round-robin
over keys), the delayed set (its head failed and waits out a backoff), or leased to one
worker until a time. The steps below move keys between those places atomically, so the
loop here needs no locks of its own and any number of processes can run it.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import enum
import logging
import time
import traceback
import uuid
from dataclasses import dataclass

from bot.context import delivery_log
from bot.queue.model import (
    Admission,
    DeadDelivery,
    Delivery,
    Handler,
    Policy,
    QueueStats,
)

log = logging.getLogger(__name__)

#: How long a handler that ignores its cancellation may hold up a hand-back.
CANCEL_WAIT_SECONDS = 1.0


class Outcome(enum.Enum):
    """How one attempt ended, as told to :meth:`QueueBase._finish`."""

    DONE = "done"
    RETRY = "retry"  # failed; the key waits ``delay`` seconds, the delivery stays first
    DEAD = "dead"  # failed its last attempt; kept aside, the key moves on
    HANDBACK = "handback"  # not finished (stop); the attempt is not counted


@dataclass(frozen=True)
class Claim:
    """A key leased to one worker, and the delivery at its head to run now."""

    key: str
    token: str  # proves the lease is still this worker's
    delivery: Delivery
    attempts: int  # including this one


def _name(delivery: Delivery) -> str:
    """``push``, ``issue_comment.created``: what the logs call a delivery."""
    return f"{delivery.event}.{delivery.action}" if delivery.action else delivery.event


class QueueBase(abc.ABC):
    """:class:`~bot.queue.model.DeliveryQueue` over a backend's atomic steps."""

    def __init__(self, policy: Policy | None = None) -> None:
        self.policy = policy or Policy()
        self._closed = False

    # -- what a backend supplies -------------------------------------------------------

    @abc.abstractmethod
    async def _submit(self, delivery: Delivery) -> Admission:
        """Store a delivery behind the others with its key, unless seen or full."""

    @abc.abstractmethod
    async def _claim(self, token: str) -> Claim | None:
        """Requeue expired leases and due retries, then lease the next ready key."""

    @abc.abstractmethod
    async def _finish(
        self,
        claim: Claim,
        outcome: Outcome,
        *,
        error: str = "",
        delay: float = 0.0,
        take_next: bool = False,
    ) -> Claim | None:
        """Record an attempt's outcome; with ``take_next``, keep the lease and return the
        key's next delivery, else release the key. None also when the lease was lost."""

    @abc.abstractmethod
    async def _renew(self, key: str, token: str) -> bool:
        """Extend a lease; False if it is no longer this token's."""

    @abc.abstractmethod
    async def stats(self) -> QueueStats: ...

    @abc.abstractmethod
    async def dead(self) -> list[DeadDelivery]: ...

    @abc.abstractmethod
    async def retry_dead(self, delivery_id: str | None = None) -> int:
        """Queue dead deliveries again (behind their key's pending ones); how many."""

    async def close(self) -> None:
        self._closed = True

    # -- the shared part ---------------------------------------------------------------

    async def submit(self, delivery: Delivery) -> Admission:
        """Queue a delivery; ACCEPTED only once the backend has stored it."""
        if self._closed:
            return Admission.CLOSED
        return await self._submit(delivery)

    async def work(self, handler: Handler, stop: asyncio.Event, *, concurrency: int = 4) -> None:
        """Run deliveries until ``stop`` is set, at most ``concurrency`` keys at once.

        After ``stop`` no new key is taken; running handlers get ``policy.grace`` seconds,
        then are cancelled and their deliveries handed back, first in their keys' lines.
        """
        abort = asyncio.Event()
        running: set[asyncio.Task[None]] = set()
        stopped = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set() and not self._closed:
                if len(running) >= concurrency:
                    await asyncio.wait({*running, stopped}, return_when=asyncio.FIRST_COMPLETED)
                    continue
                token = uuid.uuid4().hex
                try:
                    claim = await self._claim(token)
                except Exception:
                    # The store is unreachable: the web process keeps accepting (or not)
                    # on its own; the worker waits for the store to come back.
                    log.exception("claiming work failed; trying again")
                    await asyncio.wait({stopped}, timeout=max(self.policy.poll, 1.0))
                    continue
                if claim is None:
                    await asyncio.wait({stopped}, timeout=self.policy.poll)
                    continue
                task = asyncio.create_task(
                    self._run_key(claim, handler, stop, abort), name=f"queue:{claim.key}"
                )
                running.add(task)
                task.add_done_callback(running.discard)
            if running:
                await asyncio.wait(running, timeout=self.policy.grace)
            abort.set()
            if running:
                await asyncio.wait(running, timeout=CANCEL_WAIT_SECONDS + 5.0)
        finally:
            stopped.cancel()
            abort.set()

    async def _run_key(
        self, claim: Claim, handler: Handler, stop: asyncio.Event, abort: asyncio.Event
    ) -> None:
        lost = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat(claim.key, claim.token, lost))
        current: Claim | None = claim
        turn = 0
        try:
            while current is not None:
                turn += 1
                outcome, error = await self._attempt(current, handler, lost, abort)
                if outcome is None:
                    return  # the lease is gone: another worker owns the key now
                delay = 0.0
                if outcome is Outcome.RETRY:
                    delay = self.policy.delay(current.attempts) or 0.0
                take_next = (
                    outcome in (Outcome.DONE, Outcome.DEAD)
                    and turn < self.policy.turn
                    and not stop.is_set()
                )
                current = await asyncio.shield(
                    self._finish(current, outcome, error=error, delay=delay, take_next=take_next)
                )
        except Exception:
            # Never reached for a handler's failure; a store failure leaves the lease to
            # expire, and another worker takes the key over.
            log.exception("lost track of %s; its lease will expire", claim.key)
        finally:
            beat.cancel()

    async def _attempt(
        self, claim: Claim, handler: Handler, lost: asyncio.Event, abort: asyncio.Event
    ) -> tuple[Outcome | None, str]:
        delivery = claim.delivery
        dlog = delivery_log(delivery.id)
        started = time.time()
        task: asyncio.Task[None] = asyncio.create_task(_call(handler, delivery))
        lost_wait = asyncio.create_task(lost.wait())
        abort_wait = asyncio.create_task(abort.wait())
        try:
            await asyncio.wait({task, lost_wait, abort_wait}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await self._cancel(task)
            with contextlib.suppress(Exception):
                await asyncio.shield(self._finish(claim, Outcome.HANDBACK))
            raise
        finally:
            lost_wait.cancel()
            abort_wait.cancel()
        if not task.done():
            await self._cancel(task)
            if lost.is_set():
                dlog.warning("%s on %s cancelled: lease lost", _name(delivery), claim.key)
                return None, ""
            dlog.info("%s on %s handed back at shutdown", _name(delivery), claim.key)
            return Outcome.HANDBACK, ""
        took_ms = (time.time() - started) * 1000
        waited_ms = (started - delivery.received_at) * 1000
        exc = None if task.cancelled() else task.exception()
        if not task.cancelled() and exc is None:
            dlog.info("%s done in %.1f ms (waited %.1f ms)", _name(delivery), took_ms, waited_ms)
            return Outcome.DONE, ""
        error = "cancelled" if exc is None else "".join(traceback.format_exception_only(exc))
        delay = self.policy.delay(claim.attempts)
        dlog.error(
            "%s failed (attempt %d of %d) after %.1f ms: %s%s",
            _name(delivery),
            claim.attempts,
            self.policy.max_attempts,
            took_ms,
            error.strip(),
            "" if delay is None else f"; retrying in {delay:g} s",
            exc_info=exc,
        )
        return (Outcome.DEAD if delay is None else Outcome.RETRY), error.strip()

    @staticmethod
    async def _cancel(task: asyncio.Task[None]) -> None:
        task.cancel()
        # A handler that swallows its cancellation must not hang the worker.
        await asyncio.wait({task}, timeout=CANCEL_WAIT_SECONDS)

    async def _heartbeat(self, key: str, token: str, lost: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            await asyncio.sleep(self.policy.heartbeat)
            try:
                ok: bool | None = await self._renew(key, token)
            except Exception:
                log.warning("renewing the lease on %s failed", key, exc_info=True)
                ok = None
            if ok:
                renewed = loop.time()
            elif ok is False or loop.time() - renewed >= self.policy.lease:
                # Past its lease another worker may run the key: stop, to keep one at a time.
                lost.set()
                return


async def _call(handler: Handler, delivery: Delivery) -> None:
    await handler(delivery)
