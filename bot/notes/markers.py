"""Marker words (``TODO:``, ``Action item:``, ``AI(name):``), header words and action headings.

Patterns run on an inline run's ``scan`` view (see :mod:`bot.notes.inline`), where
emphasis and link boundaries are sentinel characters and code text is masked, so a
marker inside a code span never matches and "wrapped in emphasis" is visible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.notes.inline import CLOSERS, CODE, LINK_CLOSE, LINK_OPEN, OPENERS
from bot.notes.names import Names, parse_names
from bot.settings import Settings

_F = "[\x01\x02\x03\x05\x0e\x0f]*"
#: Around a marker, also literal ``*``/``_`` that markdown-it left as text: Google Docs
#: exports write ``**AI: **Discuss …`` and ``_Action item _(Greg)_:_``.
_LEAD = "(?:[\x01\x02\x03\x05\x0e\x0f]|[*_]{1,3})*"
_CLOSE = "(?:[\x01\x02\x03\x05\x0e\x0f]|[ \t]*[*_]{1,3}(?=[ \t(:\x01-\x0f])|[ \t]+\x01(?=\\())*"
_AFTER_COLON = "(?:[\x01\x02\x03\x05\x0e\x0f]|[ \t]*\\*{1,3}(?![*\\s])|[ \t]*_{1,3}(?=\\s))*"
_ACTION = r"(?:ACTION|Action)(?:[ \t]+(?:ITEM|[Ii]tem|POINT|[Pp]oint))?"
_TODO = r"(?i:todo)"
#: Marker words that may be followed by a colon-less closing emphasis (``**Action item** Tim to``).
_CLOSED_WITHOUT_COLON = re.compile(r"(?i:todo|action[ \t]+(?:item|point))|ACTION")
_HEADER_WORDS = r"(?i:action[ \t]+items?|action[ \t]+points?|actions?|next[ \t]+actions?|todos?)|AI"
_HEADING_NUMBER = re.compile(r"^[\W_]*(?:(?:[IVXLCDM]+|\d+(?:\.\d+)*|[A-Za-z])[.)]\s+|\d+\s+)?")
_HEADING_TAIL = re.compile(r"\s*(?:\([^()]*\))?\s*:?\s*$")
_SPACES = re.compile(r"\s+")
_ACTION_HEADINGS = frozenset(
    {
        "action item", "action items", "action point", "action points", "next action",
        "next actions", "todo", "todos", "to do", "to-do", "to dos", "to-dos",
    }
)  # fmt: skip
_BOX = re.compile(r"[ \t]*\[([ xX])\](?=\s|$)[ \t]*")
_DONE_MARK = re.compile(
    "[ \t]*(?:✅|✔️?|☑️?|:white_check_mark:|:heavy_check_mark:|:ballot_box_with_check:)[ \t]*"
)
_PREFIX = re.compile(
    rf"(?P<lead>{_F})[ \t]*(?:\[name=(?P<hackmd>[^\]\n]{{1,60}})\]"
    r"|\[(?P<bracket>[^\]\[\n\x01-\x0f]{1,60})\]"
    rf"|[*_]{{0,2}}(?P<plain>[^:\n()\[\]*\x01-\x0f]{{1,60}}?)(?P<close>{_F})[ \t]*:(?P<after>{_F})"
    r"(?:[ \t]*[*_]{1,2}(?=\S))?)[ \t]*"
)
#: ``AI: (Jim) review``: an owner group after the colon.
_GROUP_AFTER = re.compile(r"[ \t]*\((?P<names>[^()\n]{1,60})\)[ \t]+")
#: ``AI -- Derek -- amendment language``: a name and a dash right after a marker.
_DASH_PREFIX = re.compile(
    r"[ \t]*(?P<plain>[^:\n()\[\]*\x01-\x0f–—-]{1,40}?)[ \t]+(?:--?|–|—|->)[ \t]+"
)
_SEPARATOR = re.compile(r"[\s\x01\x02\x03\x05\x0e\x0f]*(?:(?::|--?|–|—)(?=\s)\s*)*")
_TEXT = re.compile(f"[^\\W_]|{CODE}")
#: Lines that might start with a marker hold one of these within their first 60 characters.
_PREFILTER = r"(?i:todo|action)|AI"


@dataclass(frozen=True, slots=True)
class Lead:
    """How an item's first paragraph starts: task box, owner prefixes, marker, owner group.

    ``start`` is the position in the ``scan`` view where the item's own text begins.
    """

    start: int
    box: str | None = None
    done_mark: bool = False
    marker: str | None = None
    marker_link: int | None = None
    group: Names | None = None
    prefixes: tuple[Names, ...] = ()


@dataclass(frozen=True, slots=True)
class _Marker:
    end: int
    word: str
    link: int | None
    group: Names | None
    names: Names | None


@dataclass(frozen=True)
class Grammar:
    """The compiled patterns for one set of settings (extra markers and headings)."""

    marker: re.Pattern[str]
    bracket: re.Pattern[str]
    bare_names: re.Pattern[str]
    header: re.Pattern[str]
    needles: tuple[str, ...]
    line_hint: re.Pattern[str]
    action_headings: frozenset[str]

    def is_action_heading(self, text: str) -> bool:
        """Whether a heading's plain text opens an action section (``## Action items``)."""
        return normalise_heading(text) in self.action_headings

    def is_header(self, scan: str) -> bool:
        """Whether a paragraph's text is only a header word (``Action items:``, ``**TODOs**``)."""
        match = self.header.fullmatch(scan)
        if match is None:
            return False
        if match.group("colon"):
            return True
        return _wrapped(match.group("lead"), match.group("close1") + match.group("close2"))

    def might_hold_marker(self, source: str) -> bool:
        """A cheap test on a paragraph's Markdown source: could a line of it start with a marker?

        Plain substring tests: this runs on every paragraph, and is several times
        faster than a case-insensitive pattern.
        """
        if "AI" in source:
            return True
        lowered = source.lower()
        return any(needle in lowered for needle in self.needles)

    def marker_lines(self, scan: str, end: int) -> list[int]:
        """Starts of the lines after the first, up to ``end``, that might begin with a marker."""
        starts = []
        newline = scan.find("\n", 0, end)
        while newline >= 0:
            if self.line_hint.match(scan, newline + 1):
                starts.append(newline + 1)
            newline = scan.find("\n", newline + 1, end)
        return starts

    def parse_lead(
        self, scan: str, *, structural: bool, start: int = 0, end: int | None = None
    ) -> Lead | None:
        """Read the start of an item: the paragraph's, or a line's at ``start``.

        Marker items need a marker (after an optional task box and owner prefix);
        ``structural`` items (in an action section, under a header, a task box) do not.
        None when the text is not an item that way, or has no text (before ``end``)
        after its lead.
        """
        pos = start
        box = None
        match = _BOX.match(scan, pos)
        if match:
            box = match.group(1).lower()
            pos = match.end()
        done_mark = False
        match = _DONE_MARK.match(scan, pos)
        if match:
            done_mark = True
            pos = match.end()
        prefixes: list[Names] = []
        marker = self._marker_at(scan, pos)
        if marker is None:
            prefix = _prefix_at(scan, pos)
            if prefix is not None:
                marker = self._marker_at(scan, prefix[1])
                if marker is not None or structural:
                    prefixes.append(prefix[0])
                    pos = prefix[1]
        if marker is None and not structural:
            return None
        if marker is not None:
            pos = marker.end
            if marker.names is not None:
                prefixes.append(marker.names)
            after = _owner_after_marker(scan, pos)
            if after is not None:
                prefixes.append(after[0])
                pos = after[1]
        pos = _SEPARATOR.match(scan, pos).end()  # type: ignore[union-attr]
        if not _has_text(scan, pos, len(scan) if end is None else end):
            return None
        return Lead(
            start=pos,
            box=box,
            done_mark=done_mark,
            marker=marker.word if marker else None,
            marker_link=marker.link if marker else None,
            group=marker.group if marker else None,
            prefixes=tuple(prefixes),
        )

    def _marker_at(self, scan: str, pos: int) -> _Marker | None:
        if scan.startswith("[", pos):
            return self._bracket_marker_at(scan, pos)
        match = self.marker.match(scan, pos)
        if match is None:
            return None
        lead = match.group("lead")
        closers = match.group("wclose") + match.group("gclose") + match.group("sclose")
        link = None
        if LINK_OPEN in lead and LINK_CLOSE in match.group("wclose"):
            link = scan.count(LINK_OPEN, 0, match.end("lead")) - 1
        group = None
        group_text = match.group("group") or match.group("bgroup")
        if group_text is not None:
            group = parse_names(group_text, explicit=True, issues=True)
            if group is None:
                return self._bare_names_at(scan, pos)
        word = match.group("word")
        has_colon = bool(match.group("sep").strip())
        closed = _wrapped(lead, closers) and _CLOSED_WITHOUT_COLON.fullmatch(word) is not None
        after = scan[match.end() : match.end() + 1]
        bare_todo = group is None and word == "TODO" and after.isspace()
        if not (has_colon or closed or bare_todo):
            return self._bare_names_at(scan, pos)
        return _Marker(match.end(), _canonical(word), link, group, None)

    def _bare_names_at(self, scan: str, pos: int) -> _Marker | None:
        """``AI Aaron: …`` and ``**AI Eric Holk** …``: names right after the marker word."""
        match = self.bare_names.match(scan, pos)
        if match is None:
            return None
        closed = _wrapped(match.group("lead"), match.group("close") or "")
        if not match.group("colon") and not match.group("dash") and not closed:
            return None
        names = parse_names(match.group("names"), explicit=False)
        if names is None or names.tentative or not names.names:
            return None
        return _Marker(match.end(), _canonical(match.group("word")), None, None, names)

    def _bracket_marker_at(self, scan: str, pos: int) -> _Marker | None:
        """``[AI]``, ``[ACTION] …``, ``[AI - James] …``: a marker in square brackets."""
        match = self.bracket.match(scan, pos)
        if match is None:
            return None
        names = None
        if match.group("names"):
            names = parse_names(match.group("names"), explicit=True)
            if names is None:
                return None
        return _Marker(match.end(), _canonical(match.group("word")), None, None, names)


