"""Notes pull request previews, end to end: the real server process and the fake GitHub.

One fake and one server serve the whole module (each test uses its own repository); each
test checks the fake's comments, issues and request log, and that no request broke GitHub's
contract.
"""

from __future__ import annotations

from typing import Any

import pytest
from bot_process import BotProcess
from e2e_support import (
    deliver_and_wait,
    e2e_fixtures,
    installed_repo,
)
from fake_github import FakeGitHub, FakeRepo
from fake_github.webhooks import issue_comment_payload, pull_request_payload, push_payload

pytestmark = pytest.mark.asyncio(loop_scope="module")

M1 = "meetings/2024-05-01.md"
M2 = "meetings/2024-05-08.md"
TAG = "<!-- meeting-todo-bot:preview -->"
#: The role each login has on every test repository.
WRITERS = {"alice": "write", "bob": "write"}

FIRST = """\
---
title: Weekly sync
date: 2024-05-01
---
# Weekly sync

Roll call:
* Alice Smith / ACME / @alice
* Bob Jones / ACME / @bob

## Actions
- **TODO** (Alice): write the release notes
- AI(Bob): fix the flaky CI job
"""

SECOND = """\
---
title: Weekly sync
date: 2024-05-08
---
# Weekly sync

Roll call:
* Alice Smith / ACME / @alice
* Bob Jones / ACME / @bob

## Actions
- AI(Alice, Carol): book the venue for the offsite
"""

NO_ITEMS = """\
# Weekly sync

We talked about the roadmap. Nothing to do yet.
"""


fake, bot, contract_kept = e2e_fixtures("preview-bot")


_repos = iter(range(1, 1000))


def new_repo(fake: FakeGitHub, files: dict[str, str] | None = None) -> FakeRepo:
    n = next(_repos)
    files = files or {"README.md": "# Notes\n"}
    return installed_repo(fake, f"acme/notes-{n}", files, 100 + n, WRITERS)


async def deliver(bot: BotProcess, event: str, payload: dict[str, Any]) -> None:
    await deliver_and_wait(bot, event, payload)


def writes_since(fake: FakeGitHub, start: int, repo: FakeRepo) -> list[tuple[str, str]]:
    prefix = f"/repos/{repo.full_name}/"
    return [
        (r.method, r.path.removeprefix(prefix))
        for r in fake.requests[start:]
        if r.method != "GET" and r.ok and r.path.startswith(prefix)
    ]


def previews(repo: FakeRepo, number: int) -> list[dict[str, Any]]:
    return [c for c in repo.comments[number] if TAG in c["body"]]


CHECK = "meeting-todo-bot"


def bot_issues(repo: FakeRepo) -> dict[int, dict[str, Any]]:
    return {n: i for n, i in repo.issues.items() if "pull_request" not in i}


async def test_opened_posts_one_preview_and_files_nothing(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    number = repo.open_pull(head_files={M1: FIRST}, author="alice")
    start = len(fake.requests)
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "opened"))
    assert writes_since(fake, start, repo) == [
        ("POST", f"issues/{number}/comments"),
        ("POST", "check-runs"),  # the same, on the pull request's head commit
    ]
    (check,) = repo.check_runs_for(repo.head(repo.pulls[number].branch), name=CHECK)
    assert check.title == "2 to file, 0 to update, 0 to close" and check.conclusion == "success"
    assert "## Would file" in (check.text or "") and "write the release notes" in (check.text or "")
    (comment,) = repo.comments[number]
    assert comment["user"]["login"] == fake.bot_login
    assert TAG in comment["body"]
    assert "**Open 2 issues**" in comment["body"]
    assert "“write the release notes”" in comment["body"]
    assert "assigned to @&#8203;alice" in comment["body"]
    assert bot_issues(repo) == {}

    # The same delivery again (say, a reopen) finds the comment and leaves it alone.
    start = len(fake.requests)
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "reopened"))
    assert writes_since(fake, start, repo) == []
    assert len(repo.comments[number]) == 1


