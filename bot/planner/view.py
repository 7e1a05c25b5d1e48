"""What the planner knows about the notes: the files it can see and the ones it knows are gone.

In push mode it sees only the files the push changed; a notes file the push did not touch is
*unknown*, and the planner assumes it is as the bot last saw it. In full-sync mode it sees every
notes file at the commit, so a file it does not see is gone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum

from bot.notes.model import ActionItem, Meeting, NotesFile


class PathStatus(Enum):
    """What the planner knows of one notes file and one item in it."""

    PRESENT = "present"  # the file is visible and holds the item
    GONE = "gone"  # the file is visible without the item, or known to be deleted
    UNKNOWN = "unknown"  # push mode: a file the push did not touch


@dataclass(frozen=True)
class Occurrence:
    """An item where it appears, with the meeting it appears in."""

    item: ActionItem
    meeting: Meeting


class NotesView:
    """The notes before and after a push (or all notes, in full-sync mode), indexed by key."""

    def __init__(
        self,
        before: Mapping[str, NotesFile],
        after: Mapping[str, NotesFile],
        renames: Mapping[str, str],
        *,
        full_sync: bool,
    ) -> None:
        self.after = after
        self.full_sync = full_sync
        self.renames = dict(renames)
        self._before = before
        self._previous_name = {new: old for old, new in renames.items()}
        self._known = {*before, *after, *renames, *renames.values()}
        # Text that left a file the push removed (or renamed away) and turns up elsewhere moved;
        # it is not new. Such files may lie outside the notes globs: a push that folds old
        # reports into a notes archive files nothing.
        self._departed: set[str] = {
            item.key
            for path, notes in before.items()
            if path not in after and renames.get(path) not in after
            for item in notes.items
        }
        # key -> path -> occurrences in line order; paths in path order
        self._by_key: dict[str, dict[str, list[Occurrence]]] = {}
        for path in sorted(after):
            notes = after[path]
            for item in sorted(notes.items, key=lambda i: i.line):
                spot = self._by_key.setdefault(item.key, {})
                spot.setdefault(path, []).append(Occurrence(item, notes.meeting))

    def keys_in_order(self) -> list[str]:
        """Every key in the visible notes, by first occurrence (path, then line)."""
        first = {key: self.occurrences(key)[0] for key in self._by_key}
        return sorted(first, key=lambda k: (first[k].item.path, first[k].item.line, k))

    def paths_with(self, keys: Collection[str]) -> list[str]:
        """Visible files holding any of ``keys``, in path order."""
        return sorted({p for k in keys for p in self._by_key.get(k, {})})

    def occurrences(self, key: str) -> list[Occurrence]:
        """Every visible occurrence of ``key``, by path then line."""
        return [o for occs in self._by_key.get(key, {}).values() for o in occs]

    def occurrences_in(self, path: str, keys: Collection[str]) -> list[Occurrence]:
        """Occurrences of any of ``keys`` in one visible file, by line."""
        found = [o for k in keys for o in self._by_key.get(k, {}).get(path, [])]
        return sorted(found, key=lambda o: (o.item.line, o.item.key))

    def map_path(self, path: str) -> str:
        """Where a file is after the push's renames."""
        return self.renames.get(path, path)

    def status(self, path: str, keys: Collection[str]) -> PathStatus:
        """Whether a (renamed-through) file holds any of ``keys``."""
        if path in self.after:
            held = any(path in self._by_key.get(k, {}) for k in keys)
            return PathStatus.PRESENT if held else PathStatus.GONE
        if self.full_sync or path in self._known:
            return PathStatus.GONE
        return PathStatus.UNKNOWN

    def before_of(self, path: str) -> NotesFile | None:
        """The version before the push of a visible file (through a rename), if it existed."""
        if path in self._before:
            return self._before[path]
        old = self._previous_name.get(path)
        return self._before.get(old) if old is not None else None

    def before_keys(self, path: str) -> set[str]:
        """Keys the file held before the push (none for an added file, or in full-sync mode)."""
        notes = self.before_of(path)
        return {i.key for i in notes.items} if notes is not None else set()

    def is_new_in(self, key: str, path: str) -> bool:
        """Whether the push brought ``key`` into ``path`` (always true in full-sync mode).

        Not when the text moved: it was in the file before, or in a file the push removed.
        """
        if self.full_sync:
            return True
        return key not in self.before_keys(path) and key not in self._departed

    def changed_files(self) -> Iterator[tuple[str, NotesFile, NotesFile]]:
        """Visible files with a previous version: (path, before, after), in path order."""
        for path in sorted(self.after):
            old = self.before_of(path)
            if old is not None:
                yield path, old, self.after[path]
