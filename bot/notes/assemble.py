"""From candidate paragraphs to :class:`~bot.notes.model.ActionItem` objects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from markdown_it.token import Token

from bot.notes.body import list_item_body, paragraph_body, paragraph_lines, with_context
from bot.notes.inline import InlineText, render_inline
from bot.notes.keys import item_key
from bot.notes.markers import Grammar, Lead, normalise_heading
from bot.notes.model import ActionItem
from bot.notes.names import not_a_name, parse_names
from bot.notes.owners import NOBODY, OwnerNotes, handles_in, leading_names, resolve_owners
from bot.notes.rollcall import RollCall
from bot.notes.text import (
    issue_number,
    shorten,
    split_trailing_done,
    squash,
    trailing_issue,
    trailing_parenthesis,
)
from bot.notes.walk import Candidate
from bot.settings import Settings

_STRUCK = re.compile(r"[\s\x01\x02\x03\x05]*\x0e[^\x0e\x0f]*\x0f[\s\x01\x02\x03\x05]*")
#: Closing notes (done, a linked issue, owners in parentheses) end with one of these.
_NOTE_ENDINGS = ("done", "Done", "DONE", "completed", "Completed", "COMPLETED", ")", "]")
_SEPARATOR_CHARS = frozenset(" \t\n\x01\x02\x03\x05\x0e\x0f")
_BOX_SCAN = re.compile(r"[ \t]*\[[ xX]\][ \t]*")
#: In a file listing someone with the initials A. I. (``Amejonah Izoo``), ``AI:`` is that
#: person speaking in the minutes, not an action item.
_AI_INITIALS = re.compile(
    r"^[ \t>*+-]*(A[^\W\d_]+(?:-[^\W\d_]+)?) (I[^\W\d_]+)[ \t]*$", re.MULTILINE
)


@dataclass
class FileContext:
    """What every item of one file shares."""

    path: str
    text: str
    lines: list[str]
    line_offset: int
    settings: Settings
    grammar: Grammar
    roll_call: RollCall
    section_labels: Mapping[str, tuple[str, ...]]
    default_labels: tuple[str, ...] = ()
    _plain_cache: dict[int, str] = field(default_factory=dict)
    _speaker_ai: bool | None = None

    def parent_text(self, inline: Token) -> str:
        """A parent bullet's text for an item's context line (cached: siblings share parents)."""
        key = id(inline)
        text = self._plain_cache.get(key)
        if text is None:
            text = shorten(squash(render_inline(inline.children).plain))
            self._plain_cache[key] = text
        return text

    def ai_is_a_speaker(self) -> bool:
        """Whether ``AI:`` in this file is more likely a person's initials than a marker."""
        if self._speaker_ai is None:
            self._speaker_ai = any(
                not not_a_name(match.group(1), before_verb=False)
                and not not_a_name(match.group(2), before_verb=False)
                for match in _AI_INITIALS.finditer(self.text)
            )
        return self._speaker_ai


def build_items(candidates: list[Candidate], context: FileContext) -> list[ActionItem]:
    """The action items among ``candidates``, in file order."""
    items: list[ActionItem] = []
    for candidate in candidates:
        items.extend(_items_of(candidate, context))
    return items


def _items_of(candidate: Candidate, context: FileContext) -> list[ActionItem]:
    """The item a paragraph is, and the items starting on its later lines (``…\nTODO: x``)."""
    view = render_inline(candidate.inline.children)
    source_lines: list[str] = []
    scan = view.scan
    grammar = context.grammar
    segments: list[tuple[int, int, Lead]] = []
    end = len(scan)
    for start in reversed(grammar.marker_lines(scan, end)):
        lead = grammar.parse_lead(scan, structural=False, start=start, end=end)
        if lead is not None and not _speaker(lead, context):
            segments.append((start, end, lead))
            end = start
    lead = grammar.parse_lead(scan, structural=candidate.structural, end=end)
    if lead is not None and not (not candidate.structural and _speaker(lead, context)):
        segments.append((0, end, lead))
    items = []
    whole = len(segments) == 1 and segments[0][0] == 0 and segments[0][1] == len(scan)
    if not whole and segments:
        source_lines = candidate.inline.content.split("\n")
    for start, end, lead in reversed(segments):
        item = _build(candidate, context, view, lead, (start, end), source_lines)
        if item is not None:
            items.append(item)
    return items


def _speaker(lead: Lead, context: FileContext) -> bool:
    """``AI:`` alone, in a file where someone has the initials A. I."""
    return (
        lead.marker == "AI"
        and lead.group is None
        and not lead.prefixes
        and context.ai_is_a_speaker()
    )


