"""The GitHub writes a plan consists of: plain values, performed by the executor in order.

Every action has a ``summary``: one line for a person (logs, ``sync --dry-run``, the pull-request
preview). Comment actions carry a ``dedupe_tag`` that is also embedded in their body (see
:func:`bot.markdown.issue_body.comment_tag`): the executor skips a comment whose tag a bot
comment on the same issue already carries, so a crash or a redelivered push
never posts it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.notes.model import ActionItem

IssueStateName = Literal["open", "closed"]
StateReason = Literal["completed", "not_planned", "reopened"]


def _quote(title: str) -> str:
    return f"“{title}”"


@dataclass(frozen=True)
class CreateIssue:
    """File a new issue for an action item; ``body`` already holds the hidden marker."""

    key: str
    title: str
    body: str
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    item: ActionItem

    @property
    def summary(self) -> str:
        """One line for a person."""
        parts = [f"file issue {_quote(self.title)} ({self.item.path}:{self.item.line})"]
        if self.assignees:
            parts.append("assign " + ", ".join(self.assignees))
        if self.labels:
            parts.append("label " + ", ".join(self.labels))
        return "; ".join(parts)


@dataclass(frozen=True)
class UpdateIssue:
    """Edit an existing issue; a field left ``None`` is not sent."""

    number: int
    title: str | None = None
    body: str | None = None
    state: IssueStateName | None = None
    state_reason: StateReason | None = None

    @property
    def is_body_only(self) -> bool:
        """Only the generated body changes (links, bookkeeping): nobody is notified."""
        return self.title is None and self.state is None and self.body is not None

    @property
    def summary(self) -> str:
        """One line for a person."""
        changes: list[str] = []
        if self.title is not None:
            changes.append(f"retitle to {_quote(self.title)}")
        if self.state == "closed":
            changes.append(f"close ({self.state_reason or 'completed'})")
        elif self.state == "open":
            changes.append("reopen")
        if self.body is not None:
            changes.append("update the generated body")
        return f"update #{self.number}: " + ", ".join(changes or ["nothing"])


@dataclass(frozen=True)
class AddLabels:
    """Add labels to an issue (never removes any)."""

    number: int
    labels: tuple[str, ...]

    @property
    def summary(self) -> str:
        """One line for a person."""
        return f"label #{self.number}: " + ", ".join(self.labels)


@dataclass(frozen=True)
class AddAssignees:
    """Add assignees to an issue (never removes any)."""

    number: int
    logins: tuple[str, ...]

    @property
    def summary(self) -> str:
        """One line for a person."""
        return f"assign #{self.number}: " + ", ".join(self.logins)


@dataclass(frozen=True)
class CommentOnIssue:
    """Comment on an issue, unless a bot comment there already carries ``dedupe_tag``."""

    number: int
    body: str
    dedupe_tag: str
    #: What the comment is for, in a few words (for the summary).
    reason: str = "comment"

    @property
    def summary(self) -> str:
        """One line for a person."""
        return f"comment on #{self.number}: {self.reason}"


Action = CreateIssue | UpdateIssue | AddLabels | AddAssignees | CommentOnIssue
