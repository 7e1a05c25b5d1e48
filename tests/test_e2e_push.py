"""Pushes to the default branch, end to end: the real server process (the Procfile's command,
app mode) against the fake GitHub, one signed ``push`` delivery at a time.

One fake and one server serve the whole module; each test has its own repository (and
installation), pushes notes into it, delivers the push and checks the fake's issues, comments,
commit comments and request log. Every request must keep GitHub's contract.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from bot_process import BotProcess
from e2e_support import (
    deliver_and_wait,
    e2e_fixtures,
    installed_repo,
)
from fake_github import PASS_THROUGH, FakeGitHub, FakeRepo
from fake_github.limits import SECONDARY_LIMIT_DOCS, SECONDARY_LIMIT_MESSAGE
from fake_github.webhooks import push_payload

from bot.markdown.issue_body import parse_marker

pytestmark = pytest.mark.asyncio(loop_scope="module")

ZERO = "0" * 40
WEB = "https://github.com"
M1 = "meetings/2024-03-04.md"
M2 = "meetings/2024-03-11.md"
SETTINGS = ".github/meeting-todo-bot.yml"

ROTATE = "rotate the staging TLS certificates before they expire"
RUNBOOK = "write a runbook for the disk alerts, and ask @oncall-crew to review it"
BACKUPS = "decide who owns the nightly backups"

FIRST = f"""\
---
title: Platform team sync
date: 2024-03-04
---
# Platform team sync

Roll call:
* Priya Natarajan / Infra Lab / @priya
* Tomas Ruiz / Infra Lab / @tomas
* Wen Li / Infra Lab / @wenli

## Notes
- The staging cluster ran out of disk twice last week; @wenli has the graphs.
- Nobody has looked at the backup job since the move.

## Action items
- **TODO** (Priya): {ROTATE}
- AI(Tomas): {RUNBOOK}
- Action item (Wen, Marek): {BACKUPS}
"""

SECOND = """\
---
title: Platform team sync
date: 2024-03-11
---
# Platform team sync

Roll call:
* Priya Natarajan / Infra Lab / @priya
* Tomas Ruiz / Infra Lab / @tomas

## Action items
{items}
"""


BOT_ENV = {
    "GITHUB_RETRY_BACKOFF_SCALE": "0.01",
    # short, so that the test of a write answered too late runs fast
    "GITHUB_REQUEST_TIMEOUT": "2",
}


fake, bot, contract_kept = e2e_fixtures("push-bot", BOT_ENV)


_numbers = iter(range(1, 10_000))


def new_repo(fake: FakeGitHub, files: dict[str, str] | None = None) -> FakeRepo:
    """A repository with its own installation (the server keeps its tokens for the module)."""
    n = next(_numbers)
    files = files or {"README.md": "# Notes\n"}
    repo = installed_repo(
        fake, f"infra/notes-{n}", files, 500 + n, {"priya": "write", "tomas": "triage"}
    )
    fake.add_user("wenli")  # a real account without a role: GitHub refuses to assign it
    return repo


async def deliver(
    bot: BotProcess,
    fake: FakeGitHub,
    repo: FakeRepo,
    before: str,
    after: str,
    *,
    delivery_id: str | None = None,
    ok: bool = True,
    **options: Any,
) -> dict[str, Any]:
    """Deliver a push like GitHub's and wait until the server is idle; returns the counters."""
    payload = push_payload(fake, repo, before, after, **options)
    return await deliver_and_wait(bot, "push", payload, delivery_id=delivery_id, ok=ok)


async def push(
    bot: BotProcess, fake: FakeGitHub, repo: FakeRepo, files: dict[str, str | None], **kw: Any
) -> tuple[str, str]:
    """Commit ``files`` to the default branch and deliver the push."""
    before, after = repo.push(files, renames=kw.pop("renames", None))
    await deliver(bot, fake, repo, before, after, **kw)
    return before, after


