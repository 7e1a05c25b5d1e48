"""The GitHub client layer against the fake GitHub (real HTTP on loopback).

Waits go through an injected sleep that records the request and moves the fake's clock
instead of sleeping, so a 2-minute rate-limit wait costs nothing and the fake sees the time pass.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fake_github import PASS_THROUGH, FakeGitHub, FakeRepo, RecordedRequest

from bot.commands.verbs import CommandEnv, TargetIssue, _unassign
from bot.config import Config
from bot.github import GitHubClient, GitHubError, GitHubFactory, RetryPolicy, api
from bot.github.client import github_headers
from bot.queue.memory import MemoryStore

REPO = "acme/notes"
FAST = RetryPolicy(backoff_scale=0.001)
TOKEN_PATH = "/app/installations/1/access_tokens"


class VirtualSleep:
    """Records every wait and lets the fake's clock jump by it."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.fake.advance_clock(seconds)
        await asyncio.sleep(0)


def app_config(fake: FakeGitHub, interval: float = 0.0) -> Config:
    return Config(
        webhook_secret=None,
        app_id=str(fake.app_id),
        private_key=fake.private_key_pem,
        token=None,
        api_url=fake.url,
        bot_login=fake.bot_login,
        mutation_interval=interval,
    )


def token_config(url: str, token: str) -> Config:
    return Config(
        webhook_secret=None,
        app_id=None,
        private_key=None,
        token=token,
        api_url=url,
        mutation_interval=0.0,
    )


@pytest.fixture
def repo(fake_github: FakeGitHub) -> FakeRepo:
    return fake_github.add_repo(
        REPO,
        files={
            "README.md": "# Notes\n",
            "notes/2024-05-01.md": "# Weekly\n\n- **TODO**: café order\n",
            "notes/2024/05-08.md": "# Weekly\n",
            "notes/2024/deep/05-15.md": "# Deep\n",
        },
    )


@pytest.fixture
def sleeps(fake_github: FakeGitHub) -> VirtualSleep:
    return VirtualSleep(fake_github)


@pytest.fixture
async def factory(
    fake_github: FakeGitHub, repo: FakeRepo, sleeps: VirtualSleep
) -> AsyncIterator[GitHubFactory]:
    made = GitHubFactory(
        app_config(fake_github), sleep=sleeps, clock=fake_github.clock, retry=FAST, timeout=5.0
    )
    yield made
    await made.close()


@pytest.fixture
async def gh(factory: GitHubFactory) -> GitHubClient:
    return await factory.for_installation(1)


def calls(fake: FakeGitHub, method: str, path: str) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.method == method and r.path == path]


# -- installation tokens ------------------------------------------------------------------------


