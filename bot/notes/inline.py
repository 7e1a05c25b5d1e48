"""Inline Markdown (markdown-it inline tokens) to plain text, without re-rendering.

Two aligned views are built in one pass over the tokens:

- ``plain``: what a reader sees (emphasis dropped, links become their text, escapes
  resolved, code spans keep their text, inline HTML tags dropped, line breaks kept as
  ``\n`` so an item can start on a later line of a paragraph);
- ``scan``: the same text with formatting boundaries marked by sentinel characters
  and code-span text masked, so patterns can see where emphasis and links start
  and end, and never match inside code.

Every sentinel is one extra character in ``scan``; masked code keeps its length. So
a position in ``scan`` maps to ``plain`` by subtracting the sentinels before it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence

from markdown_it.token import Token

EM_OPEN = "\x01"
EM_CLOSE = "\x02"
LINK_OPEN = "\x03"
LINK_CLOSE = "\x05"
STRIKE_OPEN = "\x0e"
STRIKE_CLOSE = "\x0f"
CODE = "\x1a"
SENTINELS = EM_OPEN + EM_CLOSE + LINK_OPEN + LINK_CLOSE + STRIKE_OPEN + STRIKE_CLOSE
OPENERS = EM_OPEN + LINK_OPEN + STRIKE_OPEN
CLOSERS = EM_CLOSE + LINK_CLOSE + STRIKE_CLOSE
_DROP_SENTINELS = str.maketrans("", "", SENTINELS)
_SENTINEL = re.compile(f"[{SENTINELS}]")
_BREAK = re.compile("\n")

_SCAN_MARK = {
    "em_open": EM_OPEN,
    "strong_open": EM_OPEN,
    "em_close": EM_CLOSE,
    "strong_close": EM_CLOSE,
    "s_open": STRIKE_OPEN,
    "s_close": STRIKE_CLOSE,
    "link_close": LINK_CLOSE,
}


class InlineText:
    """The views of one inline run (a paragraph's or a heading's text)."""

    __slots__ = ("_breaks", "_marks", "hrefs", "plain", "scan")

    def __init__(self, plain: str, scan: str, hrefs: tuple[str, ...]) -> None:
        self.plain = plain
        self.scan = scan
        self.hrefs = hrefs
        self._marks: list[int] | None = None
        self._breaks: list[int] | None = None

    def plain_index(self, scan_index: int) -> int:
        """The position in ``plain`` of position ``scan_index`` in ``scan``."""
        if self._marks is None:
            # Found once per paragraph, so that many items in one paragraph stay linear.
            self._marks = [m.start() for m in _SENTINEL.finditer(self.scan)]
        return scan_index - bisect_left(self._marks, scan_index)

    def line_of(self, scan_index: int) -> int:
        """How many line breaks come before position ``scan_index`` (0 on the first line)."""
        if self._breaks is None:
            self._breaks = [m.start() for m in _BREAK.finditer(self.scan)]
        return bisect_left(self._breaks, scan_index)


def render_inline(children: Sequence[Token] | None) -> InlineText:
    """Plain and scan views of an inline token's children."""
    plain: list[str] = []
    scan: list[str] = []
    hrefs: list[str] = []
    for tok in children or ():
        kind = tok.type
        if kind == "text":
            plain.append(tok.content)
            scan.append(tok.content)
        elif kind == "softbreak" or kind == "hardbreak":
            plain.append("\n")
            scan.append("\n")
        elif kind == "code_inline":
            plain.append(tok.content)
            scan.append(CODE * len(tok.content))
        elif kind == "link_open":
            scan.append(LINK_OPEN)
            hrefs.append(str(tok.attrs.get("href", "")))
        elif kind in _SCAN_MARK:
            scan.append(_SCAN_MARK[kind])
        elif kind == "image":
            plain.append(tok.content)
            scan.append(tok.content)
        elif kind == "html_inline":
            # Dropped, but its line breaks are kept so lines can still be counted.
            breaks = "\n" * tok.content.count("\n")
            plain.append(breaks)
            scan.append(breaks)
        elif tok.content:
            plain.append(tok.content)
            scan.append(tok.content)
    return InlineText("".join(plain), "".join(scan), tuple(hrefs))


def strip_sentinels(text: str) -> str:
    """``text`` without formatting sentinels."""
    return text.translate(_DROP_SENTINELS)
