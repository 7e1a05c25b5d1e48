"""Durable webhook deliveries: the web process submits, worker processes handle.

The contract the server and the worker code against (:mod:`bot.queue.model`):

- :class:`Delivery` is plain data (``to_bytes``/``from_bytes``), so any process can run it.
- ``await queue.submit(delivery)`` answers an :class:`Admission`: ACCEPTED once the delivery
  is stored, DUPLICATE for an id accepted before (within ``Policy.dedupe``), FULL past
  ``Policy.max_queued`` live deliveries, CLOSED after ``close``.
- ``await queue.work(handler, stop, concurrency=n)`` runs ``handler(delivery)`` until
  ``stop`` is set. Deliveries with one ``key`` run one at a time and in order, across
  every process; keys take turns (round-robin), so one busy repository cannot starve the
  rest. A handler that raises is retried after ``Policy.backoff`` (its key waits with it,
  to keep the order), then kept as dead while the key moves on. A worker holds a key by a
  lease it renews every ``Policy.heartbeat``; if the process dies, the lease expires
  after ``Policy.lease`` and another worker runs the delivery again. After ``stop``,
  running handlers have ``Policy.grace`` seconds, then are cancelled and handed back.
- ``stats``, ``dead``, ``retry_dead`` and ``close`` are for ``/health`` and operators.

Handlers must be idempotent: a delivery runs at least once (again after a crash, or when
a lease was lost), never concurrently with another of its key.

Backends, with the same semantics and one test suite: :class:`MemoryQueue` (this process
only, not durable), :class:`SqliteQueue` (the default: one file, the processes of one
machine), :class:`RedisQueue` (any number of machines). :func:`open_queue` and
:func:`open_store` choose one from a URL. The :class:`Store` protocol keeps small shared
values with a time to live (comments posted, pulls merged), in the same three places.
"""

from __future__ import annotations

from pathlib import Path

from bot.queue.base import QueueBase
from bot.queue.memory import MemoryQueue, MemoryStore
from bot.queue.model import (
    DAY,
    Admission,
    DeadDelivery,
    Delivery,
    DeliveryQueue,
    Handler,
    Policy,
    QueueStats,
    Store,
)
from bot.queue.sqlite import DEFAULT_PATH, SqliteQueue, SqliteStore

__all__ = [
    "DAY",
    "DEFAULT_PATH",
    "Admission",
    "DeadDelivery",
    "Delivery",
    "DeliveryQueue",
    "Handler",
    "MemoryQueue",
    "MemoryStore",
    "Policy",
    "QueueBase",
    "QueueStats",
    "SqliteQueue",
    "SqliteStore",
    "Store",
    "open_queue",
    "open_store",
]


def open_queue(url: str, policy: Policy | None = None) -> QueueBase:
    """``memory:``, ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` (or a bare
    path), ``redis://…``, ``rediss://…`` or ``unix:///path/to/redis.sock``."""
    if url == "memory:":
        return MemoryQueue(policy)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from bot.queue.redis import RedisQueue

        return RedisQueue(url, policy)
    return SqliteQueue(_sqlite_path(url), policy)


def open_store(url: str) -> Store:
    """The :class:`Store` at the same kind of URL as :func:`open_queue`."""
    if url == "memory:":
        return MemoryStore()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from bot.queue.redis import RedisStore

        return RedisStore(url)
    return SqliteStore(_sqlite_path(url))


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///")) if url else DEFAULT_PATH
