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

from collections.abc import Sequence
from dataclasses import dataclass

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

_SCAN_MARK = {
    "em_open": EM_OPEN,
    "strong_open": EM_OPEN,
    "em_close": EM_CLOSE,
    "strong_close": EM_CLOSE,
    "s_open": STRIKE_OPEN,
    "s_close": STRIKE_CLOSE,
    "link_close": LINK_CLOSE,
}


@dataclass(frozen=True, slots=True)
class InlineText:
    """The views of one inline run (a paragraph's or a heading's text)."""

    plain: str
    scan: str
    hrefs: tuple[str, ...]

    def plain_index(self, scan_index: int) -> int:
        """The position in ``plain`` of position ``scan_index`` in ``scan``."""
        head = self.scan[:scan_index]
        return len(head.translate(_DROP_SENTINELS))


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
