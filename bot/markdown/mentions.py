"""Make ``@mentions`` in Markdown copied from the notes inert, so that GitHub notifies nobody.

``@name`` becomes ``@&#8203;name``: a zero-width space after the "@" (as Dependabot and Renovate
do). It still reads ``@name``, but GitHub's mention filter no longer matches. (``@<!-- -->name``
works too, but its ``-->`` can close a ``<!--`` left open earlier in the text and so change what
the rest of the Markdown means; an entity changes nothing around it.) Where GitHub would not
notify anyway (code spans and blocks, HTML comments and tags, URLs, e-mail addresses) the text is
left as it is.

The block structure comes from markdown-it (which blocks are code, HTML or paragraphs); inside
each paragraph or heading the inline text is scanned left to right with CommonMark's precedence
(backslash escapes, code spans, autolinks and raw HTML, then text). Whenever the text cannot be
mapped back to the source exactly, the safe side is taken: the ``@`` is neutralised.
"""

from __future__ import annotations

import re
import string
from bisect import bisect_right

from markdown_it import MarkdownIt

_BREAK = "&#8203;"
NEUTRAL_AT = "@" + _BREAK
# GitHub's reading (GFM tables) and plain CommonMark's: a line can be a table row in one and a
# paragraph in the other.
_PARSERS = (MarkdownIt("commonmark").enable(["table", "strikethrough"]), MarkdownIt("commonmark"))
_PUNCT = frozenset(string.punctuation)
_ALNUM = re.compile(r"[A-Za-z0-9]")
_HANDLE_START = re.compile(r"[A-Za-z0-9]")
# Entities that render as "@".
_AT_ENTITY = re.compile(r"&(?:commat|#0*64|#[xX]0*40);")
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_ATTRIBUTE = r"""\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?"""
_TAG = re.compile(rf"<[A-Za-z][A-Za-z0-9-]*(?:{_ATTRIBUTE})*\s*/?>|</[A-Za-z][A-Za-z0-9-]*\s*>")
# A comment every CommonMark version accepts (older ones refuse "--" inside).
_STRICT_COMMENT = re.compile(r"<!--(?!-?>)(?:(?!--).)*?-->", re.S)
_ANY_COMMENT = re.compile(r"<!--.*?-->", re.S)
_AUTOLINK = re.compile(
    r"<[A-Za-z][A-Za-z0-9.+-]{1,31}:[^\s<>]*>"
    r"|<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*>"
)
# What GitHub autolinks in text, stopping at anything Markdown could read otherwise.
_URL = re.compile(r"(?:(?:https?|ftp)://|www\.)[^\s<>`*_~\[\]\"'\\]+", re.I)
_BACKTICKS = re.compile(r"`+")


def _is_live(text: str, at: int, end: int) -> bool:
    """Whether the "@" spanning ``text[at:end]`` starts a mention."""
    before = text[at - 1] if at else ""
    return not _ALNUM.match(before) and _HANDLE_START.match(text[end : end + 1]) is not None


def _scan(text: str, *, markdown: bool, code_spans: bool) -> list[int]:
    """Offsets in ``text`` right after each live "@" (where the comment goes)."""
    cuts: list[int] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if markdown and c == "\\" and i + 1 < n and text[i + 1] in _PUNCT:
            if text[i + 1] == "@" and _HANDLE_START.match(text[i + 2 : i + 3]):
                cuts.append(i + 2)  # "\@x" renders "@x": still a mention
            i += 2
        elif c == "`" and markdown and code_spans:
            run = _BACKTICKS.match(text, i)
            assert run is not None
            length = run.end() - i
            i = run.end()
            for closing in _BACKTICKS.finditer(text, i):
                if closing.end() - closing.start() == length:
                    i = closing.end()
                    break
        elif c == "<":
            comment = (_STRICT_COMMENT if markdown else _ANY_COMMENT).match(text, i)
            loose = None if comment or not markdown else _ANY_COMMENT.match(text, i)
            if loose:
                # a comment for some CommonMark versions, text for others: neither hides
                # the mentions inside it, nor may a code span start inside it
                cuts.extend(
                    i + at + 1
                    for at in range(len(loose.group()))
                    if text[i + at] == "@" and _is_live(text, i + at, i + at + 1)
                )
                i = loose.end()
                continue
            found = comment or _AUTOLINK.match(text, i) or _TAG.match(text, i)
            i = found.end() if found else i + 1
        elif c == "&":
            entity = _AT_ENTITY.match(text, i)
            if entity and _is_live(text, i, entity.end()):
                cuts.append(entity.end())
            other = entity or _ENTITY.match(text, i)
            i = other.end() if other else i + 1
        elif c == "@":
            if _is_live(text, i, i + 1):
                cuts.append(i + 1)
            i += 1
        elif c in "hHfFwW" and (i == 0 or not _ALNUM.match(text[i - 1])):
            url = _URL.match(text, i)
            i = url.end() if url else i + 1
        else:
            i += 1
    return cuts


