"""Every ``/todo`` verb: one decorated function each, declaring its name, help, who may run it.

The decisions (what to send for ``done``, which logins or labels apply, which planned actions
concern one issue) are pure functions; the verb functions only send what they decide. Each
returns ``None`` when the command ran, else the reason for the reply. :class:`TargetIssue`
follows GitHub's answers, so later commands of the same comment see earlier ones' effects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.commands.parse import Command
from bot.commands.spec import VERBS, ArgumentKind, VerbSpec, Where, Who, declare
from bot.engine.read import load_repo_settings
from bot.engine.reconcile import NotesFiles, reconcile
from bot.github import GitHubClient, GitHubError, api
from bot.markdown.issue_body import IssueMarker, code_span, parse_marker, with_marker
from bot.preview.keep import PullNotes, link_merged, refresh_preview
from bot.queue import Store
from bot.settings import SettingsError


@dataclass(frozen=True)
class CommandEnv:
    """Where commands run: the repository and what the bot needs to know about it."""

    repo: str
    bot_login: str
    default_branch: str
    server_url: str
    store: Store


def _names(values: Any, field: str) -> list[str]:
    if not isinstance(values, list):
        return []
    return [str(v[field]) for v in values if isinstance(v, dict) and isinstance(v.get(field), str)]


@dataclass
class TargetIssue:
    """The issue a comment's commands act on, as GitHub last showed it."""

    number: int
    state: str
    state_reason: str | None
    body: str
    labels: list[str]
    assignees: list[str]

    @classmethod
    def from_github(cls, data: Mapping[str, Any]) -> TargetIssue:
        """From a REST issue object."""
        reason = data.get("state_reason")
        return cls(
            number=int(data["number"]),
            state="closed" if data.get("state") == "closed" else "open",
            state_reason=reason if isinstance(reason, str) else None,
            body=str(data.get("body") or ""),
            labels=_names(data.get("labels"), "name"),
            assignees=_names(data.get("assignees"), "login"),
        )

    @property
    def marker(self) -> IssueMarker | None:
        """The bot's hidden marker in the body."""
        return parse_marker(self.body)


def is_bot_issue(data: Mapping[str, Any], bot_login: str) -> bool:
    """An issue the bot filed: opened by the bot's login, its marker in the body, not a PR."""
    author = str((data.get("user") or {}).get("login", ""))
    return (
        "pull_request" not in data
        and bool(bot_login)
        and author.casefold() == bot_login.casefold()
        and parse_marker(data.get("body")) is not None
    )


# --- pure decisions ----------------------------------------------------------------------------


def _marker_body(issue: TargetIssue, **changes: Any) -> str | None:
    """The body with the marker changed, or ``None`` when the marker already says so."""
    marker = issue.marker
    if marker is None:
        return None
    new = replace(marker, **changes)
    return None if new == marker else with_marker(issue.body, new)


def done_fields(issue: TargetIssue) -> dict[str, Any]:
    """The PATCH for ``done``: closed as completed, and the marker says a command closed it
    (so a later push or sync leaves it closed). Empty when there is nothing to change."""
    fields: dict[str, Any] = {}
    if issue.state != "closed" or issue.state_reason != "completed":
        fields.update(state="closed", state_reason="completed")
    body = _marker_body(issue, closed_by="command")
    if body is not None:
        fields["body"] = body
    return fields


def reopen_fields(issue: TargetIssue) -> dict[str, Any]:
    """The PATCH for ``reopen``: open, and no record of who closed it."""
    fields: dict[str, Any] = {}
    if issue.state != "open":
        fields.update(state="open", state_reason="reopened")
    body = _marker_body(issue, closed_by=None)
    if body is not None:
        fields["body"] = body
    return fields


def unlink_fields(issue: TargetIssue) -> dict[str, Any]:
    """The PATCH for ``unlink``: the marker says the bot lets go of the issue."""
    body = _marker_body(issue, unlinked=True)
    return {} if body is None else {"body": body}


def split_unassign(
    current: Sequence[str], logins: Iterable[str]
) -> tuple[list[str], list[str], list[str]]:
    """(assignees kept, assignees removed, logins that were not assigned); case-insensitive."""
    wanted = {login.casefold() for login in logins}
    kept = [a for a in current if a.casefold() not in wanted]
    removed = [a for a in current if a.casefold() in wanted]
    present = {a.casefold() for a in current}
    absent = [login for login in logins if login.casefold() not in present]
    return kept, removed, absent


def match_labels(available: Iterable[str], names: Iterable[str]) -> tuple[list[str], list[str]]:
    """(the repository's spelling of each known label, the names it has no label for)."""
    by_folded = {label.casefold(): label for label in available}
    found = [by_folded[n.casefold()] for n in names if n.casefold() in by_folded]
    unknown = [n for n in names if n.casefold() not in by_folded]
    return found, unknown


def _codes(values: Iterable[str]) -> str:
    return ", ".join(code_span(v) for v in values)


def _github_failure(exc: GitHubError) -> str:
    return f"GitHub refused it ({exc.status or 'no answer'}: {exc.message})"


