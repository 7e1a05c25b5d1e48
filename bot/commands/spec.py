"""What a ``/todo`` verb declares: its name, arguments, where it applies, help text, who may run it.

Pure. The table is filled by :func:`bot.commands.verbs.verb`, the decorator on each verb's
handler, so a verb is declared in exactly one place; importing :mod:`bot.commands` fills it
(the package imports its verbs first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ArgumentKind = Literal["none", "reason", "logins", "labels"]
Where = Literal["issue", "pull_request", "both"]
#: Who may run a verb besides people with triage access or more (who may run every verb).
#: ``assignees-themselves``: an assignee may run it only about themselves (``unassign``).
Who = Literal["anyone", "assignees", "assignees-themselves", "pr-author", "maintainers"]


@dataclass(frozen=True)
class VerbSpec:
    """One verb: where it applies, what arguments it takes, how the help shows it, who may."""

    name: str
    usage: str
    summary: str
    arguments: ArgumentKind
    where: Where
    who: Who


#: Every verb, in the order the help lists them (the order the handlers are declared).
VERBS: dict[str, VerbSpec] = {}


def declare(spec: VerbSpec) -> None:
    """Add a verb to :data:`VERBS`; a name may be declared once."""
    if spec.name in VERBS:
        raise ValueError(f"/todo {spec.name} is declared twice")
    VERBS[spec.name] = spec


def verbs_for(*, on_pull_request: bool) -> tuple[str, ...]:
    """The verbs that apply on a notes pull request, or on an issue the bot filed."""
    here: Where = "pull_request" if on_pull_request else "issue"
    return tuple(name for name, spec in VERBS.items() if spec.where in (here, "both"))
