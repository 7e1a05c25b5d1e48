"""One pass over markdown-it's token stream: where items may be, and the roll call.

The walk tracks the heading path, action sections (``## Action items`` up to the
next heading of the same or a higher level), containers (block quotes, lists, list
items) and header paragraphs (``Action items:`` followed by a list). It yields a
:class:`Candidate` for every paragraph that is an item by position (structural) or
might start with a marker; :mod:`bot.notes.assemble` decides the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it.token import Token

from bot.notes.inline import render_inline
from bot.notes.markers import Grammar
from bot.notes.rollcall import roll_call_entries
from bot.notes.text import squash

_BOX_SOURCE = re.compile(r"\[[ xX]\][ \t]*\S")
_LIST_OPEN = frozenset({"bullet_list_open", "ordered_list_open"})
_CLOSE = frozenset(
    {"bullet_list_close", "ordered_list_close", "list_item_close", "blockquote_close"}
)
#: Headings that name a part of the page, not the meeting.
_NOT_TITLES = frozenset({"table of contents", "contents", "toc", "agenda"})
#: Header paragraphs are short; longer paragraphs are not worth rendering to check.
_HEADER_MAX_SOURCE = 48


@dataclass(frozen=True, slots=True)
class Candidate:
    """A paragraph that may be an action item, with what its item would need.

    ``item_lines`` is the list item's line range (0-based, end exclusive, in the
    Markdown body) when the paragraph opens a list item; None for a paragraph alone.
    ``parents`` are the first-paragraph inline tokens of the enclosing list items.
    """

    inline: Token
    structural: bool
    item_lines: tuple[int, int] | None
    quote_depth: int
    headings: tuple[str, ...]
    parents: tuple[Token, ...]


@dataclass(frozen=True, slots=True)
class Outline:
    """What the walk found in one file."""

    candidates: list[Candidate]
    roll_call: list[tuple[str, str]]
    first_heading: str | None


@dataclass(slots=True)
class _ListItem:
    first: int
    lines: tuple[int, int] | None
    in_item_list: bool
    inline: Token | None = None
    header: bool = False


@dataclass(slots=True)
class _List:
    items_are_items: bool


@dataclass(slots=True)
class _Walk:
    grammar: Grammar
    boxes_anywhere: bool
    stack: list[_ListItem | _List | None] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)
    heading_path: tuple[str, ...] = ()
    action_level: int = 0
    header_list_at: int = -1
    item_depth: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    roll_call: list[tuple[str, str]] = field(default_factory=list)
    first_heading: str | None = None


def walk(tokens: list[Token], grammar: Grammar, *, boxes_anywhere: bool) -> Outline:
    """Walk ``tokens`` (one parse of a file's Markdown body) once."""
    state = _Walk(grammar, boxes_anywhere)
    row: list[str] | None = None
    for index, tok in enumerate(tokens):
        kind = tok.type
        if kind == "inline":
            if row is not None:
                row.append(tok.content)
        elif kind == "paragraph_open":
            _paragraph(state, tokens, index)
        elif kind == "paragraph_close":
            continue
        elif kind == "list_item_open":
            parent = state.stack[-1] if state.stack else None
            lines = (tok.map[0], tok.map[1]) if tok.map else None
            items_are_items = isinstance(parent, _List) and parent.items_are_items
            state.stack.append(_ListItem(index + 1, lines, items_are_items))
            state.item_depth += 1
        elif kind in _LIST_OPEN:
            parent = state.stack[-1] if state.stack else None
            header = index == state.header_list_at or (
                isinstance(parent, _ListItem) and parent.header
            )
            section = state.action_level > 0 and state.item_depth == 0
            state.stack.append(_List(header or section))
        elif kind in _CLOSE:
            if state.stack and isinstance(state.stack.pop(), _ListItem):
                state.item_depth -= 1
        elif kind == "blockquote_open":
            state.stack.append(None)
        elif kind == "heading_open":
            _heading(state, tok, tokens[index + 1])
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            if any("@" in cell for cell in row):
                state.roll_call.extend(roll_call_entries(" | ".join(row)))
            row = None
    return Outline(state.candidates, state.roll_call, state.first_heading)


def _heading(state: _Walk, tok: Token, inline: Token) -> None:
    level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 6
    text = squash(render_inline(inline.children).plain)
    if state.first_heading is None and text and text.casefold() not in _NOT_TITLES:
        state.first_heading = text
    while state.headings and state.headings[-1][0] >= level:
        state.headings.pop()
    state.headings.append((level, text))
    state.heading_path = tuple(text for _, text in state.headings)
    if state.action_level and level <= state.action_level:
        state.action_level = 0
    if state.grammar.is_action_heading(text):
        state.action_level = level


def _paragraph(state: _Walk, tokens: list[Token], index: int) -> None:
    inline = tokens[index + 1]
    source = inline.content
    if "@" in source:
        state.roll_call.extend(roll_call_entries(source))
    parent = state.stack[-1] if state.stack else None
    item = parent if isinstance(parent, _ListItem) else None
    opens_item = item is not None and item.first == index
    if item is not None and opens_item:
        item.inline = inline
    grammar = state.grammar
    maybe_marker = grammar.might_hold_marker(source)
    if (
        maybe_marker
        and len(source) <= _HEADER_MAX_SOURCE
        and grammar.is_header(render_inline(inline.children).scan)
    ):
        if item is not None and opens_item:
            item.header = True
        after = tokens[index + 3] if index + 3 < len(tokens) else None
        if after is not None and after.type in _LIST_OPEN and after.level == tokens[index].level:
            state.header_list_at = index + 3
        return
    if item is not None and not opens_item:
        return  # a later paragraph of a list item is part of that item, never an item itself
    structural = item is not None and (
        item.in_item_list or (state.boxes_anywhere and _BOX_SOURCE.match(source) is not None)
    )
    if not structural and not maybe_marker:
        return
    quote_depth = 0
    parents: list[Token] = []
    for frame in state.stack:
        if frame is None:
            quote_depth += 1
        elif isinstance(frame, _ListItem) and frame is not item and frame.inline is not None:
            parents.append(frame.inline)
    state.candidates.append(
        Candidate(
            inline=inline,
            structural=structural,
            item_lines=item.lines if item is not None else None,
            quote_depth=quote_depth,
            headings=state.heading_path,
            parents=tuple(parents),
        )
    )