# --- the verbs on an issue ---------------------------------------------------------------------


async def _patch(
    gh: GitHubClient, env: CommandEnv, issue: TargetIssue, fields: dict[str, Any]
) -> None:
    if fields:
        data = await api.update_issue(gh, env.repo, issue.number, fields)
        _refresh(issue, data)


def _refresh(issue: TargetIssue, data: Any) -> None:
    if isinstance(data, dict) and "number" in data:
        fresh = TargetIssue.from_github(data)
        issue.state, issue.state_reason, issue.body = fresh.state, fresh.state_reason, fresh.body
        issue.labels, issue.assignees = fresh.labels, fresh.assignees


async def _assign(
    gh: GitHubClient, env: CommandEnv, issue: TargetIssue, logins: Sequence[str]
) -> str | None:
    have = {a.casefold() for a in issue.assignees}
    refused = [login for login in logins if not await api.can_assign(gh, env.repo, login)]
    wanted = [login for login in logins if login not in refused and login.casefold() not in have]
    if wanted:
        data = await api.add_assignees(gh, env.repo, issue.number, wanted)
        _refresh(issue, data)
    if not refused:
        return None
    others = " (the others were assigned)" if len(refused) < len(logins) else ""
    return f"GitHub will not assign {_codes(refused)} in this repository{others}"


async def _unassign(
    gh: GitHubClient, env: CommandEnv, issue: TargetIssue, logins: Sequence[str]
) -> str | None:
    _kept, removed, absent = split_unassign(issue.assignees, logins)
    if removed:
        # Only these are taken off: setting the whole list would undo an assignee someone
        # added since the issue was read.
        data = await api.remove_assignees(gh, env.repo, issue.number, removed)
        _refresh(issue, data)
    if not absent:
        return None
    others = " (the others were unassigned)" if removed else ""
    verb = "is" if len(absent) == 1 else "are"
    return f"{_codes(absent)} {verb} not assigned to this issue{others}"


async def _label(
    gh: GitHubClient, env: CommandEnv, issue: TargetIssue, names: Sequence[str]
) -> str | None:
    available = await api.label_names(gh, env.repo)
    found, unknown = match_labels(available, names)
    on_issue = {label.casefold() for label in issue.labels}
    new = [label for label in found if label.casefold() not in on_issue]
    if new:
        # GitHub would create a label it does not know; only existing ones are sent.
        data = await api.add_labels(gh, env.repo, issue.number, new)
        if isinstance(data, list):
            issue.labels = _names(data, "name")
    if not unknown:
        return None
    others = " (the others were added)" if found else ""
    return (
        f"no label {_codes(unknown)} in this repository{others}; the bot does not create "
        "labels: create it first, or pick an existing one"
    )


async def _unlabel(
    gh: GitHubClient, env: CommandEnv, issue: TargetIssue, names: Sequence[str]
) -> str | None:
    present, absent = match_labels(issue.labels, names)
    for label in present:
        try:
            await api.remove_label(gh, env.repo, issue.number, label)
        except GitHubError as exc:
            if exc.status != 404:  # removed meanwhile: what was asked
                raise
        issue.labels = [name for name in issue.labels if name.casefold() != label.casefold()]
    if not absent:
        return None
    others = " (the others were removed)" if present else ""
    verb = "is" if len(absent) == 1 else "are"
    return f"{_codes(absent)} {verb} not on this issue{others}"


async def _head_sha(gh: GitHubClient, repo: str, branch: str) -> str:
    commit = await api.head_commit(gh, repo, branch)
    return str(commit["sha"])


async def _sync(gh: GitHubClient, env: CommandEnv, issue: TargetIssue) -> str | None:
    """Reconcile the issue with its notes at the default branch's head, as a push would."""
    marker = issue.marker
    if marker is None:
        return "the bot's marker is missing from this issue's body"
    head = await _head_sha(gh, env.repo, env.default_branch)
    try:
        settings = await load_repo_settings(gh, env.repo, head)
    except SettingsError as exc:
        return "the settings file has problems: " + "; ".join(exc.problems)
    paths = list(dict.fromkeys(p for p in (marker.path, *marker.seen) if p))
    # Every file the item was seen in is read: one that is gone is gone (full-sync mode).
    done = await reconcile(
        gh,
        env.store,
        env.repo,
        head,
        NotesFiles(paths, issue=issue.number),
        bot_login=env.bot_login,
        server_url=env.server_url,
        settings=settings,
    )
    _refresh(issue, await api.get_issue(gh, env.repo, issue.number))
    if done.outcome is not None and done.outcome.failed:
        return "could not finish: " + "; ".join(reason for _, reason in done.outcome.failed)
    return None


# --- the verbs: each declared once, with its handler ---------------------------------------------


