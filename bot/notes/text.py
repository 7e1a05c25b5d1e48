"""Plain-text helpers for items: titles, done and link notes at the end of an item."""

from __future__ import annotations

import re

TITLE_LIMIT = 100
#: Closing notes are looked for in this many last characters (items can be huge).
_TAIL = 300
_TRAILING_DONE = re.compile(
    r"(?:\s+[-–—]+\s*(?i:done|completed)|\s*[(\[](?i:done|completed)[)\]]|\s+(?:DONE|COMPLETED))"
    r"[.!]*\s*$"
)
_DONE_ENDINGS = ("done", "Done", "DONE", "completed", "Completed", "COMPLETED", ")", "]")
_TRAILING_ISSUE = re.compile(
    r"\(\s*(?:#(?P<number>\d+)|https?://[^\s()]+/issues/(?P<url_number>\d+)[^\s()]*)\s*\)[.!]?\s*$"
)
_TRAILING_PARENS = re.compile(r"\((?P<inner>[^()]{1,80})\)[.!]?\s*$")
_ISSUE_URL = re.compile(r"^https?://[^\s]+/issues/(\d+)(?:[/?#]\S*)?$")


def squash(text: str) -> str:
    """``text`` with runs of whitespace as one space, trimmed."""
    return " ".join(text.split())


def shorten(text: str, limit: int = TITLE_LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters on a word boundary, with "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def split_trailing_done(text: str) -> tuple[str, bool]:
    """``text`` without a closing done note (``- Done``, ``(done)``, ``**COMPLETED**``)."""
    if not text.rstrip(".! ").endswith(_DONE_ENDINGS):
        return text, False
    match = _TRAILING_DONE.search(text, max(0, len(text) - _TAIL))
    if match is None:
        return text, False
    return text[: match.start()], True


def trailing_issue(text: str) -> tuple[str, int | None]:
    """A closing ``(#123)`` or parenthesised issue URL: the text before it and the number."""
    if not text.rstrip(".! ").endswith(")"):
        return text, None
    match = _TRAILING_ISSUE.search(text, max(0, len(text) - _TAIL))
    if match is None:
        return text, None
    return text[: match.start()], int(match.group("number") or match.group("url_number"))


def trailing_parenthesis(text: str) -> tuple[str, str | None]:
    """A parenthesis closing ``text`` (``… went (Tim, Min)``): the text before it and its inside."""
    if not text.rstrip(".! ").endswith(")"):
        return text, None
    match = _TRAILING_PARENS.search(text, max(0, len(text) - _TAIL))
    if match is None:
        return text, None
    return text[: match.start()], match.group("inner")


def issue_number(href: str) -> int | None:
    """The issue number of a link target such as ``https://github.com/o/r/issues/94``."""
    match = _ISSUE_URL.match(href)
    return int(match.group(1)) if match else None
