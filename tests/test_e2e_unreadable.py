"""Absence is only what GitHub says at a commit it knows: unreadable commits and files, end to
end through the real server and the fake GitHub.

A push whose commit GitHub cannot resolve, or whose notes file GitHub does not give, must fail
the delivery (to be retried) and write nothing: read as "no notes", it would comment "no longer
in the notes" on every issue the bot filed.
"""

from __future__ import annotations

import pytest
from bot_process import BotProcess
from e2e_support import deliver_and_wait, e2e_fixtures, installed_repo
from fake_github import FakeGitHub, FakeRepo
from fake_github.webhooks import push_payload

pytestmark = pytest.mark.asyncio(loop_scope="module")

ZERO = "0" * 40
UNKNOWN = "5e" * 20
NOTES = "meetings/2024-05-06.md"
MEETING = """\
# Docs team, 2024-05-06

## Action items
- TODO: move the tutorials to the new theme
- TODO: ask the translators which pages they need first
- TODO: archive the old search page
"""

# One retry, soon: a failed delivery is tried again by itself, then kept as dead.
BOT_ENV = {"GITHUB_RETRY_BACKOFF_SCALE": "0.01", "DELIVERY_RETRY_DELAYS": "0.3"}
fake, bot, contract_kept = e2e_fixtures("unreadable-bot", BOT_ENV)
_numbers = iter(range(1, 1000))


async def filed(bot: BotProcess, fake: FakeGitHub) -> tuple[FakeRepo, str]:
    """A repository whose three items have issues; (repo, the head commit)."""
    n = next(_numbers)
    repo = installed_repo(fake, f"docs/site-{n}", {"README.md": "# Site\n"}, 900 + n, {})
    before, after = repo.push({NOTES: MEETING})
    await deliver_and_wait(bot, "push", push_payload(fake, repo, before, after))
    assert len(repo.issues) == 3
    return repo, after


def writes_to(fake: FakeGitHub, repo: FakeRepo, start: int) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in fake.requests[start:]
        if r.method != "GET" and r.path.startswith(f"/repos/{repo.full_name}/")
    ]


async def deliver_failing(bot: BotProcess, payload: dict[str, object]) -> None:
    """Deliver; the delivery must be accepted, fail every attempt (never be read as empty
    notes) and be kept as dead."""
    before = (await bot.health()).body
    counters = await deliver_and_wait(bot, "push", payload, ok=False)
    assert counters["failed"] == before["failed"] + 2, bot.stderr()[-3000:]
    assert counters["dead"] == before["dead"] + 1


@pytest.mark.parametrize("before", ["head", ZERO], ids=["after-unknown", "new-branch-unknown"])
async def test_a_commit_github_cannot_resolve_fails_the_delivery_and_writes_nothing(
    bot: BotProcess, fake: FakeGitHub, before: str
) -> None:
    repo, head = await filed(bot, fake)
    payload = push_payload(fake, repo, head, head)
    payload.update(before=head if before == "head" else ZERO, after=UNKNOWN, commits=[])
    start = len(fake.requests)
    await deliver_failing(bot, payload)
    assert writes_to(fake, repo, start) == []
    assert all(issue["state"] == "open" for issue in repo.issues.values())


async def test_a_notes_file_github_does_not_give_fails_the_attempt_and_the_retry_heals(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed(bot, fake)
    edited = MEETING.replace("archive the old search page", "delete the old search page")
    edited += "- TODO: write the release notes for 2.0\n"
    before, after = repo.push({NOTES: edited})
    payload = push_payload(fake, repo, before, after)
    # The file at the new commit is missing from GitHub's answers for a while.
    contents = rf"/repos/{repo.full_name}/contents/meetings/2024-05-06\.md$"
    fake.inject_fault("GET", contents, 404, times=1, body={"message": "Not Found"})
    before_counts = (await bot.health()).body
    start = len(fake.requests)
    counters = await deliver_and_wait(bot, "push", payload, ok=False)
    # The first attempt failed and wrote nothing; the retry, by itself, did the push's work.
    assert counters["failed"] == before_counts["failed"] + 1
    assert counters["dead"] == before_counts["dead"]
    writes = writes_to(fake, repo, start)
    assert len(writes) == 3, writes  # one new issue, one edited, the check run
    assert writes[-1] == f"POST /repos/{repo.full_name}/check-runs"
    titles = sorted(issue["title"] for issue in repo.issues.values())
    assert len(titles) == 4
    assert any("release notes" in title for title in titles)
    assert all(issue["state"] == "open" for issue in repo.issues.values())


#: Prose after the items, enough to take a notes file over the contents API's 1 MB.
FILLER = "".join(f"Discussion, point {n}: nothing to do.\n" for n in range(40_000))


async def test_a_notes_file_over_1_mb_is_read_through_its_blob(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed(bot, fake)
    big = MEETING + "- TODO: write the release notes for 2.0\n\n" + FILLER
    assert len(big.encode()) > 1_000_000
    before, after = repo.push({NOTES: big})
    start = len(fake.requests)
    await deliver_and_wait(bot, "push", push_payload(fake, repo, before, after))
    # The contents API sends the file without its content; its blob has it all.
    blobs = [r for r in fake.requests[start:] if "/git/blobs/" in r.path]
    assert blobs and all(r.status == 200 for r in blobs)
    assert writes_to(fake, repo, start) == [
        f"POST /repos/{repo.full_name}/issues",
        f"POST /repos/{repo.full_name}/check-runs",
    ]
    assert len(repo.issues) == 4
    assert all(issue["state"] == "open" for issue in repo.issues.values())


async def test_a_notes_file_without_content_is_never_read_as_empty(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed(bot, fake)
    before, after = repo.push({NOTES: MEETING + "\n" + FILLER})
    # The contents API sends no content (over 1 MB), and the blob is not given either.
    fake.inject_fault("GET", rf"/repos/{repo.full_name}/git/blobs/", 404, times=5)
    start = len(fake.requests)
    await deliver_failing(bot, push_payload(fake, repo, before, after))
    assert writes_to(fake, repo, start) == []
    assert all(issue["state"] == "open" for issue in repo.issues.values())
