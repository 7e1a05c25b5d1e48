"""Who may run which ``/todo`` command, and whose comments are not read at all.

Pure: the shell looks up the sender's permission on the repository (see
:func:`permission_from_api`) and the issue's assignees, then asks :func:`may_run`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from bot.commands.parse import Command
from bot.commands.spec import VERBS

Permission = Literal["admin", "maintain", "write", "triage", "read", "none"]

#: Repository roles that may run every command.
MAINTAINER_PERMISSIONS: frozenset[str] = frozenset({"admin", "maintain", "write", "triage"})
MAINTAINERS = "people with triage, write, maintain or admin access"


def is_bot_sender(sender: Mapping[str, Any], bot_login: str) -> bool:
    """True when a comment's sender is an app or bot account, this bot included.

    Such comments are never read for commands, so bots cannot steer each other
    (or the bot itself, by quoting a command in a reply).
    """
    login = str(sender.get("login") or "").lower()
    return (
        sender.get("type") == "Bot"
        or login.endswith("[bot]")
        or (bool(bot_login) and login == bot_login.lower())
    )


def permission_from_api(payload: Mapping[str, Any]) -> Permission:
    """The sender's role from ``GET /repos/{owner}/{repo}/collaborators/{user}/permission``.

    ``permission`` folds ``maintain`` into ``write`` and ``triage`` into ``read``;
    ``role_name`` keeps them, but holds a custom role's own name, so it is used only
    when it is one of the standard roles.
    """
    for field in ("role_name", "permission"):
        value = payload.get(field)
        if isinstance(value, str) and value.lower() in _ROLES:
            return _ROLES[value.lower()]
    return "none"


_ROLES: Mapping[str, Permission] = {
    "admin": "admin",
    "maintain": "maintain",
    "write": "write",
    "triage": "triage",
    "read": "read",
    "none": "none",
}


def who_may(verb: str) -> str:
    """Who may run ``verb``, as a phrase for replies and the help."""
    who = VERBS[verb].who if verb in VERBS else "maintainers"
    match who:
        case "anyone":
            return "anyone"
        case "assignees":
            return f"the issue's assignees and {MAINTAINERS}"
        case "assignees-themselves":
            return f"the issue's assignees (to unassign themselves) and {MAINTAINERS}"
        case "pr-author":
            return f"the pull request's author and {MAINTAINERS}"
    return MAINTAINERS


def may_run(
    cmd: Command,
    *,
    sender: str,
    permission: Permission,
    issue_assignees: Sequence[str],
    pr_author: str | None,
) -> str | None:
    """``None`` when ``sender`` may run ``cmd``; else the reason, saying who may.

    Logins compare without regard to case, as GitHub's do.
    """
    who = VERBS[cmd.verb].who if cmd.verb in VERBS else "maintainers"
    if permission in MAINTAINER_PERMISSIONS or who == "anyone":
        return None
    me = sender.lower()
    if who == "pr-author" and pr_author is not None and pr_author.lower() == me:
        return None
    is_assignee = any(login.lower() == me for login in issue_assignees)
    if is_assignee and who == "assignees":
        return None
    if is_assignee and who == "assignees-themselves":
        others = [login for login in cmd.args if login.lower() != me]
        if not others:
            return None
        named = ", ".join(f"`{login}`" for login in others)
        return (
            f"assignees may unassign only themselves; unassigning {named} "
            f"needs triage, write, maintain or admin access"
        )
    return f"only {who_may(cmd.verb)} may run `/todo {cmd.verb}`"