async def test_synchronize_edits_the_same_comment_only_when_action_items_change(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    number = repo.open_pull(head_files={M1: FIRST}, author="alice")
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "opened"))
    (comment,) = previews(repo, number)
    first_body = comment["body"]

    # Another meeting's notes: one more item. The comment is edited in place.
    before, after = repo.push_pull(number, {M2: SECOND})
    start = len(fake.requests)
    payload = pull_request_payload(repo, number, "synchronize", before=before, after=after)
    await deliver(bot, "pull_request", payload)
    assert writes_since(fake, start, repo) == [
        ("PATCH", f"issues/comments/{comment['id']}"),
        ("POST", "check-runs"),  # the new head commit gets its own
    ]
    (edited,) = repo.comments[number]
    assert edited["id"] == comment["id"] and edited["body"] != first_body
    assert "**Open 3 issues**" in edited["body"]
    assert "“book the venue for the offsite”" in edited["body"]
    assert "Carol" in edited["body"]  # an owner nobody resolves, with the fix
    assert "`people`" in edited["body"]

    # Prose above the items and a README change: the items only move down. No edit; the new
    # head commit gets the check.
    reworded = SECOND.replace("## Actions", "We met in the small room.\n\n## Actions")
    before, after = repo.push_pull(number, {M2: reworded, "README.md": "# Notes, again\n"})
    start = len(fake.requests)
    payload = pull_request_payload(repo, number, "synchronize", before=before, after=after)
    await deliver(bot, "pull_request", payload)
    assert writes_since(fake, start, repo) == [("POST", "check-runs")]
    assert repo.comments[number][0]["body"] == edited["body"]

    # The notes leave the pull request: the comment says it changes no action item now.
    before, after = repo.push_pull(number, {M1: None, M2: None})
    payload = pull_request_payload(repo, number, "synchronize", before=before, after=after)
    await deliver(bot, "pull_request", payload)
    (last,) = repo.comments[number]
    assert "no longer changes any action item" in last["body"]
    assert bot_issues(repo) == {}


async def test_pull_requests_that_change_no_action_item_get_no_comment(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    readme = repo.open_pull(head_files={"README.md": "# Changed\n"}, author="alice")
    prose = repo.open_pull(head_files={M1: NO_ITEMS}, author="alice")
    start = len(fake.requests)
    await deliver(bot, "pull_request", pull_request_payload(repo, readme, "opened"))
    await deliver(bot, "pull_request", pull_request_payload(repo, prose, "opened"))
    assert writes_since(fake, start, repo) == []
    assert repo.comments[readme] == [] and repo.comments[prose] == []


async def test_other_base_branches_and_title_edits_are_left_alone(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    number = repo.open_pull(head_files={M1: FIRST}, author="alice")
    other_base = pull_request_payload(repo, number, "opened")
    other_base["pull_request"]["base"]["ref"] = "release"
    retitled = pull_request_payload(repo, number, "edited", changes={"title": {"from": "Old"}})
    start = len(fake.requests)
    # Ignored at the edge: not even a token is fetched for them.
    await deliver_and_wait(bot, "pull_request", other_base, accepted=(200,))
    await deliver_and_wait(bot, "pull_request", retitled, accepted=(200,))
    assert fake.requests[start:] == []
    assert repo.comments[number] == []


def retarget(repo: FakeRepo, number: int, branch: str) -> None:
    """Point a pull request at ``branch`` (made at the default branch's head), as GitHub's
    "Edit" does; the payloads built afterwards say so too."""
    with repo.fake.lock:
        repo.git.branches.setdefault(branch, repo.git.branches[repo.default_branch])
        repo.pulls[number].base_branch = branch


def pull_reads(fake: FakeGitHub, start: int, repo: FakeRepo, number: int) -> list[int]:
    path = f"/repos/{repo.full_name}/pulls/{number}"
    return [r.status or 0 for r in fake.requests[start:] if r.method == "GET" and r.path == path]


async def test_a_pull_request_retargeted_away_says_its_preview_no_longer_applies(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    number = repo.open_pull(head_files={M1: FIRST}, author="alice")
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "opened"))
    (comment,) = repo.comments[number]
    assert "**Open 2 issues**" in comment["body"]
    retarget(repo, number, "release")
    moved = pull_request_payload(
        repo, number, "edited", changes={"base": {"ref": {"from": repo.default_branch}}}
    )
    start = len(fake.requests)
    await deliver(bot, "pull_request", moved)
    (check,) = repo.check_runs_for(repo.head(repo.pulls[number].branch), name=CHECK)
    assert writes_since(fake, start, repo) == [
        ("PATCH", f"issues/comments/{comment['id']}"),
        ("PATCH", f"check-runs/{check.id}"),  # what it said no longer holds
    ]
    assert check.conclusion == "neutral" and "`release`" in (check.summary or "")
    (edited,) = repo.comments[number]
    assert TAG in edited["body"] and "`release`" in edited["body"]
    assert "Open 2 issues" not in edited["body"]
    assert bot_issues(repo) == {}
    # Retargeted back: previewed again, in the same comment.
    retarget(repo, number, repo.default_branch)
    back = pull_request_payload(repo, number, "edited", changes={"base": {"ref": {"from": "x"}}})
    await deliver(bot, "pull_request", back)
    (again,) = repo.comments[number]
    assert again["id"] == comment["id"] and again["body"] == comment["body"]


async def test_the_preview_follows_the_pull_request_as_github_shows_it_now(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    number = repo.open_pull(head_files={M1: FIRST}, author="alice")
    # A delivery from before the pull request was retargeted, handled after it.
    stale = pull_request_payload(repo, number, "opened")
    retarget(repo, number, "release")
    start = len(fake.requests)
    await deliver(bot, "pull_request", stale)
    assert repo.comments[number] == []
    assert pull_reads(fake, start, repo, number) == [200]
    # Read conditionally: the same pull request again costs a 304.
    start = len(fake.requests)
    await deliver(bot, "pull_request", stale)
    assert pull_reads(fake, start, repo, number) == [304]


async def test_a_delivery_from_before_the_merge_leaves_the_merged_preview_alone(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    number = repo.open_pull(head_files={M1: FIRST}, author="alice")
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "opened"))
    stale = pull_request_payload(repo, number, "synchronize")
    repo.merge_pull(number)
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "closed"))
    (merged,) = repo.comments[number]
    start = len(fake.requests)
    await deliver(bot, "pull_request", stale)
    assert writes_since(fake, start, repo) == []
    assert repo.comments[number][0]["body"] == merged["body"]


