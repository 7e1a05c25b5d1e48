"""What every part of the planner shares: the inputs and the rendering of one item."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.markdown.issue_body import issue_title, item_digest, render_issue_body
from bot.notes.model import ActionItem, Meeting
from bot.planner.issues import IssueIndex
from bot.planner.view import NotesView
from bot.settings import Settings

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: GitHub keeps at most this many assignees on an issue.
MAX_ASSIGNEES = 10


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """``values`` without repeats, first occurrence kept."""
    return tuple(dict.fromkeys(values))


def folded(values: Iterable[str]) -> set[str]:
    """Case-folded set (GitHub compares logins and label names without case)."""
    return {v.casefold() for v in values}


@dataclass(frozen=True)
class Rendered:
    """An item's generated part and what the marker records about it."""

    part: str
    digest: str
    title: str


@dataclass(frozen=True)
class PlanContext:
    """The planner's inputs, shared by its parts."""

    view: NotesView
    index: IssueIndex
    settings: Settings
    assignable: Mapping[str, bool]
    repo: str
    commit: str
    server_url: str

    def date_of(self, path: str) -> str:
        """The ISO date of a visible file's meeting, or "" (unknown, or not an ISO date)."""
        notes = self.view.after.get(path)
        date = notes.meeting.date if notes is not None else None
        return date if date is not None and _ISO_DATE.fullmatch(date) else ""

    def body_labels(self, item: ActionItem) -> tuple[str, ...]:
        """The labels an issue for this one occurrence shows: the settings', then the item's."""
        return unique((*self.settings.labels, *item.labels))

    def labels_for(self, items: Sequence[ActionItem]) -> tuple[str, ...]:
        """The labels the notes ask for, over every occurrence of an item."""
        return unique(label for item in items for label in self.body_labels(item))

    def assignable_logins(self, items: Sequence[ActionItem]) -> tuple[str, ...]:
        """Logins GitHub accepts as assignees, over every occurrence of an item."""
        return unique(
            login for item in items for login in item.assignees if self.assignable.get(login)
        )

    def unassignable(self, item: ActionItem) -> tuple[str, ...]:
        """Logins of one occurrence that GitHub would refuse (unknown counts as refused)."""
        return unique(login for login in item.assignees if not self.assignable.get(login))

    def render(self, item: ActionItem, meeting: Meeting) -> Rendered:
        """The generated part for one occurrence, with its digest and the issue title."""
        labels = self.body_labels(item)
        unassignable = self.unassignable(item)
        part = render_issue_body(
            item,
            meeting,
            repo=self.repo,
            commit=self.commit,
            server_url=self.server_url,
            labels=labels,
            unassignable=unassignable,
        )
        return Rendered(part, item_digest(item, meeting, labels, unassignable), issue_title(item))