def requests_since(fake: FakeGitHub, start: int, repo: FakeRepo) -> list[tuple[str, str, int]]:
    prefix = f"/repos/{repo.full_name}/"
    return [
        (r.method, r.path.removeprefix(prefix), r.status)
        for r in fake.requests[start:]
        if r.path.startswith(prefix)
    ]


def writes_since(fake: FakeGitHub, start: int, repo: FakeRepo) -> list[tuple[str, str]]:
    return [(m, p) for m, p, status in requests_since(fake, start, repo) if m != "GET"]


def issues(repo: FakeRepo) -> dict[str, dict[str, Any]]:
    """The repository's issues by the key in their marker (one per key, or the test fails)."""
    found: dict[str, dict[str, Any]] = {}
    for issue in repo.issues.values():
        marker = parse_marker(issue["body"])
        if "pull_request" in issue or marker is None:
            continue
        assert marker.key not in found, f"two issues for {marker.key}"
        found[marker.key] = issue
    return found


def by_title(repo: FakeRepo) -> dict[str, dict[str, Any]]:
    return {i["title"]: i for i in issues(repo).values()}


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line of ``text`` holding ``fragment``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def permalink(repo: FakeRepo, commit: str, path: str, line: int) -> str:
    return f"{WEB}/{repo.full_name}/blob/{commit}/{path}#L{line}"


LIVE_MENTION = re.compile(r"(?<![A-Za-z0-9_`/])@([A-Za-z0-9][A-Za-z0-9-]*)")


def live_mentions(text: str) -> set[str]:
    """Logins GitHub would notify from ``text``: not a neutralised one (``@&#8203;x``,
    ``@<!-- -->x``), nor anything inside an HTML comment (the hidden marker)."""
    shown = re.sub(r"<!--.*?-->", " ", text.replace("@<!-- -->", "@ "), flags=re.S)
    return {login.lower() for login in LIVE_MENTION.findall(shown)}


def logins(people: list[dict[str, Any]]) -> list[str]:
    return [p["login"] for p in people]


def label_names(issue: dict[str, Any]) -> list[str]:
    return [label["name"] for label in issue["labels"]]


async def filed(bot: BotProcess, fake: FakeGitHub) -> tuple[FakeRepo, str]:
    """A repository whose first meeting's three items have been filed; (repo, its commit)."""
    repo = new_repo(fake)
    _, after = await push(bot, fake, repo, {M1: FIRST})
    assert len(issues(repo)) == 3
    return repo, after


# --- a new item ----------------------------------------------------------------------------


async def test_new_items_each_become_one_issue(bot: BotProcess, fake: FakeGitHub) -> None:
    repo = new_repo(fake)
    before, after = repo.push({M1: FIRST})
    start = len(fake.requests)
    await deliver(bot, fake, repo, before, after)

    assert sorted(writes_since(fake, start, repo)) == [
        ("POST", "check-runs"),  # what was done, on the pushed commit
        ("POST", "issues"),
        ("POST", "issues"),
        ("POST", "issues"),
        ("POST", "labels"),  # the bot's own label, with a colour and a description
    ]
    found = by_title(repo)
    (check,) = repo.check_runs_for(after)
    assert (check.name, check.conclusion, check.title) == (
        "meeting-todo-bot",
        "success",
        "3 filed, 0 updated, 0 closed",
    )
    text = check.text or ""
    assert all(f"#{i['number']} " in text for i in found.values())
    assert "Marek" in text and "could not resolve" in text  # unresolved owners
    assert live_mentions(text) == set()
    assert sorted(found) == sorted([ROTATE, RUNBOOK, BACKUPS])
    for issue in found.values():
        assert issue["user"]["login"] == fake.bot_login
        assert label_names(issue) == ["action-item"]
        assert issue["state"] == "open"
        body = issue["body"]
        assert "Platform team sync" in body and "2024-03-04" in body
        assert "Action items" in body  # the item's context: the section it is in
        # Nobody but the assignees is notified, neither by the body nor by the title.
        assert live_mentions(body) <= {a.lower() for a in logins(issue["assignees"])}, body

    rotate = found[ROTATE]
    assert logins(rotate["assignees"]) == ["priya"]
    assert permalink(repo, after, M1, line_of(FIRST, ROTATE)) in rotate["body"]
    assert "Priya" in rotate["body"]

    runbook = found[RUNBOOK]
    assert logins(runbook["assignees"]) == ["tomas"]
    assert "oncall-crew" in runbook["body"]  # shown, but notifies nobody
    assert "oncall-crew" not in live_mentions(runbook["body"])
    assert permalink(repo, after, M1, line_of(FIRST, RUNBOOK)) in runbook["body"]

    backups = found[BACKUPS]
    assert backups["assignees"] == []  # wenli has no role here: GitHub would refuse her
    assert "wenli" in backups["body"] and "does not accept" in backups["body"]
    assert "Marek" in backups["body"]  # resolves to nobody: named, with the fix
    assert "roll call" in backups["body"] and "`people`" in backups["body"]
    assert repo.labels["action-item"]["description"]