@dataclass
class VerbCall:
    """One command to run, and what it acts on: an issue the bot filed, or a notes pull request."""

    gh: GitHubClient
    env: CommandEnv
    cmd: Command
    issue: TargetIssue | None = None
    pull: PullTarget | None = None

    @property
    def target_issue(self) -> TargetIssue:
        """The issue an issue verb acts on (the dispatcher only calls those with one)."""
        assert self.issue is not None
        return self.issue

    @property
    def target_pull(self) -> PullTarget:
        """The pull request a pull-request verb acts on."""
        assert self.pull is not None
        return self.pull


@dataclass(frozen=True)
class PullTarget:
    """A notes pull request a command was written on."""

    number: int
    issue: Mapping[str, Any]  # the pull request as the issue_comment payload shows it
    notes: PullNotes


VerbHandler = Callable[[VerbCall], Awaitable[str | None]]
_HANDLERS: dict[str, VerbHandler] = {}


def verb(
    name: str,
    *,
    usage: str,
    summary: str,
    arguments: ArgumentKind = "none",
    where: Where = "issue",
    who: Who = "maintainers",
) -> Callable[[VerbHandler], VerbHandler]:
    """Declare a ``/todo`` verb on its handler (snekomatic's ``route_command``).

    The handler returns ``None`` when the command ran, else the reason for the reply.
    """

    def register(handler: VerbHandler) -> VerbHandler:
        declare(VerbSpec(name, usage, summary, arguments, where, who))
        _HANDLERS[name] = handler
        return handler

    return register


async def run_command(call: VerbCall) -> str | None:
    """Perform one command; ``None`` when it ran, else why not."""
    spec = VERBS.get(call.cmd.verb)
    here = "pull_request" if call.pull is not None else "issue"
    if spec is None or spec.where not in (here, "both"):
        return (
            f"`{call.cmd.verb}` does not apply to {'a pull request' if call.pull else 'an issue'}"
        )
    try:
        return await _HANDLERS[spec.name](call)
    except GitHubError as exc:
        return _github_failure(exc)


@verb(
    "done",
    usage="/todo done [reason]",
    summary="close the issue as completed",
    arguments="reason",
    who="assignees",
)
async def _done(call: VerbCall) -> str | None:
    await _patch(call.gh, call.env, call.target_issue, done_fields(call.target_issue))
    return None


@verb("reopen", usage="/todo reopen", summary="reopen the issue", who="assignees")
async def _reopen(call: VerbCall) -> str | None:
    await _patch(call.gh, call.env, call.target_issue, reopen_fields(call.target_issue))
    return None


@verb("assign", usage="/todo assign @login ...", summary="add assignees", arguments="logins")
async def _assign_verb(call: VerbCall) -> str | None:
    return await _assign(call.gh, call.env, call.target_issue, call.cmd.args)


@verb(
    "unassign",
    usage="/todo unassign @login ...",
    summary="remove assignees",
    arguments="logins",
    who="assignees-themselves",
)
async def _unassign_verb(call: VerbCall) -> str | None:
    return await _unassign(call.gh, call.env, call.target_issue, call.cmd.args)


@verb("label", usage="/todo label name ...", summary="add labels", arguments="labels")
async def _label_verb(call: VerbCall) -> str | None:
    return await _label(call.gh, call.env, call.target_issue, call.cmd.args)


@verb("unlabel", usage="/todo unlabel name ...", summary="remove labels", arguments="labels")
async def _unlabel_verb(call: VerbCall) -> str | None:
    return await _unlabel(call.gh, call.env, call.target_issue, call.cmd.args)


@verb("unlink", usage="/todo unlink", summary="the bot never touches this issue again")
async def _unlink(call: VerbCall) -> str | None:
    await _patch(call.gh, call.env, call.target_issue, unlink_fields(call.target_issue))
    return None


@verb("sync", usage="/todo sync", summary="reconcile the issue with its notes now")
async def _sync_verb(call: VerbCall) -> str | None:
    return await _sync(call.gh, call.env, call.target_issue)


@verb(
    "preview",
    usage="/todo preview",
    summary="recompute the preview comment",
    where="pull_request",
    who="pr-author",
)
async def _preview(call: VerbCall) -> str | None:
    pull, env = call.target_pull, call.env
    if (pull.issue.get("pull_request") or {}).get("merged_at"):
        await link_merged(
            call.gh, env.store, env.repo, pull.number, merge_commit="", bot_login=env.bot_login
        )
    elif pull.issue.get("state") != "open":
        return "this pull request is closed: reopen it to preview it again"
    else:
        await refresh_preview(
            call.gh,
            env.repo,
            pull.number,
            bot_login=env.bot_login,
            server_url=env.server_url,
            pull=pull.notes,
        )
        notes = pull.notes
        if not notes.against_default_branch:
            return (
                f"this pull request targets {code_span(notes.base_ref or '?')}, not the default "
                f"branch {code_span(notes.default_branch or env.default_branch)}: only pull "
                "requests to the default branch are previewed"
            )
    return None


@verb("help", usage="/todo help", summary="list the commands", where="both", who="anyone")
async def _help(call: VerbCall) -> str | None:
    # The reply lists the commands (bot.commands.replies); there is nothing to write.
    return None
