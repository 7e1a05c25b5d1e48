"""In-process queue and store: the semantics of the durable ones, nothing kept on disk."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from cachetools import TTLCache

from bot.queue.base import Claim, Outcome, QueueBase
from bot.queue.model import Admission, DeadDelivery, Delivery, Policy, QueueStats

#: Delivery ids remembered at most; the oldest are forgotten first.
DEDUPE_SIZE = 200_000


@dataclass
class _Record:
    delivery: Delivery
    accepted_at: float
    attempts: int = 0
    error: str = ""
    died_at: float = 0.0


class MemoryQueue(QueueBase):
    """Per-key lines in this process's memory (lost when it exits); for tests and tools."""

    def __init__(self, policy: Policy | None = None) -> None:
        super().__init__(policy)
        self._seen: TTLCache[str, bool] = TTLCache(maxsize=DEDUPE_SIZE, ttl=self.policy.dedupe)
        self._live: dict[str, _Record] = {}
        self._dead: dict[str, _Record] = {}
        self._pending: dict[str, deque[str]] = {}
        self._ready: deque[str] = deque()
        self._delayed: dict[str, float] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self._processed = self._failed = self._duplicates = 0

    async def _submit(self, delivery: Delivery) -> Admission:
        revived = self._dead.pop(delivery.id, None)
        if revived is None and delivery.id in self._seen:
            self._duplicates += 1
            return Admission.DUPLICATE
        if len(self._live) >= self.policy.max_queued:
            if revived is not None:
                self._dead[delivery.id] = revived
            return Admission.FULL
        self._seen[delivery.id] = True
        self._enqueue(_Record(delivery, time.time()))
        return Admission.ACCEPTED

    def _enqueue(self, record: _Record) -> None:
        key = record.delivery.key
        self._live[record.delivery.id] = record
        ids = self._pending.setdefault(key, deque())
        ids.append(record.delivery.id)
        if len(ids) == 1 and key not in self._leases and key not in self._delayed:
            self._ready.append(key)

    async def _claim(self, token: str) -> Claim | None:
        now = time.time()
        for key, due in list(self._delayed.items()):
            if due <= now:
                del self._delayed[key]
                self._ready.append(key)
        for key, (_, until) in list(self._leases.items()):
            if until <= now:
                del self._leases[key]
                if self._pending.get(key):
                    self._ready.append(key)
        while self._ready:
            key = self._ready.popleft()
            claim = self._lease_head(key, token, now)
            if claim is not None:
                return claim
        return None

    def _lease_head(self, key: str, token: str, now: float) -> Claim | None:
        ids = self._pending.get(key)
        while ids:
            record = self._live[ids[0]]
            record.attempts += 1
            if record.attempts > self.policy.max_attempts:
                # Started that often without an outcome: it kills its worker; set it aside.
                ids.popleft()
                self._bury(record, "its worker was lost on every attempt", now)
                continue
            self._leases[key] = (token, now + self.policy.lease)
            return Claim(key, token, record.delivery, record.attempts)
        self._pending.pop(key, None)
        self._leases.pop(key, None)
        return None

    def _bury(self, record: _Record, error: str, now: float) -> None:
        del self._live[record.delivery.id]
        record.error = error
        record.died_at = now
        self._dead[record.delivery.id] = record

    async def _finish(
        self,
        claim: Claim,
        outcome: Outcome,
        *,
        error: str = "",
        delay: float = 0.0,
        take_next: bool = False,
    ) -> Claim | None:
        key, now = claim.key, time.time()
        lease = self._leases.get(key)
        if lease is None or lease[0] != claim.token:
            return None
        ids = self._pending[key]
        record = self._live[claim.delivery.id]
        if outcome is Outcome.DONE:
            ids.popleft()
            del self._live[claim.delivery.id]
            self._processed += 1
        elif outcome is Outcome.RETRY:
            record.error = error
            self._failed += 1
            del self._leases[key]
            self._delayed[key] = now + delay
            return None
        elif outcome is Outcome.DEAD:
            ids.popleft()
            self._bury(record, error, now)
            self._failed += 1
        else:
            record.attempts -= 1
        if take_next:
            return self._lease_head(key, claim.token, now)
        del self._leases[key]
        if not ids:
            del self._pending[key]
        elif outcome is Outcome.HANDBACK:
            self._ready.appendleft(key)
        else:
            self._ready.append(key)
        return None

    async def _renew(self, key: str, token: str) -> bool:
        lease = self._leases.get(key)
        if lease is None or lease[0] != token:
            return False
        self._leases[key] = (token, time.time() + self.policy.lease)
        return True

    async def stats(self) -> QueueStats:
        running, retrying = len(self._leases), len(self._delayed)
        oldest = next(iter(self._live.values()), None)
        return QueueStats(
            queued=len(self._live) - running - retrying,
            running=running,
            retrying=retrying,
            dead=len(self._dead),
            processed=self._processed,
            failed=self._failed,
            duplicates=self._duplicates,
            oldest_age=None if oldest is None else time.time() - oldest.accepted_at,
        )

    async def dead(self) -> list[DeadDelivery]:
        return [
            DeadDelivery(
                id=r.delivery.id,
                event=r.delivery.event,
                key=r.delivery.key,
                attempts=r.attempts,
                error=r.error,
                died_at=r.died_at,
            )
            for r in self._dead.values()
        ]

    async def retry_dead(self, delivery_id: str | None = None) -> int:
        ids = list(self._dead) if delivery_id is None else [delivery_id]
        count = 0
        for id_ in ids:
            record = self._dead.pop(id_, None)
            if record is not None:
                self._enqueue(_Record(record.delivery, time.time()))
                count += 1
        return count


class MemoryStore:
    """:class:`~bot.queue.model.Store` in a dict; expired values are dropped when read."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], tuple[str, float]] = {}

    async def get(self, namespace: str, key: str) -> str | None:
        entry = self._values.get((namespace, key))
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            del self._values[(namespace, key)]
            return None
        return entry[0]

    async def put(self, namespace: str, key: str, value: str, ttl: float) -> None:
        self._values[(namespace, key)] = (value, time.monotonic() + ttl)

    async def put_if_absent(self, namespace: str, key: str, value: str, ttl: float) -> bool:
        if await self.get(namespace, key) is not None:
            return False
        await self.put(namespace, key, value, ttl)
        return True

    async def delete(self, namespace: str, key: str) -> None:
        self._values.pop((namespace, key), None)

    async def close(self) -> None:
        self._values.clear()
