"""``/todo`` commands, end to end: the real server process and the fake GitHub.

One fake and one server serve the whole module; each test files its issues the way the bot
does (a push of notes to its own repository), comments, and checks the fake's issues,
comments, reactions and request log.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from bot_process import BotProcess
from e2e_support import (
    deliver_and_wait,
    e2e_fixtures,
    installed_repo,
)
from fake_github import FakeGitHub, FakeRepo
from fake_github.tracker import create_label
from fake_github.webhooks import issue_comment_payload, pull_request_payload, push_payload

from bot.markdown.issue_body import parse_marker

pytestmark = pytest.mark.asyncio(loop_scope="module")

M1 = "meetings/2024-05-01.md"
M2 = "meetings/2024-05-08.md"
RELEASE = "write the release notes"
CI = "fix the flaky CI job"
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
LIVE_MENTION = re.compile(r"(?<![A-Za-z0-9_`])@(?=[A-Za-z0-9])")

NOTES = f"""\
---
title: Weekly sync
date: 2024-05-01
---
# Weekly sync

Roll call:
* Alice Smith / ACME / @alice
* Ann Lee / ACME / @ann
* Bob Jones / ACME / @bob

## Actions
- **TODO** (Ann): {RELEASE}
- AI(Bob): {CI}
"""

#: Who may do what: the role each login has on every test repository.
ROLES = {
    "ada": "admin",
    "mia": "maintain",
    "wes": "write",
    "tia": "triage",
    "rex": "read",
    "nora": "none",
    "alice": "write",
    "bob": "write",
}


fake, bot, contract_kept = e2e_fixtures("commands-bot")


_repos = iter(range(1, 1000))


async def deliver(bot: BotProcess, event: str, payload: dict[str, Any]) -> None:
    await deliver_and_wait(bot, event, payload, accepted=(200, 202))


async def filed_repo(bot: BotProcess, fake: FakeGitHub) -> tuple[FakeRepo, dict[str, int]]:
    """A repository whose notes the bot has filed as issues; their numbers by title."""
    n = next(_repos)
    repo = installed_repo(fake, f"acme/team-{n}", {M1: NOTES}, 200 + n, ROLES)
    repo.add_assignable("ann")  # an organisation member: assignable, but only read access
    with fake.lock:
        for name in ("docs", "good first issue", "help-wanted"):
            create_label(repo, name)
    await deliver(bot, "push", push_payload(fake, repo, "0" * 40, repo.head()))
    issues = {i["title"]: n for n, i in repo.issues.items() if "pull_request" not in i}
    assert sorted(issues) == [CI, RELEASE], bot.stderr()[-3000:]
    return repo, issues


async def command(
    bot: BotProcess,
    repo: FakeRepo,
    number: int,
    body: str,
    *,
    author: str = "mia",
    author_type: str = "User",
) -> dict[str, Any]:
    """Comment ``body`` as ``author`` and deliver it; returns the comment."""
    comment = repo.add_comment(number, body, author=author, author_type=author_type)
    await deliver(bot, "issue_comment", issue_comment_payload(repo, number, comment))
    return comment


def reactions(repo: FakeRepo, comment: dict[str, Any]) -> list[str]:
    return [r["content"] for r in repo.reactions.get(comment["id"], [])]


def replies_after(repo: FakeRepo, number: int, comment: dict[str, Any]) -> list[str]:
    thread = repo.comments[number]
    index = next(i for i, c in enumerate(thread) if c["id"] == comment["id"])
    return [c["body"] for c in thread[index + 1 :] if c["user"]["login"] == repo.fake.bot_login]


def writes_since(fake: FakeGitHub, start: int) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests[start:] if r.method != "GET" and r.ok]


def issue(repo: FakeRepo, number: int) -> dict[str, Any]:
    return repo.issues[number]


def assignees(repo: FakeRepo, number: int) -> list[str]:
    return [a["login"] for a in repo.issues[number]["assignees"]]


def labels(repo: FakeRepo, number: int) -> list[str]:
    return sorted(label["name"] for label in repo.issues[number]["labels"])


def live_mentions(text: str) -> list[str]:
    prose = CODE_SPAN.sub("", text)
    return [prose[m.start() : m.start() + 12] for m in LIVE_MENTION.finditer(prose)]


async def test_done_closes_and_a_later_push_leaves_it_closed_until_carried_over(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, filed = await filed_repo(bot, fake)
    number = filed[RELEASE]
    start = len(fake.requests)
    comment = await command(bot, repo, number, "Shipped!\n/todo done it went out in v2.3")
    assert reactions(repo, comment) == ["+1"]
    assert replies_after(repo, number, comment) == []
    assert (issue(repo, number)["state"], issue(repo, number)["state_reason"]) == (
        "closed",
        "completed",
    )
    marker = parse_marker(issue(repo, number)["body"])
    assert marker is not None and marker.closed_by == "command"
    assert writes_since(fake, start) == [
        ("PATCH", f"/repos/{repo.full_name}/issues/{number}"),
        ("POST", f"/repos/{repo.full_name}/issues/comments/{comment['id']}/reactions"),
    ]

    # The same notes edited elsewhere: the issue stays closed.
    edited = NOTES.replace("## Actions", "## Actions\n- AI(Alice): order the stickers")
    before, after = repo.push({M1: edited})
    await deliver(bot, "push", push_payload(fake, repo, before, after))
    assert issue(repo, number)["state"] == "closed"

    # Carried over, not done, into a later meeting: reopened.
    later = NOTES.replace("2024-05-01", "2024-05-08")
    before, after = repo.push({M2: later})
    await deliver(bot, "push", push_payload(fake, repo, before, after))
    assert issue(repo, number)["state"] == "open"


async def test_reopen_and_done_by_an_assignee_without_write_access(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, filed = await filed_repo(bot, fake)
    number = filed[RELEASE]
    assert assignees(repo, number) == ["ann"]
    done = await command(bot, repo, number, "/todo done", author="ann")
    assert reactions(repo, done) == ["+1"]
    assert issue(repo, number)["state"] == "closed"
    reopened = await command(bot, repo, number, "/todo reopen", author="ann")
    assert reactions(repo, reopened) == ["+1"]
    assert (issue(repo, number)["state"], issue(repo, number)["state_reason"]) == (
        "open",
        "reopened",
    )
    marker = parse_marker(issue(repo, number)["body"])
    assert marker is not None and marker.closed_by is None

    # An assignee may not label, nor unassign someone else; they may unassign themselves.
    start = len(fake.requests)
    denied = await command(bot, repo, number, "/todo label docs\n/todo unassign @bob", author="ann")
    assert reactions(repo, denied) == ["confused"]
    (reply,) = replies_after(repo, number, denied)
    assert reply.startswith("Sorry, you may not run this here.")
    assert labels(repo, number) == ["action-item"]
    assert [w[0] for w in writes_since(fake, start)] == ["POST", "POST"]  # reaction, reply
    leave = await command(bot, repo, number, "/todo unassign @ann", author="ann")
    assert reactions(repo, leave) == ["+1"]
    assert assignees(repo, number) == []
    # No longer an assignee: no longer allowed to close it.
    late = await command(bot, repo, number, "/todo done", author="ann")
    assert reactions(repo, late) == ["confused"]
    assert issue(repo, number)["state"] == "open"


async def test_every_permission_level(bot: BotProcess, fake: FakeGitHub) -> None:
    repo, filed = await filed_repo(bot, fake)
    number = filed[CI]
    allowed = {"admin", "maintain", "write", "triage"}
    for login in ("ada", "mia", "wes", "tia", "rex", "nora"):
        role = ROLES[login]
        with fake.lock:
            create_label(repo, f"seen-by-{login}")
        start = len(fake.requests)
        comment = await command(bot, repo, number, f"/todo label seen-by-{login}", author=login)
        if role in allowed:
            assert reactions(repo, comment) == ["+1"], role
            assert f"seen-by-{login}" in labels(repo, number), role
            assert replies_after(repo, number, comment) == [], role
        else:
            assert reactions(repo, comment) == ["confused"], role
            assert f"seen-by-{login}" not in labels(repo, number), role
            (reply,) = replies_after(repo, number, comment)
            assert "triage, write, maintain or admin" in reply, role
            paths = [path for _, path in writes_since(fake, start)]
            assert paths == [
                f"/repos/{repo.full_name}/issues/comments/{comment['id']}/reactions",
                f"/repos/{repo.full_name}/issues/{number}/comments",
            ], role
    # Anyone may ask for help.
    helped = await command(bot, repo, number, "/todo help", author="nora")
    assert reactions(repo, helped) == ["+1"]
    (reply,) = replies_after(repo, number, helped)
    assert "`/todo done [reason]`" in reply and "`/todo sync`" in reply
    assert "/todo preview" not in reply


async def test_assign_reports_the_logins_github_refuses_and_assigns_the_rest(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, filed = await filed_repo(bot, fake)
    number = filed[RELEASE]
    comment = await command(bot, repo, number, "/todo assign @alice, @zed")
    assert sorted(assignees(repo, number)) == ["alice", "ann"]
    assert reactions(repo, comment) == ["confused"]
    (reply,) = replies_after(repo, number, comment)
    assert "GitHub will not assign `zed`" in reply and "the others were assigned" in reply
    assert live_mentions(reply) == []

    start = len(fake.requests)
    removed = await command(bot, repo, number, "/todo unassign @Alice @ann")
    assert reactions(repo, removed) == ["+1"]
    assert assignees(repo, number) == []
    # Only the named logins are taken off (issues/remove-assignees), so an assignee someone
    # added meanwhile stays; the list is never set whole.
    unassigned = [r for r in fake.requests[start:] if r.method == "DELETE"]
    assert [(r.path, sorted(r.body["assignees"])) for r in unassigned] == [
        (f"/repos/{repo.full_name}/issues/{number}/assignees", ["alice", "ann"])
    ]
    assert not any(method == "PATCH" for method, _ in writes_since(fake, start))
    missing = await command(bot, repo, number, "/todo unassign bob")
    assert reactions(repo, missing) == ["confused"]
    assert "`bob` is not assigned to this issue" in replies_after(repo, number, missing)[0]


async def test_label_and_unlabel_use_existing_labels_only(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, filed = await filed_repo(bot, fake)
    number = filed[CI]
    comment = await command(bot, repo, number, '/todo label DOCS "good first issue" nope')
    assert labels(repo, number) == ["action-item", "docs", "good first issue"]
    assert reactions(repo, comment) == ["confused"]
    (reply,) = replies_after(repo, number, comment)
    assert "no label `nope`" in reply and "the others were added" in reply
    assert "nope" not in {name.lower() for name in repo.labels}

    unlabel = await command(
        bot, repo, number, '/todo unlabel "good first issue"\n/todo unlabel docs'
    )
    assert reactions(repo, unlabel) == ["+1"]
    assert labels(repo, number) == ["action-item"]
    absent = await command(bot, repo, number, "/todo unlabel help-wanted")
    assert reactions(repo, absent) == ["confused"]
    assert "`help-wanted` is not on this issue" in replies_after(repo, number, absent)[0]


async def test_unlink_lets_go_of_the_issue_for_good(bot: BotProcess, fake: FakeGitHub) -> None:
    repo, filed = await filed_repo(bot, fake)
    number = filed[CI]
    comment = await command(bot, repo, number, "/todo unlink")
    assert reactions(repo, comment) == ["+1"]
    marker = parse_marker(issue(repo, number)["body"])
    assert marker is not None and marker.unlinked

    # Later commands on it are ignored, and so are later changes to its item.
    start = len(fake.requests)
    ignored = await command(bot, repo, number, "/todo done")
    assert reactions(repo, ignored) == [] and replies_after(repo, number, ignored) == []
    done = NOTES.replace(f"- AI(Bob): {CI}", f"- [x] AI(Bob): {CI}")
    before, after = repo.push({M1: done})
    await deliver(bot, "push", push_payload(fake, repo, before, after))
    touched = [
        p
        for _, p in writes_since(fake, start)
        if p.startswith(f"/repos/{repo.full_name}/issues/{number}")
    ]
    assert touched == []
    assert issue(repo, number)["state"] == "open"


async def test_sync_reconciles_only_this_issue_with_its_notes(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, filed = await filed_repo(bot, fake)
    # A push the bot never heard of marks both items done.
    both_done = NOTES.replace("- **TODO**", "- [x] **TODO**").replace("- AI(Bob)", "- [x] AI(Bob)")
    repo.push({M1: both_done})
    number, other = filed[RELEASE], filed[CI]
    start = len(fake.requests)
    comment = await command(bot, repo, number, "/todo sync")
    assert reactions(repo, comment) == ["+1"]
    assert (issue(repo, number)["state"], issue(repo, number)["state_reason"]) == (
        "closed",
        "completed",
    )
    assert issue(repo, other)["state"] == "open"
    paths = {path for _, path in writes_since(fake, start)}
    assert not any(p.startswith(f"/repos/{repo.full_name}/issues/{other}") for p in paths)
    assert any("marked done" in c["body"].lower() for c in repo.comments[number])

    # Nothing left to reconcile: a second sync writes nothing but the reaction.
    start = len(fake.requests)
    again = await command(bot, repo, number, "/todo sync")
    assert reactions(repo, again) == ["+1"]
    assert [p for _, p in writes_since(fake, start)] == [
        f"/repos/{repo.full_name}/issues/comments/{again['id']}/reactions"
    ]


async def test_malformed_commands_get_one_reply_with_each_reason(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, filed = await filed_repo(bot, fake)
    number = filed[CI]
    body = "/todo asign @bob\n/todo label\n/todo\n/todo preview\n/todo label docs"
    comment = await command(bot, repo, number, body)
    assert reactions(repo, comment) == ["confused"]
    (reply,) = replies_after(repo, number, comment)
    assert reply.startswith("These 4 commands did not run:")
    assert "did you mean `assign`?" in reply
    assert "`label` needs at least one label" in reply
    assert "no verb after `/todo`" in reply
    assert "notes pull requests only" in reply
    assert live_mentions(reply) == []
    assert labels(repo, number) == ["action-item", "docs"]  # the good one still ran


async def test_commands_in_code_quotes_and_lists_do_nothing(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, filed = await filed_repo(bot, fake)
    number = filed[CI]
    body = (
        "> /todo done\n\n"
        "```\n/todo done\n```\n\n"
        "    /todo done\n\n"
        "`/todo done`\n\n"
        "- /todo done\n\n"
        "<!-- /todo done -->\n\n"
        "please /todo done\n"
    )
    start = len(fake.requests)
    comment = await command(bot, repo, number, body)
    assert writes_since(fake, start) == []
    assert reactions(repo, comment) == []
    assert issue(repo, number)["state"] == "open"


async def test_bots_edits_and_other_issues_are_ignored(bot: BotProcess, fake: FakeGitHub) -> None:
    repo, filed = await filed_repo(bot, fake)
    number = filed[CI]
    start = len(fake.requests)
    await command(bot, repo, number, "/todo done", author="dependabot[bot]", author_type="Bot")
    await command(bot, repo, number, "/todo done", author=fake.bot_login, author_type="Bot")
    # An edited comment is not read again.
    comment = repo.add_comment(number, "/todo done", author="mia")
    edited = issue_comment_payload(repo, number, comment, action="edited")
    await deliver(bot, "issue_comment", edited)
    # An issue a person filed, and a pull request that changes no notes.
    human = repo.add_issue("A person's issue", "Nothing to do with the notes.", author="mia")
    await command(bot, repo, human, "/todo done")
    pull = repo.open_pull(head_files={"README.md": "# Changed\n"}, author="rex")
    await command(bot, repo, pull, "/todo preview\n/todo help")
    assert writes_since(fake, start) == []
    assert issue(repo, number)["state"] == "open" and issue(repo, human)["state"] == "open"


async def test_preview_and_help_on_a_notes_pull_request(bot: BotProcess, fake: FakeGitHub) -> None:
    repo, _ = await filed_repo(bot, fake)
    later = NOTES.replace("2024-05-01", "2024-05-08").replace(CI, "order the stickers")
    pull = repo.open_pull(head_files={M2: later}, author="rex")
    # The opened delivery was missed: the author asks for the preview.
    start = len(fake.requests)
    asked = await command(bot, repo, pull, "/todo preview", author="rex")
    assert reactions(repo, asked) == ["+1"]
    previews = [c for c in repo.comments[pull] if "<!-- meeting-todo-bot:preview -->" in c["body"]]
    assert len(previews) == 1
    assert "“order the stickers”" in previews[0]["body"]
    assert writes_since(fake, start)[0] == (
        "POST",
        f"/repos/{repo.full_name}/issues/{pull}/comments",
    )

    # Asked again with nothing changed: no edit; someone else with read access may not ask.
    start = len(fake.requests)
    again = await command(bot, repo, pull, "/todo preview", author="mia")
    assert reactions(repo, again) == ["+1"]
    assert [p for _, p in writes_since(fake, start)] == [
        f"/repos/{repo.full_name}/issues/comments/{again['id']}/reactions"
    ]
    denied = await command(bot, repo, pull, "/todo preview", author="nora")
    assert reactions(repo, denied) == ["confused"]
    assert "pull request's author" in replies_after(repo, pull, denied)[0]

    wrong = await command(bot, repo, pull, "/todo help\n/todo done", author="nora")
    assert reactions(repo, wrong) == ["confused"]
    (reply,) = replies_after(repo, pull, wrong)
    assert "works on the issues the bot filed, not on pull requests" in reply
    assert "`/todo preview`" in reply  # the help, for the pull request
    assert (
        len([c for c in repo.comments[pull] if "<!-- meeting-todo-bot:preview -->" in c["body"]])
        == 1
    )


async def test_preview_on_a_pull_request_opened_as_the_event_says(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed_repo(bot, fake)
    pull = repo.open_pull(head_files={M2: NOTES.replace(CI, "print the posters")}, author="rex")
    await deliver(bot, "pull_request", pull_request_payload(repo, pull, "opened"))
    (preview,) = repo.comments[pull]
    asked = await command(bot, repo, pull, "/todo preview", author="rex")
    assert reactions(repo, asked) == ["+1"]
    assert repo.comments[pull][0]["body"] == preview["body"]


async def test_preview_on_a_pull_request_against_another_branch_says_so(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed_repo(bot, fake)
    pull = repo.open_pull(head_files={M2: NOTES.replace(CI, "paint the shed")}, author="rex")
    await deliver(bot, "pull_request", pull_request_payload(repo, pull, "opened"))
    (preview,) = repo.comments[pull]
    with fake.lock:
        repo.git.branches["release"] = repo.git.branches[repo.default_branch]
        repo.pulls[pull].base_branch = "release"
    asked = await command(bot, repo, pull, "/todo preview", author="rex")
    assert reactions(repo, asked) == ["confused"]
    assert "`release`" in replies_after(repo, pull, asked)[0]
    assert repo.comments[pull][0]["id"] == preview["id"]
    assert "“paint the shed”" not in repo.comments[pull][0]["body"]  # it says why instead


async def test_preview_on_a_closed_pull_request_is_refused(
    bot: BotProcess, fake: FakeGitHub
) -> None:
    repo, _ = await filed_repo(bot, fake)
    pull = repo.open_pull(head_files={M2: NOTES.replace(CI, "hang the banner")}, author="rex")
    repo.edit_issue(pull, state="closed")
    start = len(fake.requests)
    asked = await command(bot, repo, pull, "/todo preview", author="rex")
    assert reactions(repo, asked) == ["confused"]
    assert "closed" in replies_after(repo, pull, asked)[0]
    assert [w for w in writes_since(fake, start) if w[1].endswith(f"issues/{pull}/comments")] == [
        ("POST", f"/repos/{repo.full_name}/issues/{pull}/comments")  # the reply only
    ]
