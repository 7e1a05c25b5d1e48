"""The roll call of a notes file: who was there, and their GitHub logins.

Lines such as ``Tim / Wild Tree Tech / @betatim``, ``Min RK | Simula | @minrk``,
``Min (he/him) / @minrk / BIDS``, ``Matt Fisher / `@mfisher87` / DSE`` and entries
such as ``Melissa Mendonça (@melissawm)``. A field without ``@`` is not a handle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
_PARENS = re.compile(r"\([^()]*\)")
_FIELD_SEPARATOR = re.compile(r"\s*(?:\||(?<![:/])/(?!/))\s*")
_FIELD_HANDLE = re.compile(
    r"[\s(`*_\\]*@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})(?![\w@.])"
)
_NAME_DECORATION = re.compile(r"\[name=|[*_~`\[\]]|^\s*name\s*=\s*", re.IGNORECASE)
_NAME = re.compile(r"[^\W\d_][\w.'’-]*(?: [^\W\d_][\w.'’-]*){0,4}")
_ENTRY = re.compile(
    r"(?P<name>[A-ZÀ-ÖØ-Þ][\w.'’-]*(?: [A-ZÀ-ÖØ-Þ][\w.'’-]*){0,3})[ \t]*(?:\[[^\]\n]*\][ \t]*)?"
    r"\([ \t]*\\?@(?P<login>[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})[ \t]*\)"
)


def roll_call_entries(source: str) -> list[tuple[str, str]]:
    """(name, login) pairs in a paragraph's or table row's Markdown source."""
    if "@" not in source:
        return []
    entries: list[tuple[str, str]] = []
    for line in source.split("\n"):
        if "@" not in line:
            continue
        entry = _field_entry(line)
        if entry is not None:
            entries.append(entry)
        elif "(" in line:
            entries.extend(
                (m.group("name"), m.group("login"))
                for m in _ENTRY.finditer(line)
                if _is_name(m.group("name"))
            )
    return entries


def _field_entry(line: str) -> tuple[str, str] | None:
    """``Name / affiliation / @handle`` (or ``|`` separated); the name is the first field."""
    if "/" not in line and "|" not in line:
        return None
    line = _LIST_MARKER.sub("", line).strip().strip("|")
    masked = _PARENS.sub(lambda m: m.group().replace("/", " ").replace("|", " "), line)
    fields = _FIELD_SEPARATOR.split(masked)
    if len(fields) < 2:
        return None
    name = _NAME_DECORATION.sub("", _PARENS.sub("", fields[0])).strip()
    if not _is_name(name):
        return None
    for field in fields[1:]:
        match = _FIELD_HANDLE.match(field)
        if match:
            return name, match.group(1)
    return None


def _is_name(text: str) -> bool:
    return bool(_NAME.fullmatch(text)) and text.casefold() not in {"name", "your name"}


class RollCall:
    """Names to logins, from a file's roll call, then from the ``people`` setting."""

    def __init__(self, entries: Iterable[tuple[str, str]], people: Mapping[str, str]) -> None:
        self._logins: dict[str, dict[str, str]] = {}
        for name, login in entries:
            full = " ".join(name.split()).casefold()
            for key in {full, full.split(" ", 1)[0]}:
                self._logins.setdefault(key, {}).setdefault(login.casefold(), login)
        self._people = {" ".join(k.split()).casefold(): v.lstrip("@") for k, v in people.items()}

    def resolve(self, name: str) -> str | None:
        """The login for ``name``: one roll-call login, else the ``people`` map, else None.

        A name matches a roll-call entry's whole name or its first word, ignoring case;
        a name that matches entries with different logins is not resolved by the roll call.
        """
        key = " ".join(name.split()).casefold()
        logins = self._logins.get(key)
        if logins is not None and len(logins) == 1:
            return next(iter(logins.values()))
        return self._people.get(key)