def _locate(content: str, lines: list[str], first: int, last: int) -> list[tuple[int, int]] | None:
    """For each line of an inline token's content: (source line, column where it starts).

    markdown-it strips container markers and indentation from the content; each content line is
    the end of its source line. ``None`` when that does not hold (then the caller plays safe).
    """
    spots: list[tuple[int, int]] = []
    for number, part in enumerate(content.split("\n")):
        source = first + number
        text = part.strip()
        if source >= last:
            return None
        line = lines[source].rstrip()
        if not line.endswith(text):
            return None
        spots.append((source, len(line) - len(text)))
    return spots


def neutralise_mentions(markdown: str) -> str:
    """``markdown`` with every ``@user`` and ``@org/team`` mention made inert (``@&#8203;user``).

    Code spans, code blocks, HTML comments and tags, URLs and e-mail addresses are left alone.
    The text is read both as GitHub reads it (with tables) and as plain CommonMark, and an "@"
    that is a mention in either reading is neutralised. Line endings come back as ``\\n``.
    Applying it twice changes nothing more.
    """
    markdown = markdown.replace("\r\n", "\n").replace("\r", "\n")
    if "@" not in markdown and "&" not in markdown:
        return markdown
    lines = markdown.split("\n")
    cuts: dict[int, set[int]] = {}  # line -> columns to insert the break at
    for parser in _PARSERS:
        for number, columns in _cuts(parser, markdown, lines).items():
            cuts.setdefault(number, set()).update(columns)
    out = []
    for number, line in enumerate(lines):
        for col in sorted(cuts.get(number, ()), reverse=True):
            line = line[:col] + _BREAK + line[col:]
        out.append(line)
    return "\n".join(out)


def _cuts(parser: MarkdownIt, markdown: str, lines: list[str]) -> dict[int, list[int]]:
    """Where the live "@"s are, as one Markdown reading sees the text."""
    kinds = ["plain"] * len(lines)
    cuts: dict[int, list[int]] = {}
    try:
        tokens = parser.parse(markdown)
    except Exception:  # a parser failure must not leave mentions live: all plain text
        tokens = []
    table_end = -1
    for token in tokens:
        if not token.map:
            continue
        first, last = token.map
        if token.type in ("fence", "code_block", "html_block", "table_open"):
            kind = {"html_block": "html", "table_open": "table"}.get(token.type, "code")
            kinds[first:last] = [kind] * (last - first)
            if token.type == "table_open":
                table_end = last
        elif token.type == "inline" and first >= table_end:
            spots = _locate(token.content, lines, first, last)
            if spots is not None:
                _scan_inline(lines, spots, cuts)
                for source, _ in spots:
                    kinds[source] = "inline"
    _scan_rest(lines, kinds, cuts)
    return cuts


def _cut_into(
    cuts: dict[int, list[int]], starts: list[int], rows: list[tuple[int, int]], offset: int
) -> None:
    """Record a cut at ``offset`` of text joined from ``rows`` (source line, column)."""
    index = bisect_right(starts, offset) - 1
    source, col = rows[index]
    cuts.setdefault(source, []).append(col + offset - starts[index])


def _joined(lines: list[str], rows: list[tuple[int, int]], *, trim: bool) -> tuple[str, list[int]]:
    """The text of ``rows`` (source line, first column) joined by newlines; where each starts."""
    parts = [lines[s][col:].rstrip() if trim else lines[s][col:] for s, col in rows]
    starts = [0]
    for part in parts:
        starts.append(starts[-1] + len(part) + 1)
    return "\n".join(parts), starts


def _scan_inline(
    lines: list[str], spots: list[tuple[int, int]], cuts: dict[int, list[int]]
) -> None:
    text, starts = _joined(lines, spots, trim=True)
    for offset in _scan(text, markdown=True, code_spans=True):
        _cut_into(cuts, starts, spots, offset)


def _cells(line: str) -> list[tuple[int, int]]:
    """A table row's cells as (start, end) columns: split at unescaped pipes, as GFM does."""
    cells: list[tuple[int, int]] = []
    start = 0
    i = 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == "|":
            cells.append((start, i))
            start = i + 1
        i += 1
    cells.append((start, len(line)))
    return cells


def _scan_rest(lines: list[str], kinds: list[str], cuts: dict[int, list[int]]) -> None:
    """HTML blocks as HTML (comments may span lines), table rows cell by cell, the rest by line."""
    number = 0
    while number < len(lines):
        kind = kinds[number]
        if kind == "html":
            end = number
            while end < len(lines) and kinds[end] == "html":
                end += 1
            rows = [(n, 0) for n in range(number, end)]
            text, starts = _joined(lines, rows, trim=False)
            for offset in _scan(text, markdown=False, code_spans=False):
                _cut_into(cuts, starts, rows, offset)
            number = end
            continue
        if kind == "table":
            for start, end in _cells(lines[number]):
                cell = lines[number][start:end]
                found = _scan(cell, markdown=True, code_spans=True)
                cuts.setdefault(number, []).extend(start + offset for offset in found)
        elif kind == "plain":
            # not a paragraph markdown-it could map: no code span can hide anything here
            found = _scan(lines[number], markdown=True, code_spans=False)
            cuts.setdefault(number, []).extend(found)
        number += 1