def _build(
    candidate: Candidate,
    context: FileContext,
    view: InlineText,
    lead: Lead,
    span: tuple[int, int],
    source_lines: list[str],
) -> ActionItem | None:
    """One item; ``source_lines`` are the paragraph's lines when it holds several items."""
    start, end = span
    text = squash(view.plain[view.plain_index(lead.start) : view.plain_index(end)])
    if text.endswith((" **", " __", " *", " _")):
        text = text.rstrip("*_ ")  # emphasis markdown-it left as text (``**AI: x **``)
    if not text:
        return None
    core, done_note, trailing_number, trailing = text, False, None, None
    if text.rstrip(".! ").endswith(_NOTE_ENDINGS):
        core, done_note = split_trailing_done(text)
        core, trailing_number = trailing_issue(core)
        before_parens, parens = trailing_parenthesis(core)
        trailing = parse_names(parens, explicit=True) if parens else None
        if trailing is not None and (trailing.names or trailing.tentative):
            core = before_parens
        else:
            trailing = None
    leading = leading_names(text) if lead.marker is not None or candidate.structural else None
    has_handles = view.scan.find("@", start, end) >= 0
    if lead.group or lead.prefixes or leading or trailing or has_handles:
        owner_notes = OwnerNotes(trailing=trailing)
        owner_notes.add(lead.group)
        for prefix in lead.prefixes:
            owner_notes.add(prefix)
        owner_notes.add(leading)
        if has_handles:
            owner_notes.handles.extend(handles_in(view.scan[start:end]))
        owners = resolve_owners(owner_notes, context.roll_call)
    else:
        owners = NOBODY
    first_line = candidate.inline.map[0] if candidate.inline.map else 0
    line = first_line + view.line_of(start) + context.line_offset + 1
    return ActionItem(
        path=context.path,
        line=line,
        title=shorten(text),
        body=_body(candidate, context, view, span, source_lines),
        done=_done(lead, view, span) or done_note,
        owners=owners.owners,
        assignees=owners.assignees,
        unresolved=owners.unresolved,
        labels=_labels(candidate, context),
        linked_issue=_linked_issue(lead, view, trailing_number),
        key=item_key(core or text),
    )


def _done(lead: Lead, view: InlineText, span: tuple[int, int]) -> bool:
    if lead.box == "x" or lead.done_mark:
        return True
    start, end = span
    if "\x0e" not in view.scan[start:end]:
        return False
    box = _BOX_SCAN.match(view.scan, start) if lead.box else None
    if _STRUCK.fullmatch(view.scan, box.end() if box else start, end):
        return True
    # ``TODO: ~~text~~``: the item's own text, after its marker, is struck through.
    text_start = lead.start
    while text_start > start and view.scan[text_start - 1] in _SEPARATOR_CHARS:
        text_start -= 1
    return _STRUCK.fullmatch(view.scan, text_start, end) is not None


def _linked_issue(lead: Lead, view: InlineText, trailing_number: int | None) -> int | None:
    if lead.group is not None and lead.group.issue is not None:
        return lead.group.issue
    if lead.marker_link is not None and 0 <= lead.marker_link < len(view.hrefs):
        number = issue_number(view.hrefs[lead.marker_link])
        if number is not None:
            return number
    return trailing_number


def _body(
    candidate: Candidate,
    context: FileContext,
    view: InlineText,
    span: tuple[int, int],
    source_lines: list[str],
) -> str:
    source = candidate.inline.content
    if source_lines:
        top = view.line_of(span[0])
        bottom = view.line_of(max(span[0], span[1] - 1))
        if bottom == top and top < len(source_lines):
            markdown = source_lines[top].strip()
        else:
            markdown = paragraph_lines(source_lines, top, bottom - top + 1)
    elif candidate.item_lines is None:
        markdown = paragraph_body(source)
    else:
        newline = source.find("\n")
        first = source if newline < 0 else source[:newline]
        start, end = candidate.item_lines
        markdown = list_item_body(context.lines, start, end, first, candidate.quote_depth)
    parents = [context.parent_text(parent) for parent in candidate.parents]
    return with_context(markdown, [*candidate.headings, *parents])


def _labels(candidate: Candidate, context: FileContext) -> tuple[str, ...]:
    if not context.section_labels:
        return context.default_labels
    labels = dict.fromkeys(context.default_labels)
    for heading in candidate.headings:
        labels.update(dict.fromkeys(context.section_labels.get(normalise_heading(heading), ())))
    return tuple(labels)
