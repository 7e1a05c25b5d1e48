"""Who may run which ``/todo`` command, whose comments are ignored, and what the bot replies."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from bot.commands.parse import VERBS, Command, parse_commands, verbs_for
from bot.commands.policy import (
    Permission,
    is_bot_sender,
    may_run,
    permission_from_api,
)
from bot.commands.replies import (
    CommandOutcome,
    failure_reply,
    feedback,
    help_text,
    not_allowed_reply,
    quote_command,
)
from bot.markdown.issue_body import neutralise_mentions

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
MAINTAINERS: tuple[Permission, ...] = ("admin", "maintain", "write", "triage")
OTHERS: tuple[Permission, ...] = ("read", "none")
ARGS = {"assign": ("zoe",), "unassign": ("zoe",), "label": ("bug",), "unlabel": ("bug",)}


def command(verb: str, *args: str) -> Command:
    return Command(verb, args or ARGS.get(verb, ()), 1, f"/todo {verb}")


def check(
    cmd: Command,
    *,
    sender: str = "sam",
    permission: Permission = "read",
    assignees: Sequence[str] = ("ann",),
    author: str | None = None,
) -> str | None:
    return may_run(
        cmd, sender=sender, permission=permission, issue_assignees=assignees, pr_author=author
    )


# --- the permission x verb matrix -------------------------------------------------------


@pytest.mark.parametrize("verb", list(VERBS))
@pytest.mark.parametrize("permission", MAINTAINERS)
def test_triage_and_above_may_run_everything(verb: str, permission: Permission) -> None:
    assert check(command(verb), permission=permission) is None


@pytest.mark.parametrize("permission", OTHERS)
def test_anyone_may_ask_for_help(permission: Permission) -> None:
    assert check(command("help"), permission=permission) is None


@pytest.mark.parametrize("verb", [v for v in VERBS if v != "help"])
@pytest.mark.parametrize("permission", OTHERS)
def test_others_may_run_nothing_else(verb: str, permission: Permission) -> None:
    reason = check(command(verb), permission=permission, author="ann")
    assert reason is not None
    assert f"`/todo {verb}`" in reason
    assert "triage, write, maintain or admin access" in reason


@pytest.mark.parametrize("verb", ["done", "reopen"])
@pytest.mark.parametrize("permission", OTHERS)
def test_an_assignee_may_close_and_reopen(verb: str, permission: Permission) -> None:
    assert (
        check(command(verb), sender="Ann", permission=permission, assignees=("bo", "ann")) is None
    )


@pytest.mark.parametrize("verb", ["assign", "label", "unlabel", "unlink", "sync", "preview"])
def test_an_assignee_may_not_run_the_rest(verb: str) -> None:
    reason = check(command(verb), sender="ann", assignees=("ann",))
    assert reason is not None
    assert f"`/todo {verb}`" in reason


def test_an_assignee_may_unassign_themselves() -> None:
    assert check(command("unassign", "ANN"), sender="ann", assignees=("ann", "bo")) is None


def test_an_assignee_may_not_unassign_someone_else() -> None:
    reason = check(command("unassign", "ann", "bo"), sender="ann", assignees=("ann", "bo"))
    assert reason is not None
    assert "only themselves" in reason
    assert "`bo`" in reason
    assert "`ann`" not in reason


def test_unassigning_yourself_needs_you_to_be_an_assignee() -> None:
    reason = check(command("unassign", "sam"), sender="sam", assignees=("ann",))
    assert reason is not None
    assert "assignees (to unassign themselves)" in reason


def test_the_pull_request_author_may_preview() -> None:
    assert check(command("preview"), sender="pat", permission="none", author="PAT") is None
    reason = check(command("preview"), sender="sam", permission="none", author="pat")
    assert reason is not None
    assert "the pull request's author" in reason


def test_the_pull_request_author_may_not_run_issue_commands() -> None:
    assert check(command("done"), sender="pat", author="pat", assignees=()) is not None


def test_parsed_commands_go_through_the_policy() -> None:
    commands, _ = parse_commands("/todo done\n/todo assign @ann", on_pull_request=False)
    reasons = [check(c, sender="ann", assignees=("ann",)) for c in commands]
    assert reasons[0] is None
    assert reasons[1] is not None


# --- the sender's role -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"permission": "admin", "role_name": "admin"}, "admin"),
        ({"permission": "write", "role_name": "maintain"}, "maintain"),
        ({"permission": "write", "role_name": "write"}, "write"),
        ({"permission": "read", "role_name": "triage"}, "triage"),
        ({"permission": "read", "role_name": "read"}, "read"),
        ({"permission": "write", "role_name": "release-manager"}, "write"),
        ({"permission": "none", "role_name": ""}, "none"),
        ({"permission": "Admin"}, "admin"),
        ({}, "none"),
        ({"permission": None, "role_name": 3}, "none"),
    ],
)
def test_permission_from_the_collaborator_permission_api(
    payload: dict[str, object], expected: Permission
) -> None:
    assert permission_from_api(payload) == expected


# --- bot senders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "bot_login", "is_bot"),
    [
        ({"login": "meeting-todo-bot[bot]", "type": "Bot"}, "meeting-todo-bot[bot]", True),
        ({"login": "dependabot[bot]", "type": "Bot"}, "meeting-todo-bot[bot]", True),
        ({"login": "some-app[bot]", "type": "User"}, "meeting-todo-bot[bot]", True),
        ({"login": "Helper", "type": "Bot"}, "meeting-todo-bot[bot]", True),
        ({"login": "CI-User", "type": "User"}, "ci-user", True),  # token mode: the token's user
        ({"login": "alice", "type": "User"}, "meeting-todo-bot[bot]", False),
        ({"login": "meeting-todo-bot", "type": "User"}, "meeting-todo-bot[bot]", False),
        ({"login": "alice", "type": "User"}, "", False),
    ],
)
def test_is_bot_sender(sender: dict[str, str], bot_login: str, is_bot: bool) -> None:
    assert is_bot_sender(sender, bot_login) is is_bot


def test_the_example_webhook_senders_are_people() -> None:
    folder = SHARED / "corpus" / "webhooks" / "issue_comment"
    payloads = sorted(folder.glob("created*.json")) if folder.is_dir() else []
    if not payloads:
        pytest.skip("../shared/corpus/webhooks is absent")
    for path in payloads:
        sender = json.loads(path.read_text(encoding="utf-8"))["sender"]
        assert not is_bot_sender(sender, "meeting-todo-bot[bot]")
        assert is_bot_sender({**sender, "type": "Bot"}, "meeting-todo-bot[bot]")


# --- replies ----------------------------------------------------------------------------

_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_LIVE_MENTION = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9]")


def live_mentions(markdown: str) -> list[str]:
    """The @mentions GitHub would link: in rendered text, not in code or HTML."""
    found: list[str] = []
    for token in _MD.parse(markdown):
        text_runs: list[str] = []
        for child in token.children or ():
            # Adjacent text tokens render as one run; anything else (code, HTML) breaks it.
            if child.type == "text":
                text_runs.append(child.content)
            else:
                found += _LIVE_MENTION.findall("".join(text_runs))
                text_runs = []
        found += _LIVE_MENTION.findall("".join(text_runs))
    return found


def quoted_texts(markdown: str) -> list[str]:
    """The rendered text of each block quote as read: without HTML comments, and without the
    zero-width space after an "@" that makes a mention inert."""
    texts: list[str] = []
    tokens = _MD.parse(markdown)
    for position, token in enumerate(tokens):
        if token.type == "blockquote_open":
            inline = tokens[position + 2]
            assert inline.type == "inline"
            children = inline.children or []
            text = "".join(c.content for c in children if c.type == "text")
            texts.append(text.replace("@\u200b", "@"))
    return texts


@pytest.mark.parametrize(
    "text",
    [
        "/todo assign @alice @bob-c",
        "/todo done see `code` and *stars* and <b>html</b> <!-- note -->",
        "/todo label `good first issue` [x](y) #12 \\ _u_",
        "/todo done ```@eve`",
    ],
)
def test_a_quoted_command_shows_literally_and_pings_nobody(text: str) -> None:
    quote = quote_command(text)
    assert quoted_texts(quote) == [text]
    assert live_mentions(quote) == []
    assert parse_commands(quote, on_pull_request=False) == ([], [])


@pytest.mark.parametrize(
    ("markdown", "kept"),
    [
        ("thanks @alice and @org/team", ""),
        ("`@alice` stays code", "`@alice`"),
        ("``a ` @alice`` stays code", "``a ` @alice``"),
        ("```@alice` is not code", ""),
        ("\\`@alice` is not code", ""),
    ],
)
def test_neutralise_mentions(markdown: str, kept: str) -> None:
    assert _LIVE_MENTION.search(markdown)
    result = neutralise_mentions(markdown)
    assert live_mentions(result) == []
    assert kept in result


def test_an_email_address_is_not_a_mention() -> None:
    assert neutralise_mentions("mail a@b.example") == "mail a@b.example"


def test_failure_reply_quotes_each_failed_command_with_its_reason() -> None:
    body = "/todo asign @alice\n/todo label\n/todo done"
    _, errors = parse_commands(body, on_pull_request=False)
    failures = [(e.text, e.reason) for e in errors]
    reply = failure_reply(failures)
    assert quoted_texts(reply) == ["/todo asign @alice", "/todo label"]
    assert "did you mean `assign`?" in reply
    assert "`label` needs at least one label" in reply
    assert reply.startswith("These 2 commands did not run:")
    assert live_mentions(reply) == []
    assert parse_commands(reply, on_pull_request=False) == ([], [])


def test_failure_reply_neutralises_mentions_in_reasons() -> None:
    reply = failure_reply([("/todo assign @eve", "@eve cannot be assigned on this repository")])
    assert reply.startswith("This command did not run:")
    assert live_mentions(reply) == []
    assert "cannot be assigned" in reply


def test_failure_reply_needs_a_failure() -> None:
    with pytest.raises(ValueError, match="at least one"):
        failure_reply([])


@pytest.mark.parametrize("on_pull_request", [False, True])
def test_help_lists_exactly_the_verbs_that_work_here(on_pull_request: bool) -> None:
    text = help_text(on_pull_request)
    listed = re.findall(r"^\| `/todo (\w+)", text, flags=re.MULTILINE)
    assert listed == list(verbs_for(on_pull_request=on_pull_request))
    assert live_mentions(text) == []
    assert parse_commands(text, on_pull_request=on_pull_request) == ([], [])
    assert "Editing a comment does not run its commands again." in text


def test_help_says_who_may() -> None:
    text = help_text(False)
    done_row = next(line for line in text.splitlines() if "`/todo done" in line)
    assert "assignees" in done_row
    sync_row = next(line for line in text.splitlines() if "`/todo sync" in line)
    assert "assignees" not in sync_row
    assert "pull request's author" in help_text(True)


def test_not_allowed_reply_is_short_and_says_each_reason_once() -> None:
    denied = [
        (f"/todo {verb}", check(command(verb), permission="none") or "")
        for verb in ("assign", "label", "assign")
    ]
    reply = not_allowed_reply(denied)
    assert reply.count("Only people with triage") == 2
    assert "\n" not in reply
    assert live_mentions(reply) == []


def test_feedback_all_ran() -> None:
    result = feedback([CommandOutcome("/todo sync", "sync")], on_pull_request=False)
    assert (result.reaction, result.reply) == ("+1", None)


def test_feedback_help_replies_with_the_list() -> None:
    result = feedback([CommandOutcome("/todo help", "help")], on_pull_request=True)
    assert result.reaction == "+1"
    assert result.reply == help_text(True)


def test_feedback_one_reply_for_all_failures() -> None:
    outcomes = [
        CommandOutcome("/todo sync", "sync"),
        CommandOutcome("/todo label nope", "label", failure="there is no label `nope`"),
        CommandOutcome("/todo lable x", None, failure="unknown verb `lable`"),
        CommandOutcome("/todo help", "help"),
    ]
    result = feedback(outcomes, on_pull_request=False)
    assert result.reaction == "confused"
    assert result.reply is not None
    assert quoted_texts(result.reply) == ["/todo label nope", "/todo lable x"]
    assert result.reply.endswith(help_text(False))


def test_feedback_when_every_command_was_refused() -> None:
    reason = check(command("assign"), permission="read")
    assert reason is not None
    outcomes = [CommandOutcome("/todo assign @zoe", "assign", failure=reason, denied=True)]
    result = feedback(outcomes, on_pull_request=False)
    assert result.reaction == "confused"
    assert result.reply == not_allowed_reply([("/todo assign @zoe", reason)])


def test_feedback_with_a_refusal_among_others_quotes_each() -> None:
    outcomes = [
        CommandOutcome("/todo done", "done"),
        CommandOutcome("/todo assign @zoe", "assign", failure="only people ...", denied=True),
    ]
    reply = feedback(outcomes, on_pull_request=False).reply
    assert reply is not None
    assert quoted_texts(reply) == ["/todo assign @zoe"]


def test_feedback_needs_an_outcome() -> None:
    with pytest.raises(ValueError, match="at least one"):
        feedback([], on_pull_request=False)
