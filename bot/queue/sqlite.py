"""The embedded default: the queue and store in one SQLite file, shared by the processes of
one machine (a web process and a worker process).

Each step is one ``BEGIN IMMEDIATE`` transaction, so the processes take turns at SQLite's
write lock and never see half a step. The file is in WAL mode, so readers do not block
the writer, and ``synchronous=FULL`` by default: an accepted delivery is on disk before
GitHub is answered, because GitHub never redelivers on its own. All calls of one object
go through one thread, which owns its connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from bot.queue.base import Claim, Outcome, QueueBase
from bot.queue.model import Admission, DeadDelivery, Delivery, Policy, QueueStats

#: Where the queue lives unless a setting says otherwise.
DEFAULT_PATH = Path(".meeting-todo-bot/queue.sqlite3")
#: How long a step waits for another process's transaction before it fails.
BUSY_TIMEOUT_MS = 10_000
#: Expired delivery ids and values are deleted this often (seconds), a bounded batch.
PURGE_SECONDS = 60.0

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,      -- order within a key
    id TEXT NOT NULL UNIQUE,
    key TEXT NOT NULL,
    event TEXT NOT NULL,
    body BLOB NOT NULL,
    dead INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    accepted_at REAL NOT NULL,
    died_at REAL
);
CREATE INDEX IF NOT EXISTS deliveries_line ON deliveries (key, seq) WHERE dead = 0;
CREATE INDEX IF NOT EXISTS deliveries_dead ON deliveries (died_at) WHERE dead = 1;
-- One row per key with live deliveries: ready (due = 0), delayed until due, or leased
-- to owner until due. Rows are served in turn order: round-robin over keys.
CREATE TABLE IF NOT EXISTS keys (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    turn INTEGER NOT NULL,
    due REAL NOT NULL DEFAULT 0,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS keys_turn ON keys (turn);
CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS seen_expires ON seen (expires);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (namespace, key)
);
CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires);
"""


