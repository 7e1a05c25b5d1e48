"""``/todo`` commands in new comments on the bot's issues and on notes pull requests.

Edited comments are not read again, comments by bots (the bot included) never, and comments
elsewhere (issues people filed, pull requests that change no notes, issues the bot was told to
``unlink``) are ignored without a word. Every command line gets an outcome; the comment gets a
+1 or a confused reaction and at most one reply (see :mod:`bot.commands.replies`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.commands.parse import PREFIX, Command, CommandError, parse_commands
from bot.commands.policy import Permission, is_bot_sender, may_run, permission_from_api
from bot.commands.replies import CommandOutcome, feedback
from bot.commands.verbs import (
    CommandEnv,
    PullTarget,
    TargetIssue,
    VerbCall,
    is_bot_issue,
    run_command,
)
from bot.context import BotContext
from bot.github import api
from bot.preview.comment import find_preview_comment
from bot.preview.keep import PullNotes, read_pull
from bot.push.router import server_url
from bot.web.dispatch import acts_when

if TYPE_CHECKING:
    from bot.github import GitHubClient

router = Router()


def _login(account: Any) -> str:
    return str((account or {}).get("login", "")) if isinstance(account, dict) else ""


def _in_line_order(
    commands: list[Command], errors: list[CommandError]
) -> list[Command | CommandError]:
    lines: list[Command | CommandError] = [*commands, *errors]
    return sorted(lines, key=lambda entry: entry.line)


async def _notes_pull(gh: GitHubClient, repo: str, number: int, bot_login: str) -> PullNotes | None:
    """The pull request's notes, if it is a notes pull request (or already has a preview)."""
    pull = await read_pull(gh, repo, number, None)
    if pull.head is None:
        return None
    if pull.matters:
        return pull
    comments = await api.list_comments(gh, repo, number)
    return pull if find_preview_comment(comments, bot_login) is not None else None


async def _bot_issue(
    gh: GitHubClient, repo: str, number: int, bot_login: str
) -> TargetIssue | None:
    """The issue as GitHub shows it now, if the bot filed it and was not told to let go."""
    fresh = await api.get_issue(gh, repo, number)
    if fresh is None or not is_bot_issue(fresh, bot_login):
        return None
    target = TargetIssue.from_github(fresh)
    marker = target.marker
    return None if marker is None or marker.unlinked else target


async def _run(
    gh: GitHubClient,
    env: CommandEnv,
    entry: Command,
    issue: dict[str, Any],
    target: TargetIssue | PullNotes,
) -> str | None:
    if isinstance(target, TargetIssue):
        return await run_command(VerbCall(gh, env, entry, issue=target))
    pull = PullTarget(int(issue["number"]), issue, target)
    return await run_command(VerbCall(gh, env, entry, pull=pull))


def _may_hold_commands(data: Mapping[str, Any]) -> bool:
    """A person's comment that mentions ``/todo`` (the bot's own login is checked later: this
    test needs no configuration)."""
    comment = data.get("comment") or {}
    return (
        PREFIX in str(comment.get("body") or "")
        and not is_bot_sender(data.get("sender") or {}, "")
        and not is_bot_sender(comment.get("user") or {}, "")
    )


@router.register("issue_comment", action="created")
@acts_when(_may_hold_commands)
async def on_comment(event: Event, gh: GitHubClient, ctx: BotContext) -> None:
    """Run the ``/todo`` commands of a new comment and answer once."""
    data = event.data
    bot_login = ctx.config.bot_login
    comment = data.get("comment") or {}
    if is_bot_sender(data.get("sender") or {}, bot_login) or is_bot_sender(
        comment.get("user") or {}, bot_login
    ):
        return
    body = str(comment.get("body") or "")
    issue = data.get("issue") or {}
    repository = data.get("repository") or {}
    repo = str(repository.get("full_name", ""))
    number = int(issue.get("number") or 0)
    if PREFIX not in body or not repo or not number:
        return
    on_pull_request = "pull_request" in issue
    commands, errors = parse_commands(body, on_pull_request=on_pull_request)
    if not (commands or errors):
        return
    target: TargetIssue | PullNotes | None
    if on_pull_request:
        target = await _notes_pull(gh, repo, number, bot_login)
    else:
        target = await _bot_issue(gh, repo, number, bot_login)
    if target is None:
        ctx.log.info("%s#%d: /todo where the bot has nothing to do, ignored", repo, number)
        return
    env = CommandEnv(
        repo=repo,
        bot_login=bot_login,
        default_branch=str(repository.get("default_branch") or "main"),
        server_url=server_url(repository),
        store=ctx.store,
    )

    sender = _login(data.get("sender")) or _login(comment.get("user"))
    permission: Permission = "none"  # only help is open to everyone: ask GitHub otherwise
    if any(cmd.verb != "help" for cmd in commands):
        role = await api.permission(gh, repo, sender)
        permission = permission_from_api({"role_name": role})
    pr_author = _login(issue.get("user")) if on_pull_request else None

    outcomes: list[CommandOutcome] = []
    for entry in _in_line_order(commands, errors):
        if isinstance(entry, CommandError):
            outcomes.append(CommandOutcome(entry.text, None, entry.reason))
            continue
        denial = may_run(
            entry,
            sender=sender,
            permission=permission,
            issue_assignees=target.assignees if isinstance(target, TargetIssue) else (),
            pr_author=pr_author,
        )
        if denial is not None:
            outcomes.append(CommandOutcome(entry.text, entry.verb, denial, denied=True))
            continue
        failure = await _run(gh, env, entry, issue, target)
        outcomes.append(CommandOutcome(entry.text, entry.verb, failure))
        ctx.log.info("%s#%d: %s by %s: %s", repo, number, entry.text, sender, failure or "done")

    answer = feedback(outcomes, on_pull_request=on_pull_request)
    await api.react_to_comment(gh, repo, int(comment["id"]), answer.reaction)
    if answer.reply is not None:
        await api.create_comment(gh, repo, number, answer.reply)