def _prefix_at(scan: str, pos: int, *, allow_brackets: bool = True) -> tuple[Names, int] | None:
    """An owner prefix (``**Chris:**``, ``Matti:``, ``[nikhita]``, ``[name=rossbar]``) at pos."""
    match = _PREFIX.match(scan, pos)
    if match is None:
        return None
    if match.group("hackmd") is not None:
        names = parse_names(match.group("hackmd"), explicit=True)
    elif match.group("bracket") is not None:
        if not allow_brackets:
            return None
        names = parse_names(match.group("bracket"), explicit=True)
    else:
        names = parse_names(match.group("plain"), explicit=False)
        if names is not None and names.tentative:
            names = None
    return None if names is None else (names, match.end())


def _owner_after_marker(scan: str, pos: int) -> tuple[Names, int] | None:
    """``AI: Jennifer: will cover``, ``AI -- Derek -- text``, ``TODO [Allan] write``."""
    window = scan[pos : pos + 72]
    if window.lstrip(" \t").startswith("("):
        group = _GROUP_AFTER.match(scan, pos)
        names = parse_names(group.group("names"), explicit=True) if group else None
        if group is not None and names is not None and names.names:
            return names, group.end()
    if ":" in window or "]" in window:
        found = _prefix_at(scan, pos)
        if found is not None:
            return found
    if "-" in window or "–" in window or "—" in window:
        return _dash_prefix_at(scan, pos)
    return None


