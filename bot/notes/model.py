"""The data the notes reader produces: meetings and their action items."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The fields of an item's JSON form, in order (``scan --json`` writes exactly these).
ITEM_FIELDS = (
    "path",
    "line",
    "title",
    "body",
    "done",
    "owners",
    "assignees",
    "unresolved",
    "labels",
    "linked_issue",
    "key",
)


@dataclass(frozen=True)
class Meeting:
    """A meeting's metadata: from front matter, else the first heading, else the file name."""

    title: str
    date: str | None = None


@dataclass(frozen=True)
class ActionItem:
    """One action item found in a notes file.

    ``key`` is the item's identity: the same for the same action written in two
    meetings, and unchanged when only wrapping, spacing, emphasis, escapes, the
    done state or the owner group change.
    """

    path: str
    line: int
    title: str
    body: str
    done: bool
    owners: tuple[str, ...]
    assignees: tuple[str, ...]
    unresolved: tuple[str, ...]
    labels: tuple[str, ...]
    linked_issue: int | None
    key: str

    def as_json(self) -> dict[str, Any]:
        """The item as a JSON-ready dict with exactly :data:`ITEM_FIELDS`."""
        return {
            "path": self.path,
            "line": self.line,
            "title": self.title,
            "body": self.body,
            "done": self.done,
            "owners": list(self.owners),
            "assignees": list(self.assignees),
            "unresolved": list(self.unresolved),
            "labels": list(self.labels),
            "linked_issue": self.linked_issue,
            "key": self.key,
        }


@dataclass(frozen=True)
class NotesFile:
    """What the reader made of one notes file."""

    path: str
    meeting: Meeting
    items: tuple[ActionItem, ...] = ()
    warnings: tuple[str, ...] = field(default=())
