"""The ``meeting-todo-bot`` check run, end to end through the real server and the fake GitHub:
written once per commit, never at the cost of the issues (a 403 when the app lacks
``checks: write``, a 5xx that fails the delivery and is healed by its retry), and what it
says about notes that are not UTF-8."""

from __future__ import annotations

from typing import Any

import pytest
from bot_process import BotProcess
from e2e_support import deliver_and_wait, e2e_fixtures, installed_repo
from fake_github import FakeGitHub, FakeRepo
from fake_github.webhooks import push_payload

pytestmark = pytest.mark.asyncio(loop_scope="module")

NOTES = "meetings/2024-06-03.md"
MEETING = """\
# Release sync, 2024-06-03

## Action items
- TODO: tag the release candidate
- TODO: ask the translators which pages they need first
- TODO: archive the old download page
"""
CHECK = "meeting-todo-bot"

# One retry, soon: a failed delivery is tried again by itself.
BOT_ENV = {"GITHUB_RETRY_BACKOFF_SCALE": "0.01", "DELIVERY_RETRY_DELAYS": "0.3"}
fake, bot, contract_kept = e2e_fixtures("checks-bot", BOT_ENV)
_numbers = iter(range(1, 1000))


def new_repo(fake: FakeGitHub, **permissions: str | None) -> FakeRepo:
    """A repository with its own installation; ``permissions`` change its grant."""
    n = next(_numbers)
    installation = 1200 + n
    repo = installed_repo(fake, f"rel/notes-{n}", {"README.md": "# Notes\n"}, installation, {})
    if permissions:
        fake.grant(installation, **permissions)
    return repo


def writes_to(fake: FakeGitHub, repo: FakeRepo, start: int) -> list[tuple[str, str]]:
    prefix = f"/repos/{repo.full_name}/"
    return [
        (r.method, r.path.removeprefix(prefix))
        for r in fake.requests[start:]
        if r.method != "GET" and r.path.startswith(prefix)
    ]


async def deliver(
    bot: BotProcess, fake: FakeGitHub, repo: FakeRepo, before: str, after: str, **kw: Any
) -> dict[str, Any]:
    return await deliver_and_wait(bot, "push", push_payload(fake, repo, before, after), **kw)


async def test_a_redelivered_push_writes_nothing_and_leaves_the_check_as_it_is(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    before, after = repo.push({NOTES: MEETING})
    start = len(fake.requests)
    await deliver(bot, fake, repo, before, after)
    writes = writes_to(fake, repo, start)
    assert writes.count(("POST", "check-runs")) == 1 and writes.count(("POST", "issues")) == 3
    (check,) = repo.check_runs_for(after, name=CHECK)
    assert check.conclusion == "success" and check.title == "3 filed, 0 updated, 0 closed"

    start = len(fake.requests)
    await deliver(bot, fake, repo, before, after)
    assert writes_to(fake, repo, start) == []
    assert repo.check_runs_for(after, name=CHECK) == [check]


async def test_without_checks_permission_the_issues_are_filed_and_one_line_is_logged(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake, checks=None)
    before, after = repo.push({NOTES: MEETING})
    logged = bot.stderr().count("check run not written")
    start = len(fake.requests)
    counters = await deliver(bot, fake, repo, before, after)
    assert len(repo.issues) == 3
    assert repo.check_runs_for(after) == []
    refused = [r for r in fake.requests[start:] if r.status == 403]
    assert [r.operation for r in refused] == ["checks/list-for-ref"]  # asked once, not retried
    assert bot.stderr().count("check run not written") == logged + 1
    assert counters["dead"] == (await bot.health()).body["dead"]  # the delivery succeeded


async def test_a_5xx_on_the_check_fails_the_delivery_and_its_retry_writes_no_duplicate(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    before, after = repo.push({NOTES: MEETING})
    fake.inject_fault("POST", rf"^/repos/{repo.full_name}/check-runs$", 502, times=1)
    failed = (await bot.health()).body["failed"]
    start = len(fake.requests)
    counters = await deliver(bot, fake, repo, before, after, ok=False)
    assert counters["failed"] == failed + 1  # the first attempt failed; its retry healed it
    assert len(repo.issues) == 3
    writes = writes_to(fake, repo, start)
    assert writes.count(("POST", "issues")) == 3  # no issue filed twice
    (check,) = repo.check_runs_for(after, name=CHECK)
    # The retry filed nothing itself, but reports what the push filed.
    assert check.title == "3 filed, 0 updated, 0 closed"
    assert all(f"#{n} " in (check.text or "") for n in repo.issues)


async def test_notes_that_are_not_utf8_are_read_with_replacement_and_reported(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    raw = MEETING.encode() + b"- TODO: order caf\xe9 supplies\n"
    before, after = repo.push({NOTES: raw.decode("utf-8", "surrogateescape")})
    await deliver(bot, fake, repo, before, after)
    titles = sorted(issue["title"] for issue in repo.issues.values())
    assert len(titles) == 4 and "order caf\N{REPLACEMENT CHARACTER} supplies" in titles
    (check,) = repo.check_runs_for(after, name=CHECK)
    assert check.conclusion == "neutral"
    unreadable = (check.text or "").split("## Notes that could not be read fully")[1]
    assert NOTES in unreadable and "UTF-8" in unreadable