def _dash_prefix_at(scan: str, pos: int) -> tuple[Names, int] | None:
    match = _DASH_PREFIX.match(scan, pos)
    if match is None:
        return None
    names = parse_names(match.group("plain"), explicit=False)
    if names is None or names.tentative or not names.names:
        return None
    return names, match.end()


def _wrapped(lead: str, closers: str) -> bool:
    if not lead or not closers:
        return False
    return any(c in OPENERS for c in lead) and any(c in CLOSERS for c in closers)


def _has_text(scan: str, pos: int, end: int) -> bool:
    return _TEXT.search(scan, pos, end) is not None


def _canonical(word: str) -> str:
    return word if " " not in word and "\t" not in word else " ".join(word.split())


def normalise_heading(text: str) -> str:
    """A heading's text without numbering (``V.``), a closing ``(…)`` or colon; casefolded."""
    text = _HEADING_NUMBER.sub("", text, count=1)
    text = _HEADING_TAIL.sub("", text, count=1)
    return _SPACES.sub(" ", text).strip().casefold()


def grammar_for(settings: Settings) -> Grammar:
    """The patterns for ``settings`` (cached: settings are few and immutable)."""
    return _compile(tuple(settings.markers), tuple(settings.action_headings))


@lru_cache(maxsize=32)
def _compile(markers: tuple[str, ...], headings: tuple[str, ...]) -> Grammar:
    extra = [m.strip() for m in sorted(markers, key=len, reverse=True) if m.strip()]
    extra_words = "".join(f"(?i:{re.escape(word)})|" for word in extra)
    words = f"(?:{extra_words}{_ACTION}|{_TODO}|AI)(?!\\w)"
    marker = re.compile(
        rf"(?P<lead>{_LEAD})(?P<word>{words})(?P<wclose>{_CLOSE})"
        r"(?:[ \t]*\((?P<group>[^()\n]{1,80})\)|[ \t]*\[(?P<bgroup>[^\[\]\n]{1,80})\](?=[ \t]*:))?"
        rf"(?P<gclose>{_CLOSE})(?P<sep>[ \t]*:|[ \t]+(?:--?|–|—)(?=[ \t])|)"
        rf"(?P<sclose>{_AFTER_COLON})"
    )
    bracket = re.compile(
        rf"\[{_F}(?P<word>{words}){_F}(?:[ \t]*[-–:]?[ \t]*(?P<names>[^\]\n]{{1,40}}))?\]"
        r"[ \t]*:?"
    )
    bare_names = re.compile(
        rf"(?P<lead>{_F})(?P<word>{words})[ \t]+(?P<names>[^:()\n\x01-\x0f]{{1,40}}?)"
        r"(?:(?P<close>[\x02\x05\x0f]+)[ \t]*:?|[ \t]*(?P<colon>:)|[ \t]+(?P<dash>--?|–|—)[ \t]+)"
    )
    header = re.compile(
        rf"[ \t]*(?P<lead>{_F})[ \t]*(?:{extra_words}{_HEADER_WORDS})(?!\w)(?P<close1>{_F})"
        rf"[ \t]*(?P<colon>:?)(?P<close2>{_F})[ \t]*"
    )
    needles = ("todo", "action", *(word.lower() for word in extra))
    prefilter = "".join(f"(?i:{re.escape(word)})|" for word in extra) + _PREFILTER
    line_hint = re.compile(rf"[^\n]{{0,60}}?(?:{prefilter})")
    action_headings = _ACTION_HEADINGS | {normalise_heading(h) for h in headings if h.strip()}
    return Grammar(
        marker, bracket, bare_names, header, needles, line_hint, frozenset(action_headings)
    )
