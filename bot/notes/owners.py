"""Who an item is for: owners as written, resolved logins, and names left unresolved."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.notes.names import HANDLE, Names, handle_login, parse_names
from bot.notes.rollcall import RollCall

#: ``Name to <verb>``, ``Name will <verb>``, ``Name & Name to …`` at the start of an item.
_NAME_TO = re.compile(
    r"\s*(?P<names>[^\n:()\[\]]{1,60}?)[ \t]+(?:to|will)[ \t]+(?P<verb>[a-z][\w'’-]*)"
)
_NOT_VERBS = frozenset(
    {
        "a", "an", "the", "this", "that", "these", "those", "our", "their", "his", "her",
        "my", "your", "its", "all", "each", "every", "some", "any", "no", "it", "them",
        "him", "us", "me", "you", "be",
    }
)  # fmt: skip


@dataclass(slots=True)
class OwnerNotes:
    """Owners collected for one item before the file's roll call is known."""

    names: list[str] = field(default_factory=list)
    tentative: list[str] = field(default_factory=list)
    trailing: Names | None = None
    handles: list[str] = field(default_factory=list)

    def add(self, found: Names | None) -> None:
        """Add names found in an owner group, prefix or ``Name to`` phrase."""
        if found is not None:
            self.names.extend(found.names)
            self.tentative.extend(found.tentative)


def leading_names(text: str) -> Names | None:
    """Owners of ``Name to <verb>`` / ``Name will <verb>`` / ``A & B to …`` starting ``text``."""
    head = text[:72]
    if " to " not in head and " will " not in head:
        return None
    match = _NAME_TO.match(text)
    if match is None or match.group("verb").casefold() in _NOT_VERBS:
        return None
    return parse_names(match.group("names"), explicit=False, before_verb=True)


def handles_in(scan: str) -> list[str]:
    """Every ``@handle`` in a paragraph's scan view (code is masked there, link targets absent)."""
    if "@" not in scan:
        return []
    return ["@" + match.group(1) for match in HANDLE.finditer(scan)]


@dataclass(frozen=True, slots=True)
class Owners:
    """An item's ``owners`` (as written), ``assignees`` (logins) and ``unresolved`` names."""

    owners: tuple[str, ...]
    assignees: tuple[str, ...]
    unresolved: tuple[str, ...]


def resolve_owners(notes: OwnerNotes, roll_call: RollCall) -> Owners:
    """Resolve collected owners against the file's roll call (then the ``people`` setting).

    A ``@handle`` is its own login. A tentative (lower-case) name counts only when it
    resolves. A closing parenthesis of names counts only when every entry resolves.
    """
    if not (notes.names or notes.tentative or notes.trailing or notes.handles):
        return NOBODY
    owners: list[str] = []
    logins: list[str] = []
    unresolved: list[str] = []

    def take(name: str, login: str | None) -> None:
        owners.append(name)
        if login is None:
            unresolved.append(name)
        else:
            logins.append(login)

    for name in notes.names:
        take(name, handle_login(name) or roll_call.resolve(name))
    for name in notes.tentative:
        login = roll_call.resolve(name)
        if login is not None:
            take(name, login)
    if notes.trailing is not None:
        entries = [*notes.trailing.names, *notes.trailing.tentative]
        resolved = [handle_login(name) or roll_call.resolve(name) for name in entries]
        if entries and all(resolved):
            for name, login in zip(entries, resolved, strict=True):
                take(name, login)
    for handle in notes.handles:
        take(handle, handle_login(handle))
    return Owners(_unique(owners), _unique_logins(logins), _unique(unresolved))


#: No owners at all.
NOBODY = Owners((), (), ())


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return tuple(seen.values())


def _unique_logins(values: Iterable[str]) -> tuple[str, ...]:
    return _unique(value.lstrip("@") for value in values)