async def test_an_unchanged_item_costs_no_write(bot: BotProcess, fake: FakeGitHub) -> None:
    repo, _ = await filed(bot, fake)
    bodies = {n: i["body"] for n, i in repo.issues.items()}
    # Prose above the items moves them down two lines; a meeting without items is added.
    moved = FIRST.replace("## Notes\n", "## Notes\n- Coffee machine fixed.\n- Room 4 booked.\n")
    start = len(fake.requests)
    await push(bot, fake, repo, {M1: moved, M2: SECOND.format(items="Nothing new.")})
    assert writes_since(fake, start, repo) == []
    assert {n: i["body"] for n, i in repo.issues.items()} == bodies


async def test_a_push_changing_no_notes_writes_nothing_and_reads_little(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed(bot, fake)
    start = len(fake.requests)
    await push(bot, fake, repo, {"README.md": "# Notes\n\nSee meetings/.\n", "src/app.py": "x=1\n"})
    seen = requests_since(fake, start, repo)
    assert [m for m, _, _ in seen] == ["GET"] * len(seen)
    # the settings file and the comparison: no notes, no issue list
    assert len(seen) <= 2, seen
    assert not any(path.startswith("issues") for _, path, _ in seen)


# --- edits, moves and meetings that follow ------------------------------------------------------


async def test_an_item_edited_in_place_updates_its_issue(bot: BotProcess, fake: FakeGitHub) -> None:
    repo, _ = await filed(bot, fake)
    number = by_title(repo)[ROTATE]["number"]
    edited_title = "rotate the staging and production TLS certificates before they expire"
    start = len(fake.requests)
    _, after = await push(bot, fake, repo, {M1: FIRST.replace(ROTATE, edited_title)})
    assert writes_since(fake, start, repo) == [
        ("PATCH", f"issues/{number}"),
        ("POST", "check-runs"),
    ]
    assert len(issues(repo)) == 3
    issue = repo.issues[number]
    assert issue["title"] == edited_title
    assert "staging and production" in issue["body"]
    assert permalink(repo, after, M1, line_of(FIRST, "**TODO**")) in issue["body"]


async def test_a_moved_notes_file_causes_no_comment_and_no_new_issue(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed(bot, fake)
    numbers = {i["number"] for i in issues(repo).values()}
    moved = "archive/meetings/2024/2024-03-04.md"
    start = len(fake.requests)
    _, after = await push(bot, fake, repo, {}, renames={M1: moved})
    # At most link updates: body edits, which notify nobody (no title, state or people).
    patches = [r for r in fake.requests[start:] if r.path.startswith(f"/repos/{repo.full_name}/")]
    patches = [r for r in patches if r.method != "GET"]
    assert all(r.method == "PATCH" and set(r.body) == {"body"} for r in patches), patches
    assert {i["number"] for i in issues(repo).values()} == numbers
    assert all(repo.comments[n] == [] for n in numbers)
    for issue in issues(repo).values():
        marker = parse_marker(issue["body"])
        assert marker is not None and marker.path == moved  # the link follows the file
        assert f"/blob/{after}/{moved}#L" in issue["body"]
        assert live_mentions(issue["body"]) <= {a.lower() for a in logins(issue["assignees"])}

    # Later, the moved file is edited: the same issue follows the edit.
    number = by_title(repo)[ROTATE]["number"]
    start = len(fake.requests)
    text = repo.files_at()[moved].replace(ROTATE, ROTATE + " and the wildcard one")
    await push(bot, fake, repo, {moved: text})
    assert writes_since(fake, start, repo) == [
        ("PATCH", f"issues/{number}"),
        ("POST", "check-runs"),
    ]
    assert repo.issues[number]["title"] == ROTATE + " and the wildcard one"


async def test_an_item_carried_over_gets_one_comment(bot: BotProcess, fake: FakeGitHub) -> None:
    repo, _ = await filed(bot, fake)
    number = by_title(repo)[RUNBOOK]["number"]
    second = SECOND.format(items=f"- AI(Tomas): {RUNBOOK}")
    start = len(fake.requests)
    before, after = repo.push({M2: second})
    await deliver(bot, fake, repo, before, after)
    writes = writes_since(fake, start, repo)
    assert ("POST", f"issues/{number}/comments") in writes
    assert ("POST", "issues") not in writes
    assert all(path == f"issues/{number}" for method, path in writes if method == "PATCH")
    (comment,) = repo.comments[number]
    assert comment["user"]["login"] == fake.bot_login
    assert permalink(repo, after, M2, line_of(second, RUNBOOK)) in comment["body"]
    assert "2024-03-11" in comment["body"]
    assert live_mentions(comment["body"]) <= {"tomas"}
    assert repo.issues[number]["state"] == "open"
    assert len(issues(repo)) == 3

    # The same push delivered again (GitHub's "Redeliver"): nothing more.
    start = len(fake.requests)
    await deliver(bot, fake, repo, before, after)
    assert writes_since(fake, start, repo) == []
    assert len(repo.comments[number]) == 1


async def test_a_carried_over_item_reopens_an_issue_closed_as_completed(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed(bot, fake)
    runbook = by_title(repo)[RUNBOOK]["number"]
    rotate = by_title(repo)[ROTATE]["number"]
    repo.edit_issue(runbook, actor="tomas", state="closed", state_reason="completed")
    repo.edit_issue(rotate, actor="priya", state="closed", state_reason="not_planned")
    second = SECOND.format(items=f"- AI(Tomas): {RUNBOOK}\n- **TODO** (Priya): {ROTATE}")
    await push(bot, fake, repo, {M2: second})

    assert repo.issues[runbook]["state"] == "open"
    assert repo.issues[runbook]["state_reason"] == "reopened"
    assert len(repo.comments[runbook]) == 1
    # Closed as not planned: a person decided against it; the bot says so but does not reopen.
    assert repo.issues[rotate]["state"] == "closed"
    assert repo.issues[rotate]["state_reason"] == "not_planned"
    (comment,) = repo.comments[rotate]
    assert "2024-03-11" in comment["body"] and "Reopening" not in comment["body"]
    assert len(issues(repo)) == 3


# --- done, linked and removed items ------------------------------------------------------------


async def test_a_done_item_closes_its_issue_with_a_comment(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed(bot, fake)
    rotate = by_title(repo)[ROTATE]["number"]
    runbook = by_title(repo)[RUNBOOK]["number"]
    done = FIRST.replace("- **TODO** (Priya)", "- [x] **TODO** (Priya)").replace(
        f"- AI(Tomas): {RUNBOOK}", f"- ~~AI(Tomas): {RUNBOOK}~~"
    )
    _, after = await push(bot, fake, repo, {M1: done})
    for number, fragment in ((rotate, "**TODO**"), (runbook, "AI(Tomas)")):
        issue = repo.issues[number]
        assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
        (comment,) = repo.comments[number]
        assert permalink(repo, after, M1, line_of(done, fragment)) in comment["body"]
    backups = by_title(repo)[BACKUPS]
    assert backups["state"] == "open" and repo.comments[backups["number"]] == []


async def test_a_done_item_without_an_issue_files_nothing(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    notes = SECOND.format(items="- [x] AI(Priya): renew the domain name\n- ~~TODO: order cables~~")
    start = len(fake.requests)
    await push(bot, fake, repo, {M2: notes})
    assert writes_since(fake, start, repo) == []
    assert repo.issues == {}


async def test_a_linked_item_comments_on_the_issue_it_names(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    number = repo.add_issue("Quota for the GPU nodes", "We need more.", author="priya")
    notes = SECOND.format(items=f"- TODO(#{number}): chase the quota request with the vendor")
    start = len(fake.requests)
    before, after = repo.push({M2: notes})
    await deliver(bot, fake, repo, before, after)
    assert writes_since(fake, start, repo) == [
        ("POST", f"issues/{number}/comments"),
        ("POST", "check-runs"),
    ]
    (comment,) = repo.comments[number]
    assert permalink(repo, after, M2, line_of(notes, "TODO(#")) in comment["body"]
    assert issues(repo) == {}

    start = len(fake.requests)
    await deliver(bot, fake, repo, before, after)  # redelivered
    assert writes_since(fake, start, repo) == []


async def test_a_removed_item_gets_one_comment_and_stays_open(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed(bot, fake)
    number = by_title(repo)[BACKUPS]["number"]
    without = FIRST.replace(f"- Action item (Wen, Marek): {BACKUPS}\n", "")
    start = len(fake.requests)
    await push(bot, fake, repo, {M1: without})
    writes = writes_since(fake, start, repo)
    assert ("POST", f"issues/{number}/comments") in writes
    assert {path for _, path in writes} <= {
        f"issues/{number}/comments",
        f"issues/{number}",
        "check-runs",
    }
    (comment,) = repo.comments[number]
    assert "no longer" in comment["body"] and M1 in comment["body"]  # where it was last seen
    assert repo.issues[number]["state"] == "open"

    # More edits of the file: said once is enough.
    start = len(fake.requests)
    await push(bot, fake, repo, {M1: without.replace("## Notes", "## Notes\n- More coffee.")})
    assert writes_since(fake, start, repo) == []
    assert len(repo.comments[number]) == 1


# --- people on GitHub win ----------------------------------------------------------------------


async def test_what_people_change_on_github_is_never_reverted(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed(bot, fake)
    numbers = {title: issue["number"] for title, issue in by_title(repo).items()}
    rotate, runbook, backups = numbers[ROTATE], numbers[RUNBOOK], numbers[BACKUPS]
    repo.edit_issue(rotate, actor="priya", title="Certificates: staging")
    repo.edit_issue(runbook, actor="tomas", labels=["ops"], assignees=[])
    # The bot closes the backups item as done; then a person reopens it.
    done = FIRST.replace("- Action item (Wen", "- [x] Action item (Wen")
    await push(bot, fake, repo, {M1: done})
    assert repo.issues[backups]["state"] == "closed"
    repo.edit_issue(backups, actor="priya", state="open")

    # Every item's text changes: the bot updates what it generated, and only that.
    edited = (
        done.replace(ROTATE, ROTATE + " (all three)")
        .replace(RUNBOOK, RUNBOOK + " by Friday")
        .replace(BACKUPS, BACKUPS + " and restores")
    )
    start = len(fake.requests)
    await push(bot, fake, repo, {M1: edited})
    writes = writes_since(fake, start, repo)
    assert ("POST", "issues") not in writes
    assert not any(p.endswith(("/labels", "/assignees")) for _, p in writes), writes
    assert repo.issues[rotate]["title"] == "Certificates: staging"
    assert "(all three)" in repo.issues[rotate]["body"]
    assert label_names(repo.issues[runbook]) == ["ops"]
    assert repo.issues[runbook]["assignees"] == []
    assert "by Friday" in repo.issues[runbook]["body"]
    assert repo.issues[backups]["state"] == "open"
    assert len(issues(repo)) == 3


async def test_a_bot_issue_is_found_without_its_label_and_after_a_retitle(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed(bot, fake)
    number = by_title(repo)[ROTATE]["number"]
    repo.edit_issue(number, actor="priya", title="TLS", labels=[])
    done = FIRST.replace("- **TODO** (Priya)", "- [x] **TODO** (Priya)")
    start = len(fake.requests)
    await push(bot, fake, repo, {M1: done})
    assert ("POST", "issues") not in writes_since(fake, start, repo)
    assert not any(r.path.endswith("/search/issues") for r in fake.requests[start:])
    assert repo.issues[number]["state"] == "closed"
    assert repo.issues[number]["title"] == "TLS"
    assert len(issues(repo)) == 3


async def test_text_outside_the_generated_part_survives_an_update(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed(bot, fake)
    number = by_title(repo)[RUNBOOK]["number"]
    original = repo.issues[number]["body"]
    repo.edit_issue(
        number,
        actor="tomas",
        body="Draft runbook: https://example.org/runbook\n\n"
        + original
        + "\nUpdate: the pager rota is in the wiki.\n",
    )
    await push(bot, fake, repo, {M1: FIRST.replace(RUNBOOK, RUNBOOK + " by Friday")})
    body = repo.issues[number]["body"]
    assert body.startswith("Draft runbook: https://example.org/runbook\n")
    assert "Update: the pager rota is in the wiki." in body
    assert "by Friday" in body
    assert body.count("meeting-todo-bot begin") == 1
    marker = parse_marker(body)
    assert marker is not None and marker.title.endswith("by Friday")


# --- limits, redeliveries, settings ------------------------------------------------------------


def check_of(repo: FakeRepo, sha: str) -> Any:
    """The one ``meeting-todo-bot`` check run on ``sha``."""
    (check,) = repo.check_runs_for(sha, name="meeting-todo-bot")
    return check


async def test_past_the_cap_the_first_are_filed_the_rest_held_and_listed_then_filed(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    items = "\n".join(f"- TODO: label the cables of rack {n} with @wenli" for n in range(1, 26))
    notes = SECOND.format(items=items)
    start = len(fake.requests)
    before, after = repo.push({M2: notes})
    await deliver(bot, fake, repo, before, after)
    writes = writes_since(fake, start, repo)
    assert writes.count(("POST", "issues")) == 20 and ("POST", "check-runs") in writes
    assert len(writes) == 22  # 20 issues, the bot's label, the check run
    filed = sorted(i["title"] for i in issues(repo).values())
    assert filed == sorted(f"label the cables of rack {n} with @wenli" for n in range(1, 21))
    check = check_of(repo, after)
    assert check.conclusion == "neutral"
    assert check.title == "20 filed, 0 updated, 0 closed, 5 held back"
    held = check.text.split("## Held back by the per-push cap")[1].split("\n## ")[0]
    for n in range(21, 26):
        assert f"rack {n} with" in held
        assert f"`{M2}:{line_of(notes, f'rack {n} with')}`" in held
    assert "rack 20 with" not in held
    assert "max_new_issues_per_push" in held and "next push" in held
    assert live_mentions(check.text) == set() and live_mentions(check.summary) == set()

    start = len(fake.requests)
    await deliver(bot, fake, repo, before, after)  # redelivered: nothing more, nothing said
    assert writes_since(fake, start, repo) == []
    assert len(issues(repo)) == 20 and check_of(repo, after) == check

    # The next push, even one that changes no notes, files the five held back.
    start = len(fake.requests)
    _, later = await push(bot, fake, repo, {"README.md": "# Notes\n\nSee meetings/.\n"})
    assert len(issues(repo)) == 25
    assert (
        sorted(writes_since(fake, start, repo))
        == [("POST", "check-runs")] + [("POST", "issues")] * 5
    )
    second = check_of(repo, later)
    assert second.conclusion == "success" and second.title.startswith("5 filed")
    assert "rack 25 with" in second.text and "Held back" not in second.text

    start = len(fake.requests)
    await push(bot, fake, repo, {"README.md": "# Notes\n"})  # nothing is owed any more
    assert writes_since(fake, start, repo) == []


async def test_the_same_push_delivered_twice_writes_once(bot: BotProcess, fake: FakeGitHub) -> None:
    repo, _ = await filed(bot, fake)
    rotate = by_title(repo)[ROTATE]["number"]
    # New items, one done, one carried over, one edited, one removed: every kind of write.
    first = (
        FIRST.replace("- **TODO** (Priya)", "- [x] **TODO** (Priya)")
        .replace(RUNBOOK, RUNBOOK + " by Friday")
        .replace(f"- Action item (Wen, Marek): {BACKUPS}\n", "")
    )
    second = SECOND.format(items=f"- AI(Tomas): {RUNBOOK}\n- TODO: buy a spare disk shelf")
    before, after = repo.push({M1: first, M2: second})
    start = len(fake.requests)
    await deliver(bot, fake, repo, before, after)
    assert writes_since(fake, start, repo)
    assert repo.issues[rotate]["state"] == "closed"
    state = {n: (dict(i), list(repo.comments[n])) for n, i in repo.issues.items()}

    start = len(fake.requests)
    await deliver(bot, fake, repo, before, after)
    assert writes_since(fake, start, repo) == []
    assert {n: (dict(i), list(repo.comments[n])) for n, i in repo.issues.items()} == state


async def test_a_repeated_delivery_id_is_ignored(bot: BotProcess, fake: FakeGitHub) -> None:
    repo = new_repo(fake)
    before, after = repo.push({M1: FIRST})
    delivery = str(uuid.uuid4())
    await deliver(bot, fake, repo, before, after, delivery_id=delivery)
    assert len(issues(repo)) == 3
    duplicates = (await bot.health()).body["duplicates"]
    start = len(fake.requests)
    answer = await bot.deliver("push", push_payload(fake, repo, before, after), delivery)
    assert answer.status == 200 and answer.state == "duplicate"
    counters = await bot.wait_idle()
    assert counters["duplicates"] == duplicates + 1
    assert requests_since(fake, start, repo) == []


async def test_broken_settings_are_named_in_the_check_and_the_fix_files_what_was_held(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake)
    broken = "labels: [action-item\nmax_new_issues_per_push: many\n"
    start = len(fake.requests)
    _, after = await push(bot, fake, repo, {SETTINGS: broken, M1: FIRST})
    assert writes_since(fake, start, repo) == [("POST", "check-runs")]
    assert repo.issues == {}
    check = check_of(repo, after)
    assert check.conclusion == "neutral" and "nothing filed" in check.title.lower()
    assert SETTINGS in check.text
    assert "line" in check.text.lower()  # where the YAML broke

    # A wrong value (valid YAML) is named with its key and the type expected; the values
    # quoted notify nobody.
    start = len(fake.requests)
    wrong = "max_new_issues_per_push: many\nremoved_items: '@wenli'\n"
    before, after = await push(bot, fake, repo, {SETTINGS: wrong})
    assert writes_since(fake, start, repo) == [("POST", "check-runs")]
    check = check_of(repo, after)
    assert "`max_new_issues_per_push`" in check.text and "expected a whole number" in check.text
    assert "`removed_items`" in check.text and "wenli" in check.text
    assert live_mentions(check.text) == set()

    start = len(fake.requests)
    await deliver(bot, fake, repo, before, after)  # redelivered: said once
    assert writes_since(fake, start, repo) == []

    # Fixed: that push changes no notes, but it files what the broken ones left unread.
    _, fixed = await push(bot, fake, repo, {SETTINGS: "labels: [action-item, meeting]\n"})
    assert sorted(by_title(repo)) == sorted([ROTATE, RUNBOOK, BACKUPS])
    assert all(label_names(i) == ["action-item", "meeting"] for i in issues(repo).values())
    assert check_of(repo, fixed).title.startswith("3 filed")
    start = len(fake.requests)
    await push(bot, fake, repo, {M1: FIRST.replace("## Notes", "## Notes\n- Coffee.")})
    assert writes_since(fake, start, repo) == []  # nothing is owed any more


# --- GitHub's faults -----------------------------------------------------------------------------


async def test_faults_are_healed_without_duplicates(bot: BotProcess, fake: FakeGitHub) -> None:
    repo = new_repo(fake)
    api = f"/repos/{repo.full_name}"
    fake.inject_fault("GET", f"^{api}/compare/", 502)
    fake.inject_fault("POST", f"^{api}/issues$", 502)
    fake.inject_fault(
        "POST",
        f"^{api}/issues$",
        403,
        headers={"retry-after": "1"},
        body={"message": SECONDARY_LIMIT_MESSAGE, "documentation_url": SECONDARY_LIMIT_DOCS},
    )
    # Applied, but answered after the bot's 2 s timeout.
    fake.inject_fault("POST", f"^{api}/issues$", PASS_THROUGH, delay=3.0)
    start = len(fake.requests)
    await push(bot, fake, repo, {M1: FIRST})
    assert sorted(by_title(repo)) == sorted([ROTATE, RUNBOOK, BACKUPS])
    statuses = [s for m, p, s in requests_since(fake, start, repo) if (m, p) == ("POST", "issues")]
    # 502, then 403 (waited out), then the create answered too late (recorded without a
    # status), found on GitHub after all; then the two other items.
    assert sorted(statuses) == [0, 201, 201, 403, 502]

    # Priya loses access after the bot checked her (it trusts the check for minutes), so GitHub
    # refuses the new issue with her as assignee: it is filed unassigned, once.
    repo.set_permission("priya", "read")
    start = len(fake.requests)
    await push(bot, fake, repo, {M1: FIRST + "- **TODO** (Priya): renew the signing key\n"})
    statuses = [s for m, p, s in requests_since(fake, start, repo) if (m, p) == ("POST", "issues")]
    assert statuses == [422, 201]
    renew = by_title(repo)["renew the signing key"]
    assert renew["assignees"] == [] and len(issues(repo)) == 4

    # A comment whose answer was lost: posted once.
    number = by_title(repo)[RUNBOOK]["number"]
    fake.inject_fault("POST", f"^{api}/issues/{number}/comments$", 502)
    await push(bot, fake, repo, {M2: SECOND.format(items=f"- AI(Tomas): {RUNBOOK}")})
    assert len(repo.comments[number]) == 1
    assert len(issues(repo)) == 4


# --- which pushes count -----------------------------------------------------------------------


async def test_a_push_to_another_branch_does_nothing(bot: BotProcess, fake: FakeGitHub) -> None:
    repo = new_repo(fake)
    before, after = repo.push({M1: FIRST}, branch="drafts")
    start = len(fake.requests)
    payload = push_payload(fake, repo, before, after, ref="refs/heads/drafts")
    # Ignored at the edge: not even the installation's token is fetched.
    await deliver_and_wait(bot, "push", payload, accepted=(200,))
    assert fake.requests[start:] == []
    assert repo.issues == {}


async def test_a_push_without_a_base_reads_the_notes_at_its_head(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo = new_repo(fake, {M1: FIRST, "README.md": "# Notes\n"})
    head = repo.head()
    start = len(fake.requests)
    await deliver(bot, fake, repo, ZERO, head)
    seen = requests_since(fake, start, repo)
    assert not any(path.startswith("compare/") for _, path, _ in seen)
    assert sorted(by_title(repo)) == sorted([ROTATE, RUNBOOK, BACKUPS])
    marker = parse_marker(by_title(repo)[ROTATE]["body"])
    assert marker is not None and marker.commit == head

    start = len(fake.requests)
    await deliver(bot, fake, repo, ZERO, head)  # again: all filed already
    assert writes_since(fake, start, repo) == []
