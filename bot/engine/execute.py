"""Perform a plan: one GitHub write per action, in order, one at a time.

The client paces and retries the writes; this module makes each action safe to repeat.
Comments are skipped when a bot comment with the same hidden tag is already there, so a
redelivered push, or one retried after a crash, does not comment twice. A write that failed
without saying whether GitHub applied it (a 5xx or a timeout on a ``POST``) is checked against
GitHub and sent once more only if it did not land, so it is healed without a duplicate; any
other failure is logged and the rest go on (healed by the next push or ``sync``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.github import GitHubClient, GitHubError, api
from bot.markdown.issue_body import comment_tags, parse_marker
from bot.planner.actions import (
    Action,
    AddAssignees,
    AddLabels,
    CommentOnIssue,
    CreateIssue,
    UpdateIssue,
)
from bot.queue import Store

log = logging.getLogger(__name__)

#: The first default label marks every bot issue; this is how it looks when the bot creates it.
BOT_LABEL_COLOR = "1d76db"
BOT_LABEL_DESCRIPTION = "Action item from meeting notes, filed by meeting-todo-bot"
#: How many times a write whose outcome GitHub did not tell is sent again (after a check).
MAX_RESENDS = 2


@dataclass
class ExecutionResult:
    """What a plan's execution did."""

    created: dict[str, int] = field(default_factory=dict)  # item key -> issue number
    performed: list[str] = field(default_factory=list)  # summaries of the writes made
    skipped: list[str] = field(default_factory=list)  # summaries of actions already done
    failed: list[tuple[str, str]] = field(default_factory=list)  # (summary, reason)

    @property
    def ok(self) -> bool:
        """True when no action failed."""
        return not self.failed


async def _has_tagged_comment(
    gh: GitHubClient, repo: str, number: int, tag: str, bot_login: str
) -> bool:
    for comment in await api.list_comments(gh, repo, number):
        author = str((comment.get("user") or {}).get("login", ""))
        if author.casefold() == bot_login.casefold() and tag in comment_tags(comment.get("body")):
            return True
    return False


async def _perform(
    gh: GitHubClient,
    store: Store,
    repo: str,
    action: Action,
    bot_login: str,
    result: ExecutionResult,
) -> bool:
    """Send one action's write; False when it was already done."""
    match action:
        case CreateIssue():
            result.created[action.key] = await _create_issue(gh, repo, action)
        case UpdateIssue():
            fields: dict[str, object] = {}
            if action.title is not None:
                fields["title"] = action.title
            if action.body is not None:
                fields["body"] = action.body
            if action.state is not None:
                fields["state"] = action.state
            if action.state_reason is not None:
                fields["state_reason"] = action.state_reason
            if not fields:
                return False
            await api.update_issue(gh, repo, action.number, fields)
        case AddLabels():
            await api.add_labels(gh, repo, action.number, list(action.labels))
        case AddAssignees():
            await api.add_assignees(gh, repo, action.number, list(action.logins))
        case CommentOnIssue():
            if await _has_tagged_comment(gh, repo, action.number, action.dedupe_tag, bot_login):
                return False
            await api.create_comment(gh, repo, action.number, action.body)
    return True


def _refused_assignees(exc: GitHubError) -> bool:
    """Whether GitHub refused a write because of its assignees (422, ``field: assignees``)."""
    if exc.status != 422:
        return False
    errors = exc.errors if isinstance(exc.errors, list) else []
    return any(isinstance(e, dict) and e.get("field") == "assignees" for e in errors)


async def _create_issue(gh: GitHubClient, repo: str, action: CreateIssue) -> int:
    """File the issue; returns its number.

    GitHub refuses a new issue whole when one assignee cannot be assigned. The logins were
    checked, but access can change within the minutes that check is trusted: then the issue is
    filed unassigned and the assignees are added the way that skips the refused ones.
    """
    fields = {
        "title": action.title,
        "body": action.body,
        "labels": list(action.labels),
        "assignees": list(action.assignees),
    }
    try:
        issue = await api.create_issue(gh, repo, fields)
        return int(issue["number"])
    except GitHubError as exc:
        if not (action.assignees and _refused_assignees(exc)):
            raise
        log.warning("%s: %s: %s; filing it unassigned", repo, action.summary, exc)
    issue = await api.create_issue(gh, repo, {**fields, "assignees": []})
    number = int(issue["number"])
    try:
        await api.add_assignees(gh, repo, number, list(action.assignees))
    except GitHubError as exc:  # the issue is filed: that is what matters
        log.warning("%s: could not assign #%d: %s", repo, number, exc)
    return number


async def _landed(
    gh: GitHubClient, repo: str, action: Action, bot_login: str, result: ExecutionResult
) -> bool | None:
    """After an unknown outcome: whether the write landed (``None``: GitHub cannot tell us)."""
    match action:
        case CreateIssue():
            for issue in await api.bot_issues(gh, repo, bot_login):
                marker = parse_marker(issue.get("body"))
                if marker is not None and marker.key == action.key:
                    result.created[action.key] = int(issue["number"])
                    return True
            return False
        case CommentOnIssue():
            return await _has_tagged_comment(gh, repo, action.number, action.dedupe_tag, bot_login)
        case _:
            return None


async def _perform_once(
    gh: GitHubClient,
    store: Store,
    repo: str,
    action: Action,
    bot_login: str,
    result: ExecutionResult,
) -> bool:
    """:func:`_perform`, healing a write whose outcome GitHub did not tell.

    Before each resend, GitHub is asked whether the write landed after all (the bot's issues,
    the issue's comments): a write is never made twice.
    """
    resends = 0
    while True:
        try:
            return await _perform(gh, store, repo, action, bot_login, result)
        except GitHubError as exc:
            if not exc.maybe_applied or resends >= MAX_RESENDS:
                raise
            landed = await _landed(gh, repo, action, bot_login, result)
            if landed:
                log.warning("%s: %s: %s; it had landed after all", repo, action.summary, exc)
                return True
            if landed is None and exc.status is None:
                raise  # GitHub cannot tell whether it landed: never send it twice
            log.warning(
                "%s: %s: %s; it had not landed, sending it again", repo, action.summary, exc
            )
            resends += 1


async def ensure_labels(
    gh: GitHubClient, repo: str, actions: Iterable[Action], bot_label: str | None
) -> None:
    """Create the bot's own label (with a colour and description) before the first issue uses it.

    Other labels are left to GitHub, which creates a label an issue is filed with.
    """
    if bot_label is None:
        return
    if any(isinstance(a, CreateIssue) and bot_label in a.labels for a in actions):
        await api.ensure_label(gh, repo, bot_label, BOT_LABEL_COLOR, BOT_LABEL_DESCRIPTION)


async def execute(
    gh: GitHubClient,
    repo: str,
    actions: Iterable[Action],
    *,
    store: Store,
    bot_login: str,
    bot_label: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ExecutionResult:
    """Perform ``actions`` in order; a failure is recorded and the rest still run."""
    todo = list(actions)
    result = ExecutionResult()
    try:
        await ensure_labels(gh, repo, todo, bot_label)
    except GitHubError as exc:
        log.warning("%s: could not create label %r: %s", repo, bot_label, exc)
    for action in todo:
        try:
            done = await _perform_once(gh, store, repo, action, bot_login, result)
        except GitHubError as exc:
            log.error("%s: %s failed: %s", repo, action.summary, exc)
            result.failed.append((action.summary, str(exc)))
            continue
        (result.performed if done else result.skipped).append(action.summary)
        if progress is not None:
            progress(("done: " if done else "already done: ") + action.summary)
    return result
