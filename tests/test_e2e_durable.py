"""Nothing accepted is lost: the real server (the Procfile's ``web:`` command, embedded SQLite
queue and the worker it starts) stopped, killed and cut off from GitHub mid-push.

Each test pushes 30 new action items (30 paced writes), interrupts the work, then lets a new
server on the same queue file finish it: every item ends with exactly one issue.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from bot_process import BotProcess, start_bot
from fake_github import FakeGitHub, FakeRepo
from fake_github.fixture import running_fake
from fake_github.webhooks import push_payload

from bot.markdown.issue_body import parse_marker

ITEMS = 30
NOTES = "meetings/2024-09-02.md"


@pytest.fixture
def fake() -> FakeGitHub:
    yield from running_fake()


def new_repo(fake: FakeGitHub) -> FakeRepo:
    """A repository whose settings let one push file all the items."""
    settings = {".github/meeting-todo-bot.yml": f"max_new_issues_per_push: {ITEMS}\n"}
    return fake.add_repo("release/notes", files=settings)


def meeting() -> str:
    lines = ["# Release sync, 2024-09-02", "", "## Action items"]
    lines += [f"- TODO: check release blocker number {n}" for n in range(ITEMS)]
    return "\n".join(lines) + "\n"


def keys(repo: FakeRepo) -> Counter[str]:
    """How many issues answer to each item (the test wants exactly one each)."""
    found: Counter[str] = Counter()
    for issue in repo.issues.values():
        marker = parse_marker(issue["body"])
        if marker is not None:
            found[marker.key] += 1
    return found


async def start(fake: FakeGitHub, log_dir: Path, queue: Path, **env: str) -> BotProcess:
    return await start_bot(
        log_dir,
        api_url=fake.url,
        token=None,
        app_id=str(fake.app_id),
        private_key=fake.private_key_pem,
        env={
            "QUEUE_URL": f"sqlite:///{queue}",
            "GITHUB_MUTATION_INTERVAL": "0.05",  # 30 writes take about 1.5 s
            "GITHUB_RETRY_BACKOFF_SCALE": "0.01",
            "DELIVERY_LEASE_SECONDS": "1",
            # A worker lost mid-delivery counts as a failed attempt: leave room for one.
            "DELIVERY_RETRY_DELAYS": "0.5,1",
            **env,
        },
    )


async def push_and_wait_for_writes(
    bot: BotProcess, fake: FakeGitHub, repo: FakeRepo, at_least: int
) -> None:
    before, after = repo.push({NOTES: meeting()})
    answer = await bot.deliver("push", push_payload(fake, repo, before, after))
    assert answer.status == 202
    async with asyncio.timeout(20):
        while len(repo.issues) < at_least:
            await asyncio.sleep(0.01)


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (the embedded worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


async def finish_with_a_new_server(
    fake: FakeGitHub, repo: FakeRepo, tmp_path: Path, queue: Path
) -> None:
    again = await start(fake, tmp_path / "second", queue)
    try:
        async with asyncio.timeout(30):
            while sum(keys(repo).values()) < ITEMS or (await again.health()).body["queued"]:
                await asyncio.sleep(0.05)
        counters = await again.wait_idle()
        assert counters["dead"] == 0
    finally:
        assert await again.stop() == 0
    counts = keys(repo)
    assert len(counts) == ITEMS and set(counts.values()) == {1}, counts


async def test_sigterm_mid_push_hands_the_rest_back_and_nothing_is_dropped(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    repo = new_repo(fake)
    queue = tmp_path / "queue.sqlite3"
    # A grace far shorter than the push: the worker must hand the delivery back.
    bot = await start(fake, tmp_path / "first", queue, DELIVERY_STOP_GRACE="0.2")
    await push_and_wait_for_writes(bot, fake, repo, at_least=5)
    assert await bot.stop() == 0
    assert 5 <= len(repo.issues) < ITEMS
    assert "handed back at shutdown" in bot.stderr()
    await finish_with_a_new_server(fake, repo, tmp_path, queue)


async def test_kill_9_of_server_and_worker_mid_push_loses_nothing_and_duplicates_nothing(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    repo = new_repo(fake)
    queue = tmp_path / "queue.sqlite3"
    bot = await start(fake, tmp_path / "first", queue)
    await push_and_wait_for_writes(bot, fake, repo, at_least=5)
    workers = children(bot.proc.pid)
    assert workers, "the server started no worker"
    for pid in [bot.proc.pid, *workers]:
        os.kill(pid, signal.SIGKILL)
    await bot.kill()
    assert len(repo.issues) < ITEMS
    # The dead worker's lease (1 s) expires; the new worker runs the push again from the
    # start, and the bot's markers make the issues already filed count as done.
    await finish_with_a_new_server(fake, repo, tmp_path, queue)


async def test_a_github_outage_on_writes_heals_by_itself(fake: FakeGitHub, tmp_path: Path) -> None:
    repo = new_repo(fake)
    queue = tmp_path / "queue.sqlite3"
    bot = await start(fake, tmp_path / "first", queue, DELIVERY_RETRY_DELAYS="0.5,1,1,2")
    # Every write fails for a while (the client's own three retries included).
    fake.inject_fault("POST", r"/repos/release/notes/issues$", 502, times=12)
    before, after = repo.push({NOTES: meeting()})
    assert (await bot.deliver("push", push_payload(fake, repo, before, after))).status == 202
    try:
        async with asyncio.timeout(30):
            while len(repo.issues) < ITEMS:
                await asyncio.sleep(0.05)
        counters = await bot.wait_idle()
    finally:
        assert await bot.stop() == 0
    assert counters["failed"] >= 1 and counters["dead"] == 0
    counts = keys(repo)
    assert len(counts) == ITEMS and set(counts.values()) == {1}, counts
