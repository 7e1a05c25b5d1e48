"""YAML front matter: split it off without losing line numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = re.compile(r"---[ \t]*\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class FrontMatter:
    """A notes file split into its front matter and its Markdown body.

    ``line_offset`` is the number of lines before the body, so a body line ``n``
    (0-based) is line ``n + line_offset + 1`` of the file.
    """

    body: str
    line_offset: int = 0
    metadata: Mapping[str, Any] = field(default_factory=dict)
    warning: str | None = None


def split_front_matter(text: str) -> FrontMatter:
    """Split ``text`` into front matter (a ``---`` fenced YAML block at the very top) and body.

    Broken YAML gives a warning and empty metadata; the body is still the text after
    the closing fence, so line numbers stay right. A leading ``---`` without a closing
    fence is a thematic break, not front matter.
    """
    opening = _OPEN.match(text)
    if opening is None:
        return FrontMatter(body=text)
    closing = _CLOSE.search(text, opening.end())
    if closing is None:
        return FrontMatter(body=text)
    end = closing.end()
    if text.startswith("\n", end):
        end += 1
    offset = text.count("\n", 0, end)
    body = text[end:]
    last_line = offset if text.endswith("\n", 0, end) else offset + 1
    try:
        data = yaml.load(text[opening.end() : closing.start()], Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        return FrontMatter(
            body=body,
            line_offset=offset,
            warning=(
                f"front matter (lines 1-{last_line}) is not valid YAML: {problem}{where}; "
                "it was ignored and the rest was read as notes"
            ),
        )
    if data is None:
        return FrontMatter(body=body, line_offset=offset)
    if not isinstance(data, dict):
        return FrontMatter(
            body=body,
            line_offset=offset,
            warning=f"front matter (lines 1-{last_line}) is not a mapping of keys; it was ignored",
        )
    return FrontMatter(body=body, line_offset=offset, metadata=data)
