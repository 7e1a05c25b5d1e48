"""An item's body: its Markdown, sliced from the notes, dedented, with its context."""

from __future__ import annotations

import re
from collections.abc import Sequence

_QUOTE = re.compile(r" {0,3}> ?")
_LIST_MARKER = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_BOX = re.compile(r"\[[ xX]\][ \t]+")
CONTEXT_SEPARATOR = " › "


def paragraph_body(source: str) -> str:
    """The body of a paragraph alone: its Markdown source, each line's indentation removed
    (indentation inside a paragraph means nothing in Markdown)."""
    return "\n".join(line.lstrip(" \t") for line in source.split("\n"))


def paragraph_lines(lines: Sequence[str], first: int, count: int) -> str:
    """Lines ``first``..``first + count`` of a paragraph's source lines: an item that starts on
    a later line of a paragraph (``Notes…\nTODO: x``) carries only its own lines."""
    return paragraph_body("\n".join(lines[first : first + count]).strip())


def list_item_body(lines: Sequence[str], start: int, end: int, first: str, quotes: int) -> str:
    """The Markdown of a list item (lines ``start``..``end``), without its bullet and task box.

    ``first`` is the first line of the item's first paragraph as markdown-it read it;
    it locates where the item's content starts on its first line, and so how much to
    dedent the item's other lines. ``quotes`` is how many block quotes enclose it.
    """
    chunk = list(lines[start:end])
    while chunk and not chunk[-1].strip():
        chunk.pop()
    if not chunk:
        return first
    head = _expand_indent(_unquote(chunk[0], quotes))
    column = head.find(first) if first else -1
    if column < 0:
        marker = _LIST_MARKER.match(head)
        column = marker.end() if marker else len(head) - len(head.lstrip())
    indent = len(head[:column].expandtabs(4))
    out = [_BOX.sub("", head[column:], count=1)]
    for line in chunk[1:]:
        line = _expand_indent(_unquote(line, quotes))
        out.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
    return "\n".join(out)


def with_context(markdown: str, context: Sequence[str]) -> str:
    """``markdown`` followed by a ``Context: Heading › Sub › parent bullet`` line."""
    parts = [part for part in context if part]
    if not parts:
        return markdown
    return f"{markdown}\n\nContext: {CONTEXT_SEPARATOR.join(parts)}"


def _expand_indent(line: str) -> str:
    """``line`` with tabs in its indentation expanded (CommonMark tab stops are 4 wide)."""
    body = line.lstrip(" \t")
    indent = line[: len(line) - len(body)]
    return indent.expandtabs(4) + body if "\t" in indent else line


def _unquote(line: str, quotes: int) -> str:
    for _ in range(quotes):
        match = _QUOTE.match(line)
        if match is None:
            break
        line = line[match.end() :]
    return line