async def test_existing_issues_the_merge_would_change_are_listed(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake, {M1: FIRST})
    # File the first meeting's issues the way the bot does: a push of the notes.
    await deliver(bot, "push", push_payload(fake, repo, "0" * 40, repo.head()))
    filed = {i["title"]: n for n, i in bot_issues(repo).items()}
    assert len(filed) == 2, bot.stderr()[-3000:]
    done = FIRST.replace("- **TODO** (Alice)", "- [x] **TODO** (Alice)")
    number = repo.open_pull(head_files={M1: done}, author="alice")
    start = len(fake.requests)
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "opened"))
    assert writes_since(fake, start, repo) == [
        ("POST", f"issues/{number}/comments"),
        ("POST", "check-runs"),
    ]
    body = repo.comments[number][0]["body"]
    release = filed["write the release notes"]
    assert f"#{release} “write the release notes”: comment" in body
    assert "close it as completed" in body
    assert repo.issues[release]["state"] == "open"


async def test_merged_then_pushed_links_the_issues_filed(bot: BotProcess, fake: FakeGitHub) -> None:
    repo = new_repo(fake)
    number = repo.open_pull(head_files={M1: FIRST}, author="alice")
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "opened"))
    (comment,) = previews(repo, number)

    before, after = repo.merge_pull(number)
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "closed"))
    (waiting,) = repo.comments[number]
    assert waiting["id"] == comment["id"]
    assert f"merged as `{after[:7]}`" in waiting["body"]
    assert "**Still to be filed**" in waiting["body"]

    await deliver(bot, "push", push_payload(fake, repo, before, after))
    filed = {i["title"]: n for n, i in bot_issues(repo).items()}
    assert sorted(filed) == ["fix the flaky CI job", "write the release notes"]
    (linked,) = repo.comments[number]
    assert linked["id"] == comment["id"]
    for title, issue_number in filed.items():
        assert f"- #{issue_number} “{title}”" in linked["body"]
    assert "Still to be filed" not in linked["body"]


async def test_pushed_then_merged_event_links_the_issues_filed(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    number = repo.open_pull(head_files={M1: FIRST}, author="alice")
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "opened"))
    before, after = repo.merge_pull(number)

    await deliver(bot, "push", push_payload(fake, repo, before, after))
    filed = {i["title"]: n for n, i in bot_issues(repo).items()}
    assert len(filed) == 2
    start = len(fake.requests)
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "closed"))
    (linked,) = repo.comments[number]
    for title, issue_number in filed.items():
        assert f"- #{issue_number} “{title}”" in linked["body"]
    # The closed delivery again, or the author asking: nothing left to change.
    start = len(fake.requests)
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "closed"))
    asked = repo.add_comment(number, "/todo preview", author="alice")
    await deliver(bot, "issue_comment", issue_comment_payload(repo, number, asked))
    assert writes_since(fake, start, repo) == [("POST", f"issues/comments/{asked['id']}/reactions")]
    assert repo.comments[number][0]["body"] == linked["body"]


async def test_a_broken_settings_file_in_the_pull_request_is_previewed(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    settings = ".github/meeting-todo-bot.yml"
    number = repo.open_pull(
        head_files={settings: "removed_items: shred\n", M1: FIRST}, author="alice"
    )
    await deliver(bot, "pull_request", pull_request_payload(repo, number, "opened"))
    (comment,) = repo.comments[number]
    assert f"`{settings}` in this pull request has problems" in comment["body"]
    assert "removed_items" in comment["body"]
    # Fixed: the same comment now previews the notes.
    before, after = repo.push_pull(number, {settings: "removed_items: close\n"})
    payload = pull_request_payload(repo, number, "synchronize", before=before, after=after)
    await deliver(bot, "pull_request", payload)
    (fixed,) = repo.comments[number]
    assert fixed["id"] == comment["id"] and "**Open 2 issues**" in fixed["body"]