async def test_fifty_concurrent_deliveries_make_one_token_request(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    async def delivery() -> Any:
        gh = await factory.for_installation(1)
        return await gh.get(f"/repos/{REPO}/issues", {"state": "all"})

    answers = await asyncio.gather(*(delivery() for _ in range(50)))
    assert answers == [[]] * 50
    assert len(calls(fake_github, "POST", TOKEN_PATH)) == 1
    auths = {r.headers["authorization"] for r in calls(fake_github, "GET", f"/repos/{REPO}/issues")}
    assert len(auths) == 1 and next(iter(auths)).startswith("token ")


async def test_token_is_renewed_five_minutes_before_expiry(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    path = f"/repos/{REPO}/issues"
    await gh.get(path)
    fake_github.advance_clock(3600 - 310)
    await gh.get(path)
    assert len(calls(fake_github, "POST", TOKEN_PATH)) == 1
    fake_github.advance_clock(20)  # now inside the last five minutes of the token's hour
    await gh.get(path)
    assert len(calls(fake_github, "POST", TOKEN_PATH)) == 2
    first, second, third = (r.headers["authorization"] for r in calls(fake_github, "GET", path))
    assert first == second != third


async def test_refused_token_is_replaced_once(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    fake_github.inject_fault("GET", r"/issues/1$", 401, body={"message": "Bad credentials"})
    number = fake_github.repo(REPO).add_issue("Hello")
    issue = await gh.get(f"/repos/{REPO}/issues/{number}")
    assert issue["title"] == "Hello"
    assert len(calls(fake_github, "POST", TOKEN_PATH)) == 2


async def test_for_repo_finds_the_installation_with_the_jwt(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    gh = await factory.for_repo(REPO)
    assert gh.installation_id == 1
    await factory.for_repo(REPO)
    lookups = calls(fake_github, "GET", f"/repos/{REPO}/installation")
    assert len(lookups) == 1  # remembered
    assert lookups[0].headers["authorization"].startswith("bearer ")


async def test_for_repo_without_the_app_installed_fails(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    fake_github.add_repo("elsewhere/private", installation_id=None)
    with pytest.raises(GitHubError) as caught:
        await factory.for_repo("elsewhere/private")
    assert caught.value.status == 404


async def test_token_mode_uses_the_token_as_is(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    fake_github.add_token("ghp_personal", "alice")
    factory = GitHubFactory(token_config(fake_github.url, "ghp_personal"), retry=FAST)
    try:
        gh = await factory.for_repo(REPO)
        assert await gh.get(f"/repos/{REPO}/issues") == []
    finally:
        await factory.close()
    assert calls(fake_github, "POST", TOKEN_PATH) == []
    assert fake_github.requests[-1].headers["authorization"] == "token ghp_personal"


async def test_one_session_for_every_client(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    factory = GitHubFactory(app_config(fake_github), retry=FAST)
    first = await factory.for_installation(1)
    second = await factory.for_repo(REPO)
    session = factory.session()
    await first.get(f"/repos/{REPO}/issues")
    await second.get(f"/repos/{REPO}/labels")
    assert factory.session() is session
    await factory.close()
    assert session.closed


# -- pacing -------------------------------------------------------------------------------------


async def test_mutations_are_serialised_and_paced(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    interval = 0.05
    factory = GitHubFactory(app_config(fake_github, interval), retry=FAST)
    try:
        number = repo.add_issue("Paced")
        clients = [await factory.for_installation(1) for _ in range(3)]
        # The first write is slow: the others must wait for its answer, not just its start.
        fake_github.inject_fault("POST", r"/comments$", PASS_THROUGH, delay=0.2)
        url = f"/repos/{REPO}/issues/{number}/comments"
        await asyncio.gather(
            *(clients[i % 3].post(url, {"body": f"comment {i}"}) for i in range(6))
        )
    finally:
        await factory.close()
    writes = [r for r in fake_github.writes() if r.path.endswith("/comments")]
    assert len(writes) == 6
    gaps = [b.at - a.at for a, b in itertools.pairwise(writes)]
    assert gaps[0] >= 0.2 + interval
    assert min(gaps) >= interval
    assert [c["body"] for c in repo.comments[number]] == [f"comment {i}" for i in range(6)]


async def test_reads_are_not_serialised_behind_a_slow_write(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    number = fake_github.repo(REPO).add_issue("Slow")
    fake_github.inject_fault("PATCH", rf"/issues/{number}$", PASS_THROUGH, delay=0.5)
    fake_github.inject_fault("GET", rf"/issues/{number}$", PASS_THROUGH, delay=0.3, times=2)
    write = asyncio.create_task(gh.patch(f"/repos/{REPO}/issues/{number}", {"title": "New"}))
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    reads = await asyncio.gather(*(gh.get(f"/repos/{REPO}/issues/{number}") for _ in range(2)))
    read_time = time.perf_counter() - started
    write_was_done = write.done()
    await write
    assert not write_was_done  # the reads did not queue behind the 0.5 s write
    assert read_time < 0.5  # two 0.3 s reads side by side, not one after the other
    assert all(r["number"] == number for r in reads)


# -- retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 429])
async def test_retry_after_is_honoured(
    fake_github: FakeGitHub, gh: GitHubClient, sleeps: VirtualSleep, status: int
) -> None:
    fake_github.inject_fault(
        "POST",
        rf"/repos/{REPO}/issues$",
        status,
        headers={"retry-after": "7"},
        body={"message": "You have exceeded a secondary rate limit."},
    )
    issue = await gh.post(f"/repos/{REPO}/issues", {"title": "After the wait"})
    assert issue["title"] == "After the wait"
    assert sleeps.calls == [pytest.approx(7.0, abs=0.1)]
    assert [r.status for r in calls(fake_github, "POST", f"/repos/{REPO}/issues")] == [status, 201]
    assert len(fake_github.repo(REPO).issues) == 1


async def test_secondary_limit_of_the_fake_is_waited_out(
    fake_github: FakeGitHub, gh: GitHubClient, sleeps: VirtualSleep
) -> None:
    fake_github.set_secondary_limit(2)
    for n in range(3):
        await gh.post(f"/repos/{REPO}/issues", {"title": f"Item {n}"})
    assert len(sleeps.calls) == 1 and 1 <= sleeps.calls[0] <= 60
    assert len(fake_github.repo(REPO).issues) == 3


async def test_spent_budget_waits_until_reset(
    fake_github: FakeGitHub, gh: GitHubClient, sleeps: VirtualSleep
) -> None:
    reset = int(fake_github.clock()) + 120
    fake_github.inject_fault(
        "GET",
        r"/labels$",
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        body={"message": "API rate limit exceeded for installation ID 1."},
    )
    assert await gh.get(f"/repos/{REPO}/labels") == []
    assert len(sleeps.calls) == 1 and 119 <= sleeps.calls[0] <= 122


async def test_budget_spent_for_too_long_gives_up_at_once(
    fake_github: FakeGitHub, gh: GitHubClient, sleeps: VirtualSleep
) -> None:
    await gh.get(f"/repos/{REPO}/labels")  # token in hand
    fake_github.set_rate_limit(0, reset_in=3000)
    with pytest.raises(GitHubError) as caught:
        await gh.get(f"/repos/{REPO}/issues")
    assert caught.value.status == 403
    assert "more than the 900 s" in str(caught.value)
    assert sleeps.calls == []
    assert len(calls(fake_github, "GET", f"/repos/{REPO}/issues")) == 1


async def test_fakes_own_budget_is_waited_out_and_shared(
    fake_github: FakeGitHub, gh: GitHubClient, sleeps: VirtualSleep
) -> None:
    await gh.get(f"/repos/{REPO}/labels")
    fake_github.set_rate_limit(0, reset_in=60)
    # Concurrent readers: each is refused once, all wait, all succeed afterwards.
    results = await asyncio.gather(*(gh.get(f"/repos/{REPO}/issues") for _ in range(3)))
    assert results == [[]] * 3
    # One shared wait for the reset (the pacer's); a refusal already in flight when it began
    # may lengthen it by a moment, or add the client's short guard wait (at most 1 s).
    long_waits = [s for s in sleeps.calls if s > 1.0]
    assert len(long_waits) == 1 and 55 <= long_waits[0] <= 62, sleeps.calls
    assert all(s <= 1.0 for s in sleeps.calls if s not in long_waits), sleeps.calls


async def test_server_errors_are_retried_with_backoff(
    fake_github: FakeGitHub, gh: GitHubClient, sleeps: VirtualSleep
) -> None:
    number = fake_github.repo(REPO).add_issue("Flaky")
    fake_github.inject_fault("GET", rf"/issues/{number}$", 502, times=2)
    issue = await gh.get(f"/repos/{REPO}/issues/{number}")
    assert issue["title"] == "Flaky"
    assert sleeps.calls == pytest.approx([0.001, 0.002])
    assert gh.stats.retries == 2


async def test_server_errors_exhausted_raise(
    fake_github: FakeGitHub, gh: GitHubClient, sleeps: VirtualSleep
) -> None:
    fake_github.inject_fault("GET", r"/labels$", 503, times=10)
    with pytest.raises(GitHubError) as caught:
        await gh.get(f"/repos/{REPO}/labels")
    assert caught.value.status == 503
    assert caught.value.method == "GET"
    assert "/labels" in str(caught.value)
    assert sleeps.calls == pytest.approx([0.001, 0.002, 0.004])
    assert len(calls(fake_github, "GET", f"/repos/{REPO}/labels")) == 4


async def test_issue_creation_is_not_repeated_after_a_server_error(
    fake_github: FakeGitHub, gh: GitHubClient, sleeps: VirtualSleep
) -> None:
    fake_github.inject_fault("POST", rf"/repos/{REPO}/issues$", 502)
    with pytest.raises(GitHubError) as caught:
        await gh.post(f"/repos/{REPO}/issues", {"title": "Once"})
    assert caught.value.status == 502 and caught.value.maybe_applied
    assert "re-check" in str(caught.value)
    assert len(calls(fake_github, "POST", f"/repos/{REPO}/issues")) == 1
    assert sleeps.calls == []


async def test_idempotent_writes_are_retried_after_a_server_error(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    number = fake_github.repo(REPO).add_issue("Close me")
    fake_github.inject_fault("PATCH", rf"/issues/{number}$", 500)
    fake_github.inject_fault("POST", rf"/issues/{number}/labels$", 502)
    await gh.patch(f"/repos/{REPO}/issues/{number}", {"state": "closed"})
    await gh.post(f"/repos/{REPO}/issues/{number}/labels", {"labels": ["todo"]})
    issue = fake_github.repo(REPO).issues[number]
    assert issue["state"] == "closed"
    assert [label["name"] for label in issue["labels"]] == ["todo"]


async def test_timeouts_are_retried(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    sleeps = VirtualSleep(fake_github)
    factory = GitHubFactory(app_config(fake_github), sleep=sleeps, retry=FAST, timeout=0.3)
    try:
        gh = await factory.for_installation(1)
        fake_github.inject_fault("GET", r"/labels$", PASS_THROUGH, delay=1.0)
        assert await gh.get(f"/repos/{REPO}/labels") == []
        assert sleeps.calls == pytest.approx([0.001])
        # A created issue whose answer never came: not repeated, flagged for a re-check.
        fake_github.inject_fault("POST", rf"/repos/{REPO}/issues$", PASS_THROUGH, delay=1.0)
        with pytest.raises(GitHubError) as caught:
            await gh.post(f"/repos/{REPO}/issues", {"title": "Slow"})
        assert caught.value.status is None and caught.value.maybe_applied
    finally:
        await factory.close()
    await asyncio.sleep(0.8)  # let the fake finish the slow write it is still serving
    assert [i["title"] for i in repo.issues.values()] == ["Slow"]


async def test_refused_connections_are_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    factory = GitHubFactory(
        token_config(f"http://127.0.0.1:{port}", "t"), sleep=record, retry=FAST, timeout=1.0
    )
    try:
        gh = await factory.for_repo(REPO)
        with pytest.raises(GitHubError) as caught:
            # Never sent, so even issue creation is safe to retry.
            await gh.post(f"/repos/{REPO}/issues", {"title": "x"})
    finally:
        await factory.close()
    assert caught.value.status is None and not caught.value.maybe_applied
    assert slept == pytest.approx([0.001, 0.002, 0.004])
    assert gh.requests_made == 4


async def test_plain_client_errors_are_not_retried(
    fake_github: FakeGitHub, gh: GitHubClient, sleeps: VirtualSleep
) -> None:
    with pytest.raises(GitHubError) as caught:
        await gh.get(f"/repos/{REPO}/issues/999")
    assert caught.value.status == 404
    assert await gh.get_or_none(f"/repos/{REPO}/issues/999") is None
    assert sleeps.calls == []
    assert len(calls(fake_github, "GET", f"/repos/{REPO}/issues/999")) == 2


# -- conditional reads and pagination -----------------------------------------------------------


async def test_second_read_is_conditional_and_served_from_cache(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    number = fake_github.repo(REPO).add_issue("Cached")
    first = await gh.get(f"/repos/{REPO}/issues/{number}")
    first["title"] = "changed by the caller"  # must not leak into the cache
    second = await gh.get(f"/repos/{REPO}/issues/{number}")
    assert second["title"] == "Cached"
    a, b = calls(fake_github, "GET", f"/repos/{REPO}/issues/{number}")
    assert "if-none-match" not in a.headers
    assert (a.status, b.status) == (200, 304)
    assert b.headers["if-none-match"].startswith('W/"')
    assert gh.stats.not_modified == 1
    fake_github.repo(REPO).edit_issue(number, title="Renamed")
    assert (await gh.get(f"/repos/{REPO}/issues/{number}"))["title"] == "Renamed"


async def test_pagination_follows_links_and_stays_conditional(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    repo = fake_github.repo(REPO)
    for n in range(230):
        repo.add_issue(f"Issue {n}")
    titles = [i["title"] async for i in gh.getiter(f"/repos/{REPO}/issues", {"state": "all"})]
    assert titles == [f"Issue {n}" for n in reversed(range(230))]  # GitHub: newest first
    pages = calls(fake_github, "GET", f"/repos/{REPO}/issues")
    assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]
    assert all(r.query["per_page"] == "100" for r in pages)
    again = [i["number"] async for i in gh.getiter(f"/repos/{REPO}/issues", {"state": "all"})]
    assert len(again) == 230
    assert [r.status for r in calls(fake_github, "GET", f"/repos/{REPO}/issues")[3:]] == [304] * 3


async def test_requests_are_logged_at_debug(
    fake_github: FakeGitHub, gh: GitHubClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.github.client")
    await gh.get(f"/repos/{REPO}/labels")
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any(
        line.startswith(f"GET /repos/{REPO}/labels -> 200") and "remaining 4" in line
        for line in lines
    ), lines


async def test_counters_split_reads_and_writes(
    fake_github: FakeGitHub, gh: GitHubClient, factory: GitHubFactory
) -> None:
    await gh.get(f"/repos/{REPO}/labels")
    await gh.post(f"/repos/{REPO}/issues", {"title": "Counted"})
    assert (gh.reads, gh.writes, gh.requests_made) == (1, 1, 2)
    assert factory.stats.requests == 3  # the token request too


# -- repo_api helpers ---------------------------------------------------------------------------


async def test_read_file(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    repo = fake_github.repo(REPO)
    old = repo.head()
    repo.push({"notes/2024-05-01.md": "# Weekly\n\nchanged\n"})
    text = await api.read_file(gh, REPO, "notes/2024-05-01.md", repo.head())
    assert text == "# Weekly\n\nchanged\n"
    assert await api.read_file(gh, REPO, "notes/2024-05-01.md", old) == (
        "# Weekly\n\n- **TODO**: café order\n"
    )
    assert await api.read_file(gh, REPO, "notes/missing.md", old) is None
    assert await api.read_file(gh, REPO, "notes", old) is None  # a directory


async def test_read_file_with_awkward_names(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    repo = fake_github.repo(REPO)
    path = "notes/Team sync #3 (ünïcode) 100%.md"
    repo.push({path: "\ufeffhello\n"})
    assert await api.read_file(gh, REPO, path, repo.head()) == "hello\n"


def tree_reads(fake: FakeGitHub, since: int = 0) -> list[str]:
    """The listing requests since ``since``: trees and directory contents."""
    return [
        f"{r.path}?{'&'.join(f'{k}={v}' for k, v in sorted(r.query.items()))}"
        for r in fake.requests[since:]
        if "/git/trees/" in r.path or "/contents/" in r.path
    ]


async def test_list_tree_lists_the_whole_repository_in_one_request(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    head = fake_github.repo(REPO).head()
    start = len(fake_github.requests)
    everything = await api.list_tree(gh, REPO, head)
    assert everything == [
        "README.md",
        "notes/2024-05-01.md",
        "notes/2024/05-08.md",
        "notes/2024/deep/05-15.md",
    ]
    assert tree_reads(fake_github, start) == [f"/repos/{REPO}/git/trees/{head}?recursive=1"]
    assert await api.list_tree(gh, REPO, head, "notes/2024") == [
        "notes/2024/05-08.md",
        "notes/2024/deep/05-15.md",
    ]
    assert await api.list_tree(gh, REPO, head, "README.md") == ["README.md"]
    assert await api.list_tree(gh, REPO, head, "nowhere") == []


async def test_a_truncated_tree_is_walked_until_the_listing_is_complete(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    repo = fake_github.repo(REPO)
    repo.push(
        {
            f"notes/{year}/{month:02}/weekly.md": "# W\n"
            for year in (2023, 2024)
            for month in (1, 2, 3)
        }
    )
    head = repo.head()
    whole = sorted(repo.git.commits[head].tree)
    fake_github.tree_entry_limit = 3
    start = len(fake_github.requests)
    assert await api.list_tree(gh, REPO, head) == whole
    reads = tree_reads(fake_github, start)
    assert reads[0] == f"/repos/{REPO}/git/trees/{head}?recursive=1"
    # Then the root and each directory once, by its own tree's sha, none of them recursive.
    assert all("recursive" not in read for read in reads[1:])
    folders = {
        "/".join(p.split("/")[:depth]) for p in whole for depth in range(1, p.count("/") + 1)
    }
    assert len(reads) == 1 + 1 + len(folders)


async def test_a_listing_at_a_commit_github_does_not_know_is_unreadable(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    unknown = "5e" * 20
    with pytest.raises(api.Unreadable):
        await api.list_tree(gh, REPO, unknown)
    with pytest.raises(api.Unreadable):
        await api.list_tree(gh, REPO, unknown, "notes")


async def test_a_notes_file_over_1_mb_is_read_through_its_blob(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    repo = fake_github.repo(REPO)
    big = "# Yearly\n\n- TODO: read me whole\n" + "filler line\n" * 100_000
    assert len(big.encode()) > 1_000_000
    repo.push({"notes/big.md": big})
    start = len(fake_github.requests)
    read = await api.read_notes_text(gh, REPO, "notes/big.md", repo.head(), missing_ok=False)
    assert read is not None and read.text == big
    blobs = [r.path for r in fake_github.requests[start:] if "/git/blobs/" in r.path]
    assert len(blobs) == 1


async def test_a_large_notes_file_whose_blob_github_does_not_give_is_unreadable(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    repo = fake_github.repo(REPO)
    repo.push({"notes/big.md": "x" * 1_100_000})
    fake_github.inject_fault("GET", r"/git/blobs/", 404, times=1)
    with pytest.raises(api.Unreadable):
        await api.read_notes_text(gh, REPO, "notes/big.md", repo.head(), missing_ok=True)
    fake_github.inject_fault("GET", r"/git/blobs/", 200, times=1, body={"encoding": "none"})
    with pytest.raises(api.Unreadable):
        await api.read_notes_text(gh, REPO, "notes/big.md", repo.head(), missing_ok=True)
    fake_github.clear_violations()  # the second answer is not GitHub's blob on purpose


async def test_compare_and_changed_files(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    repo = fake_github.repo(REPO)
    before, _ = repo.push({"notes/2024/05-08.md": "# Weekly\n\n- TODO: x\n"})
    _, after = repo.push(
        {"notes/new.md": "# New\n"}, renames={"notes/2024/deep/05-15.md": "archive/05-15.md"}
    )
    comparison = await api.compare(gh, REPO, before, after)
    assert comparison is not None and comparison["status"] == "ahead"
    files = await api.changed_files(gh, REPO, before, after)
    assert files is not None
    by_name = {f["filename"]: f for f in files}
    assert set(by_name) == {"notes/2024/05-08.md", "notes/new.md", "archive/05-15.md"}
    assert by_name["archive/05-15.md"]["status"] == "renamed"
    assert by_name["archive/05-15.md"]["previous_filename"] == "notes/2024/deep/05-15.md"
    unknown = "f" * 40
    assert await api.compare(gh, REPO, unknown, after) is None
    assert await api.changed_files(gh, REPO, unknown, after) is None


async def test_changed_files_refuses_a_cut_short_list(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    repo = fake_github.repo(REPO)
    before, after = repo.push({f"bulk/{n:03}.md": f"{n}\n" for n in range(301)})
    assert await api.changed_files(gh, REPO, before, after) is None
    # The commit endpoint pages its files instead: all 301 come back.
    commit = await api.commit_files(gh, REPO, after)
    assert commit["sha"] == after
    assert len(commit["files"]) == 301
    assert len({f["filename"] for f in commit["files"]}) == 301


async def test_commit_files(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    repo = fake_github.repo(REPO)
    _, after = repo.push({"notes/2024-05-01.md": None, "notes/x.md": "x\n"})
    commit = await api.commit_files(gh, REPO, after)
    assert commit["sha"] == after
    assert {(f["filename"], f["status"]) for f in commit["files"]} == {
        ("notes/2024-05-01.md", "removed"),
        ("notes/x.md", "added"),
    }


async def test_bot_issues_lists_all_states_without_prs(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    repo = fake_github.repo(REPO)
    mine = [await gh.post(f"/repos/{REPO}/issues", {"title": f"Bot {n}"}) for n in range(3)]
    await gh.patch(f"/repos/{REPO}/issues/{mine[1]['number']}", {"state": "closed"})
    repo.add_issue("Human")
    repo.open_pull(head_files={"notes/pr.md": "x\n"}, author=fake_github.bot_login)
    found = await api.bot_issues(gh, REPO, fake_github.bot_login)
    assert [i["title"] for i in found] == ["Bot 0", "Bot 1", "Bot 2"]
    assert [i["state"] for i in found] == ["open", "closed", "open"]


async def test_can_assign_is_checked_once(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    repo = fake_github.repo(REPO)
    repo.set_permission("alice", "write")
    fake_github.add_user("bob")
    assert await api.can_assign(gh, REPO, "alice") is True
    assert await api.can_assign(gh, REPO, "bob") is False
    assert await api.can_assign(gh, REPO, "nobody-at-all") is False
    assert await api.can_assign(gh, REPO, "Alice") is True  # remembered
    checks = [r for r in fake_github.requests if "/assignees/" in r.path]
    assert [r.status for r in checks] == [204, 404, 404]


async def test_permission(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    repo = fake_github.repo(REPO)
    repo.set_permission("carol", "maintain")
    repo.set_permission("dave", "triage")
    fake_github.add_user("erin")
    assert await api.permission(gh, REPO, "carol") == "maintain"
    assert await api.permission(gh, REPO, "dave") == "triage"
    assert await api.permission(gh, REPO, "erin") == "read"  # public repository
    assert await api.permission(gh, REPO, "ghost-user") == "none"


async def test_list_comments_all_pages(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    repo = fake_github.repo(REPO)
    number = repo.add_issue("Chatty")
    for n in range(105):
        repo.add_comment(number, f"c{n}")
    comments = await api.list_comments(gh, REPO, number)
    assert [c["body"] for c in comments] == [f"c{n}" for n in range(105)]


async def test_pull_files(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    repo = fake_github.repo(REPO)
    number = repo.open_pull(
        head_files={"notes/pr.md": "new\n", "README.md": "# Changed\n"}, author="alice"
    )
    files = await api.pull_files(gh, REPO, number)
    assert sorted((f["filename"], f["status"]) for f in files) == [
        ("README.md", "modified"),
        ("notes/pr.md", "added"),
    ]


async def test_ensure_label_creates_once(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    repo = fake_github.repo(REPO)
    await api.ensure_label(gh, REPO, "meeting-todo", "#0e8a16", "From meeting notes")
    await api.ensure_label(gh, REPO, "meeting-todo", "0e8a16", "From meeting notes")
    label = repo.labels["meeting-todo"]
    assert (label["color"], label["description"]) == ("0e8a16", "From meeting notes")
    creates = calls(fake_github, "POST", f"/repos/{REPO}/labels")
    assert len(creates) == 1
    assert len(calls(fake_github, "GET", f"/repos/{REPO}/labels")) == 1


async def test_ensure_label_leaves_an_existing_label(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    gh = await factory.for_installation(1)
    await gh.post(f"/repos/{REPO}/labels", {"name": "Meeting-TODO", "color": "ffffff"})
    await api.ensure_label(gh, REPO, "meeting-todo", "0e8a16", "x")
    assert len(calls(fake_github, "POST", f"/repos/{REPO}/labels")) == 1


async def test_ensure_label_tolerates_a_concurrent_creation(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    fake_github.inject_fault(
        "POST",
        r"/labels$",
        422,
        body={
            "message": "Validation Failed",
            "errors": [{"resource": "Label", "code": "already_exists", "field": "name"}],
        },
    )
    await api.ensure_label(gh, REPO, "todo", "0e8a16", "x")
    fake_github.inject_fault(
        "POST",
        r"/labels$",
        422,
        body={
            "message": "Validation Failed",
            "errors": [{"resource": "Label", "code": "invalid", "field": "color"}],
        },
    )
    with pytest.raises(GitHubError) as caught:
        await api.ensure_label(gh, REPO, "other", "nope", "x")
    assert caught.value.status == 422


async def test_unassigning_leaves_an_assignee_added_meanwhile(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    repo = fake_github.repo(REPO)
    for login in ("ann", "bob"):
        repo.set_permission(login, "write")
    number = repo.add_issue("Book the venue")
    await api.add_assignees(gh, REPO, number, ["ann"])
    seen = await api.get_issue(gh, REPO, number)
    assert seen is not None
    issue = TargetIssue.from_github(seen)
    # Between the bot's read and its write, someone assigns bob.
    await api.add_assignees(gh, REPO, number, ["bob"])
    env = CommandEnv(REPO, fake_github.bot_login, "main", "https://github.com", MemoryStore())
    assert await _unassign(gh, env, issue, ["ann"]) is None
    now = await api.get_issue(gh, REPO, number)
    assert now is not None and [a["login"] for a in now["assignees"]] == ["bob"]
    assert issue.assignees == ["bob"]  # the bot follows GitHub's answer


def test_every_request_names_githubs_media_type_and_api_version() -> None:
    legacy = {"accept": "application/vnd.github.v3+json", "user-agent": "x"}
    assert github_headers(legacy) == {
        "accept": "application/vnd.github+json",
        "user-agent": "x",
        "x-github-api-version": "2022-11-28",
    }
    # A media type asked for on purpose is kept.
    raw = github_headers({"accept": "application/vnd.github.raw+json"})
    assert raw["accept"] == "application/vnd.github.raw+json"
    assert github_headers({})["accept"] == "application/vnd.github+json"
