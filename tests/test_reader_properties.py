"""Property-based tests: the reader never raises, and every line it reports points at its item."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.notes import item_key, read_notes
from bot.notes.text import TITLE_LIMIT

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MARKER = re.compile(r"todo|action|\bai\b", re.IGNORECASE)
WORD = re.compile(r"[^\W_]+")

words = st.one_of(
    st.sampled_from(["book", "room", "send", "slides", "Tim", "Min", "release", "notes", "x"]),
    st.text(alphabet="abcdefghijklmnop", min_size=1, max_size=7),
)
pieces = st.one_of(
    words,
    words.map(lambda w: f"**{w}**"),
    words.map(lambda w: f"*{w}*"),
    words.map(lambda w: f"`{w}`"),
    words.map(lambda w: f"~~{w}~~"),
    words.map(lambda w: f"[{w}](https://example.org/{w})"),
    st.sampled_from(["@minrk", "\\@betatim", "(Tim)", "(#12)", "(Tim, Min)", "a@b.org", "<b>"]),
)
markers = st.sampled_from(
    [
        "",
        "",
        "TODO: ",
        "TODO ",
        "todo: ",
        "**TODO**: ",
        "TODO(Tim): ",
        "AI(@minrk): ",
        "AI: ",
        "Action item: ",
        "*Action item*: ",
        "[ACTION] ",
        "ACTION ITEM: ",
        "[*Action item*](https://github.com/o/r/issues/9): ",
    ]
)
leads = st.sampled_from(["", "", "[ ] ", "[x] ", "Tim: ", "**Min:** ", "[Kim] ", "~~"])
containers = st.sampled_from(["", "", "- ", "* ", "1. ", "> ", "> - ", "## ", "    ", "\t- "])
indents = st.sampled_from(["", "", "  ", "    ", "\t"])
special_lines = st.sampled_from(
    [
        "",
        "",
        "## Action items",
        "## Actions",
        "### Notes",
        "- Action items:",
        "**Action items**",
        "```",
        "<!-- TODO: hidden -->",
        "| a | TODO: b |",
        "| --- | --- |",
        "---",
        "* Tim / Simula / @betatim",
        "Min | Simula | @minrk",
    ]
)


@st.composite
def content_lines(draw: st.DrawFn) -> str:
    body = " ".join(draw(st.lists(pieces, min_size=1, max_size=6)))
    return draw(indents) + draw(containers) + draw(leads) + draw(markers) + body


@st.composite
def notes_texts(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.one_of(content_lines(), special_lines), min_size=1, max_size=25))
    head = draw(st.sampled_from(["", "---\ntitle: Sync\n---\n", "---\ntitle: [broken\n---\n"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return head + newline.join(lines) + draw(st.sampled_from(["", "\n"]))


def check_lines(text: str) -> None:
    notes = read_notes(text, "m.md")
    source_lines = re.split(r"\r\n?|\n", text)
    for item in notes.items:
        assert 1 <= item.line <= len(source_lines)
        line = source_lines[item.line - 1]
        first_word = WORD.search(item.title)
        assert MARKER.search(line) or (first_word and first_word.group() in line), (
            item.line,
            line,
            item.title,
        )
        assert len(item.title) <= TITLE_LIMIT
        assert item.title == item.title.strip()


@FAST
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    notes = read_notes(text, "m.md")
    line_count = len(re.split(r"\r\n?|\n", text))
    assert all(1 <= item.line <= line_count for item in notes.items)


@FAST
@given(st.binary())
def test_bytes_raise_only_notes_error(data: bytes) -> None:
    from bot.notes import NotesError

    try:
        notes = read_notes(data, "m.md")
    except NotesError:
        assert b"\x00" in data
    else:
        assert b"\x00" not in data
        assert all(item.line >= 1 for item in notes.items)


@FAST
@given(notes_texts())
def test_every_line_points_at_its_item(text: str) -> None:
    check_lines(text)


@FAST
@given(notes_texts())
def test_bytes_and_text_read_the_same(text: str) -> None:
    from_text = read_notes(text, "m.md")
    from_bytes = read_notes(text.encode("utf-8"), "m.md")
    assert from_text == from_bytes


@FAST
@given(st.lists(words, min_size=1, max_size=8), st.sampled_from(["\n", " ", "\n  "]))
def test_key_ignores_form(action: list[str], wrap: str) -> None:
    plain = " ".join(action)
    forms = [
        f"TODO: {plain}",
        f"- [x] **TODO**(Kim): {wrap.join(action)}",
        f"> AI(@minrk): {' '.join(f'*{w}*' for w in action)}",
        f"## Action items\n\n- [ ] Tim: {plain} (#4)",
    ]
    keys = {read_notes(form + "\n", "m.md").items[-1].key for form in forms}
    assert keys == {item_key(plain)}
