"""Items edited in place: the old text gone from a file, a new similar one there instead.

An edit changes an item's key, so without this the bot would see one item removed and another
added. Within one file, each vanished item is paired with at most one new item whose title is
similar enough (greedy, most similar pair first), and the new item inherits the old one's issue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from bot.planner.issues import IssueIndex, IssueState
from bot.planner.view import NotesView

#: Titles at least this similar (difflib ratio of the normalised titles) are the same item.
SIMILARITY = 0.6


@dataclass(frozen=True)
class Edit:
    """A new key in ``path`` that is an edit of ``old_key``."""

    path: str
    old_key: str
    new_key: str
    #: The issue of the old key; ``None`` when it had none (never filed, or held back).
    issue: IssueState | None
    #: The old key belongs to an unlinked issue: the new key must not be filed either.
    blocked: bool = False


@dataclass(frozen=True)
class _Old:
    key: str
    title: str
    line: int
    issue: IssueState | None
    blocked: bool


@dataclass(frozen=True)
class _New:
    key: str
    title: str
    line: int


def normalise_title(title: str) -> str:
    """Case, punctuation and spacing folded away."""
    return " ".join(re.sub(r"[\W_]+", " ", title.casefold()).split())


def similarity(a: str, b: str) -> float:
    """How alike two titles are, 0 to 1."""
    left, right = normalise_title(a), normalise_title(b)
    if not left or not right:
        return 0.0
    return SequenceMatcher(None, left, right, autojunk=False).ratio()


def _pair(path: str, olds: list[_Old], news: list[_New]) -> list[Edit]:
    scored: list[tuple[float, int, int, _Old, _New]] = []
    for old in olds:
        left = normalise_title(old.title)
        for new in news:
            matcher = SequenceMatcher(None, left, normalise_title(new.title), autojunk=False)
            if matcher.real_quick_ratio() < SIMILARITY or matcher.quick_ratio() < SIMILARITY:
                continue
            ratio = matcher.ratio()
            if ratio >= SIMILARITY:
                scored.append((-ratio, old.line, new.line, old, new))
    scored.sort(key=lambda s: (s[0], s[1], s[2], s[3].key, s[4].key))
    used_old: set[str] = set()
    used_new: set[str] = set()
    used_issue: set[int] = set()
    edits: list[Edit] = []
    for _, _, _, old, new in scored:
        number = old.issue.number if old.issue is not None else None
        if old.key in used_old or new.key in used_new or number in used_issue:
            continue
        used_old.add(old.key)
        used_new.add(new.key)
        if number is not None:
            used_issue.add(number)
        edits.append(Edit(path, old.key, new.key, old.issue, old.blocked))
    return edits


def _fresh_keys(view: NotesView, index: IssueIndex, path: str, keys: Iterable[str]) -> list[_New]:
    """Keys in a file that could be an edit's result: no issue, not blocked, not linked."""
    news: list[_New] = []
    for key in sorted(set(keys)):
        if index.issue_for(key) is not None or key in index.blocked:
            continue
        occurrences = view.occurrences_in(path, [key])
        if not occurrences or any(o.item.linked_issue is not None for o in occurrences):
            continue
        first = occurrences[0].item
        news.append(_New(key, first.title, first.line))
    return news


def _push_edits(view: NotesView, index: IssueIndex) -> list[Edit]:
    edits: list[Edit] = []
    for path, old_notes, new_notes in view.changed_files():
        new_keys = {i.key for i in new_notes.items}
        old_keys = {i.key for i in old_notes.items}
        olds: dict[str, _Old] = {}
        for item in sorted(old_notes.items, key=lambda i: i.line):
            if item.key in olds or view.occurrences(item.key):
                continue  # still written somewhere the push shows: not gone, so not edited
            issue = index.issue_for(item.key)
            olds[item.key] = _Old(item.key, item.title, item.line, issue, item.key in index.blocked)
        news = _fresh_keys(view, index, path, new_keys - old_keys)
        if olds and news:
            edits.extend(_pair(path, list(olds.values()), news))
    return edits


def _sync_edits(view: NotesView, index: IssueIndex, issues: Iterable[IssueState]) -> list[Edit]:
    """Full sync has no ``before``: an issue whose keys left every file pairs through its marker."""
    orphans: dict[str, list[_Old]] = {}
    for issue in issues:
        marker = issue.marker
        if marker is None or marker.removed or view.paths_with((marker.key, *marker.aliases)):
            continue
        if marker.unlinked:
            old = _Old(marker.key, marker.title, marker.line, None, blocked=True)
        elif index.issue_for(marker.key) is issue:
            old = _Old(marker.key, marker.title, marker.line, issue, blocked=False)
        else:
            continue
        # every file it was seen in may hold its edited text, as each push would have paired it
        for path in {marker.path, *marker.seen} & set(view.after):
            orphans.setdefault(path, []).append(old)
    edits: list[Edit] = []
    for path in sorted(orphans):
        news = _fresh_keys(view, index, path, (i.key for i in view.after[path].items))
        edits.extend(_pair(path, orphans[path], news))
    return edits


def find_edits(view: NotesView, index: IssueIndex, issues: Iterable[IssueState]) -> list[Edit]:
    """Every edit in place the notes show, in path order."""
    if view.full_sync:
        return _sync_edits(view, index, issues)
    return _push_edits(view, index)