class SqliteDb:
    """One connection to the file, used from one thread; ``run`` is a transaction."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="queue-sqlite")
        self._conn: sqlite3.Connection | None = None
        self._synchronous = synchronous
        self._purged = 0.0
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self._conn = conn
        return self._conn

    def _transaction(self, step: Callable[[sqlite3.Connection, float], T]) -> T:
        conn = self._connect()
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if now - self._purged > PURGE_SECONDS:
                self._purged = now
                conn.execute(
                    "DELETE FROM seen WHERE id IN "
                    "(SELECT id FROM seen WHERE expires <= ? LIMIT 1000)",
                    (now,),
                )
                conn.execute("DELETE FROM kv WHERE expires <= ?", (now,))
            result = step(conn, now)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return result

    async def run(self, step: Callable[[sqlite3.Connection, float], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transaction, step)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._executor, _close)
        self._executor.shutdown(wait=True)


def _bump(conn: sqlite3.Connection, name: str, by: int = 1) -> None:
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
        (name, by),
    )


def _counter(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


def _next_turn(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(turn), 0) + 1 FROM keys").fetchone()[0])


class SqliteQueue(QueueBase):
    """:class:`~bot.queue.model.DeliveryQueue` in a SQLite file."""

    def __init__(
        self, path: str | Path = DEFAULT_PATH, policy: Policy | None = None, **db: Any
    ) -> None:
        super().__init__(policy)
        self.db = SqliteDb(path, **db)

    async def _submit(self, delivery: Delivery) -> Admission:
        body = delivery.to_bytes()
        max_queued, dedupe = self.policy.max_queued, self.policy.dedupe

        def step(conn: sqlite3.Connection, now: float) -> Admission:
            row = conn.execute(
                "SELECT dead FROM deliveries WHERE id = ?", (delivery.id,)
            ).fetchone()
            revive = row is not None and row[0] == 1
            if not revive:
                seen = conn.execute(
                    "SELECT 1 FROM seen WHERE id = ? AND expires > ?", (delivery.id, now)
                ).fetchone()
                if seen or row is not None:
                    _bump(conn, "duplicates")
                    return Admission.DUPLICATE
            if _counter(conn, "live") >= max_queued:
                return Admission.FULL
            conn.execute(
                "INSERT OR REPLACE INTO seen (id, expires) VALUES (?, ?)",
                (delivery.id, now + dedupe),
            )
            if revive:
                conn.execute("DELETE FROM deliveries WHERE id = ?", (delivery.id,))
            self._enqueue(conn, delivery.id, delivery.key, delivery.event, body, now)
            return Admission.ACCEPTED

        return await self.db.run(step)

    @staticmethod
    def _enqueue(
        conn: sqlite3.Connection, id_: str, key: str, event: str, body: bytes, now: float
    ) -> None:
        conn.execute(
            "INSERT INTO deliveries (id, key, event, body, accepted_at) VALUES (?, ?, ?, ?, ?)",
            (id_, key, event, body, now),
        )
        _bump(conn, "live")
        conn.execute(
            "INSERT INTO keys (key, state, turn) VALUES (?, 'ready', ?) "
            "ON CONFLICT (key) DO NOTHING",
            (key, _next_turn(conn)),
        )

    async def _claim(self, token: str) -> Claim | None:
        def step(conn: sqlite3.Connection, now: float) -> Claim | None:
            # Due retries and expired leases are as ready as ready keys; oldest turn first.
            while True:
                row = conn.execute(
                    "SELECT key FROM keys WHERE due <= ? ORDER BY turn LIMIT 1", (now,)
                ).fetchone()
                if row is None:
                    return None
                claim = self._lease_head(conn, row[0], token, now)
                if claim is not None:
                    return claim

        return await self.db.run(step)

    def _lease_head(
        self, conn: sqlite3.Connection, key: str, token: str, now: float
    ) -> Claim | None:
        while True:
            row = conn.execute(
                "SELECT id, body, attempts FROM deliveries WHERE key = ? AND dead = 0 "
                "ORDER BY seq LIMIT 1",
                (key,),
            ).fetchone()
            if row is None:
                conn.execute("DELETE FROM keys WHERE key = ?", (key,))
                return None
            id_, body, attempts = row[0], row[1], row[2] + 1
            if attempts > self.policy.max_attempts:
                # Started that often without an outcome: it kills its worker; set it aside.
                self._bury(conn, id_, attempts, "its worker was lost on every attempt", now)
                continue
            conn.execute("UPDATE deliveries SET attempts = ? WHERE id = ?", (attempts, id_))
            conn.execute(
                "UPDATE keys SET state = 'leased', due = ?, owner = ? WHERE key = ?",
                (now + self.policy.lease, token, key),
            )
            return Claim(key, token, Delivery.from_bytes(body), attempts)

    @staticmethod
    def _bury(conn: sqlite3.Connection, id_: str, attempts: int, error: str, now: float) -> None:
        conn.execute(
            "UPDATE deliveries SET dead = 1, attempts = ?, error = ?, died_at = ? WHERE id = ?",
            (attempts, error, now, id_),
        )
        _bump(conn, "live", -1)

    async def _finish(
        self,
        claim: Claim,
        outcome: Outcome,
        *,
        error: str = "",
        delay: float = 0.0,
        take_next: bool = False,
    ) -> Claim | None:
        key, id_ = claim.key, claim.delivery.id

        def step(conn: sqlite3.Connection, now: float) -> Claim | None:
            owner = conn.execute(
                "SELECT owner FROM keys WHERE key = ? AND state = 'leased'", (key,)
            ).fetchone()
            if owner is None or owner[0] != claim.token:
                return None
            if outcome is Outcome.DONE:
                conn.execute("DELETE FROM deliveries WHERE id = ?", (id_,))
                _bump(conn, "live", -1)
                _bump(conn, "processed")
            elif outcome is Outcome.RETRY:
                conn.execute("UPDATE deliveries SET error = ? WHERE id = ?", (error, id_))
                _bump(conn, "failed")
                conn.execute(
                    "UPDATE keys SET state = 'delayed', due = ?, owner = NULL, turn = ? "
                    "WHERE key = ?",
                    (now + delay, _next_turn(conn), key),
                )
                return None
            elif outcome is Outcome.DEAD:
                self._bury(conn, id_, claim.attempts, error, now)
                _bump(conn, "failed")
            else:
                conn.execute("UPDATE deliveries SET attempts = attempts - 1 WHERE id = ?", (id_,))
            if take_next:
                return self._lease_head(conn, key, claim.token, now)
            left = conn.execute(
                "SELECT 1 FROM deliveries WHERE key = ? AND dead = 0 LIMIT 1", (key,)
            ).fetchone()
            if left is None:
                conn.execute("DELETE FROM keys WHERE key = ?", (key,))
                return None
            # A handed-back key goes first: it was at the front when it was taken.
            turn = (
                int(conn.execute("SELECT MIN(turn) - 1 FROM keys").fetchone()[0])
                if outcome is Outcome.HANDBACK
                else _next_turn(conn)
            )
            conn.execute(
                "UPDATE keys SET state = 'ready', due = 0, owner = NULL, turn = ? WHERE key = ?",
                (turn, key),
            )
            return None

        return await self.db.run(step)

    async def _renew(self, key: str, token: str) -> bool:
        def step(conn: sqlite3.Connection, now: float) -> bool:
            cursor = conn.execute(
                "UPDATE keys SET due = ? WHERE key = ? AND state = 'leased' AND owner = ?",
                (now + self.policy.lease, key, token),
            )
            return cursor.rowcount == 1

        return await self.db.run(step)

    async def stats(self) -> QueueStats:
        def step(conn: sqlite3.Connection, now: float) -> QueueStats:
            states = dict(
                conn.execute("SELECT state, COUNT(*) FROM keys GROUP BY state").fetchall()
            )
            live = _counter(conn, "live")
            running, retrying = states.get("leased", 0), states.get("delayed", 0)
            oldest = conn.execute(
                "SELECT MIN(accepted_at) FROM deliveries WHERE dead = 0"
            ).fetchone()[0]
            dead = conn.execute("SELECT COUNT(*) FROM deliveries WHERE dead = 1").fetchone()[0]
            return QueueStats(
                queued=live - running - retrying,
                running=running,
                retrying=retrying,
                dead=dead,
                processed=_counter(conn, "processed"),
                failed=_counter(conn, "failed"),
                duplicates=_counter(conn, "duplicates"),
                oldest_age=None if oldest is None else now - oldest,
            )

        return await self.db.run(step)

    async def dead(self) -> list[DeadDelivery]:
        def step(conn: sqlite3.Connection, now: float) -> list[DeadDelivery]:
            rows = conn.execute(
                "SELECT id, event, key, attempts, error, died_at FROM deliveries "
                "WHERE dead = 1 ORDER BY died_at"
            ).fetchall()
            return [DeadDelivery(*row) for row in rows]

        return await self.db.run(step)

    async def retry_dead(self, delivery_id: str | None = None) -> int:
        def step(conn: sqlite3.Connection, now: float) -> int:
            query = "SELECT id, key, event, body FROM deliveries WHERE dead = 1"
            args: tuple[str, ...] = ()
            if delivery_id is not None:
                query += " AND id = ?"
                args = (delivery_id,)
            rows = conn.execute(query + " ORDER BY seq", args).fetchall()
            for id_, key, event, body in rows:
                # Re-inserted, so that it gets a new place at the end of its key's line.
                conn.execute("DELETE FROM deliveries WHERE id = ?", (id_,))
                self._enqueue(conn, id_, key, event, body, now)
            return len(rows)

        return await self.db.run(step)

    async def close(self) -> None:
        await super().close()
        await self.db.close()


class SqliteStore:
    """:class:`~bot.queue.model.Store` in the ``kv`` table of the queue's file."""

    def __init__(self, path: str | Path = DEFAULT_PATH, **db: Any) -> None:
        self.db = SqliteDb(path, **db)

    async def get(self, namespace: str, key: str) -> str | None:
        def step(conn: sqlite3.Connection, now: float) -> str | None:
            row = conn.execute(
                "SELECT value FROM kv WHERE namespace = ? AND key = ? AND expires > ?",
                (namespace, key, now),
            ).fetchone()
            return None if row is None else str(row[0])

        return await self.db.run(step)

    async def put(self, namespace: str, key: str, value: str, ttl: float) -> None:
        def step(conn: sqlite3.Connection, now: float) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO kv (namespace, key, value, expires) VALUES (?, ?, ?, ?)",
                (namespace, key, value, now + ttl),
            )

        await self.db.run(step)

    async def put_if_absent(self, namespace: str, key: str, value: str, ttl: float) -> bool:
        def step(conn: sqlite3.Connection, now: float) -> bool:
            cursor = conn.execute(
                "INSERT INTO kv (namespace, key, value, expires) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (namespace, key) DO UPDATE SET "
                "value = excluded.value, expires = excluded.expires WHERE kv.expires <= ?",
                (namespace, key, value, now + ttl, now),
            )
            return cursor.rowcount == 1

        return await self.db.run(step)

    async def delete(self, namespace: str, key: str) -> None:
        def step(conn: sqlite3.Connection, now: float) -> None:
            conn.execute("DELETE FROM kv WHERE namespace = ? AND key = ?", (namespace, key))

        await self.db.run(step)

    async def close(self) -> None:
        await self.db.close()
