"""The bot's existing issues, as the planner sees them, and which issue answers to which key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.markdown.issue_body import IssueMarker, parse_marker


def _names(values: object, field: str) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    names: list[str] = []
    for value in values:
        if isinstance(value, str):
            names.append(value)
        elif isinstance(value, Mapping) and isinstance(value.get(field), str):
            names.append(value[field])
    return tuple(names)


@dataclass(frozen=True)
class IssueState:
    """One issue as GitHub shows it now, with the marker parsed from its body."""

    number: int
    title: str
    state: str
    state_reason: str | None
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    body: str
    marker: IssueMarker | None
    is_pull_request: bool = False

    @classmethod
    def from_github(cls, data: Mapping[str, Any]) -> IssueState:
        """Build from a GitHub issue object (REST ``GET /repos/{o}/{r}/issues`` item)."""
        body = data.get("body")
        body = body if isinstance(body, str) else ""
        reason = data.get("state_reason")
        number = data.get("number")
        title = data.get("title")
        return cls(
            number=number if isinstance(number, int) else 0,
            title=title if isinstance(title, str) else "",
            state="closed" if data.get("state") == "closed" else "open",
            state_reason=reason if isinstance(reason, str) else None,
            labels=_names(data.get("labels"), "name"),
            assignees=_names(data.get("assignees"), "login"),
            body=body,
            marker=parse_marker(body),
            is_pull_request="pull_request" in data,
        )

    @property
    def is_open(self) -> bool:
        """Whether the issue is open."""
        return self.state == "open"


def bot_issues(raw: Iterable[Mapping[str, Any]]) -> list[IssueState]:
    """The bot issues among GitHub issue objects: not pull requests, and carrying a marker."""
    issues = (IssueState.from_github(data) for data in raw)
    return [i for i in issues if i.marker is not None and not i.is_pull_request and i.number > 0]


class IssueIndex:
    """Which issue answers to which key.

    A key leads to the lowest-numbered issue whose marker has it as ``key``, else as one of its
    ``aliases``. Unlinked issues answer to nothing, but their keys are *blocked*: never filed anew.
    Other issues with the same key (duplicates made by hand or by an older bot) are left alone.
    """

    def __init__(self, issues: Sequence[IssueState]) -> None:
        live = sorted(
            (i for i in issues if i.marker is not None and not i.is_pull_request),
            key=lambda i: i.number,
        )
        self.blocked: set[str] = set()
        self._primary: dict[str, IssueState] = {}
        self._alias: dict[str, IssueState] = {}
        self.by_number: dict[int, IssueState] = {}
        for issue in live:
            marker = issue.marker
            assert marker is not None
            self.by_number.setdefault(issue.number, issue)
            if marker.unlinked:
                self.blocked.add(marker.key)
                self.blocked.update(marker.aliases)
                continue
            self._primary.setdefault(marker.key, issue)
            for alias in marker.aliases:
                self._alias.setdefault(alias, issue)

    def issue_for(self, key: str) -> IssueState | None:
        """The issue that answers to ``key``, if any (never an unlinked one)."""
        return self._primary.get(key) or self._alias.get(key)

    def keys_of(self, issue: IssueState) -> tuple[str, ...]:
        """The keys that lead to ``issue`` (its key first, then the aliases still its own)."""
        marker = issue.marker
        if marker is None or marker.unlinked:
            return ()
        keys = [marker.key] if self.issue_for(marker.key) is issue else []
        keys.extend(a for a in marker.aliases if a not in keys and self.issue_for(a) is issue)
        return tuple(keys)

    def canonical(self) -> list[IssueState]:
        """Every issue that some key leads to, by number."""
        found = {i.number: i for i in (*self._primary.values(), *self._alias.values())}
        return [found[n] for n in sorted(found)]

    def is_unlinked(self, number: int) -> bool:
        """Whether ``number`` is a bot issue that ``/todo unlink`` took out of the bot's hands."""
        issue = self.by_number.get(number)
        return issue is not None and issue.marker is not None and issue.marker.unlinked
