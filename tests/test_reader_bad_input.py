"""Bad input: invalid UTF-8, binary, empty, huge, broken front matter, deep nesting, many items."""

from __future__ import annotations

import pytest

from bot.notes import NotesError, read_notes
from bot.notes import reader as reader_module


def test_invalid_utf8_is_read_with_a_warning() -> None:
    data = b"# Sync\n\nTODO: caf\xe9 order\n\nTODO: next\n"
    notes = read_notes(data, "m.md")
    assert [(i.line, i.title) for i in notes.items] == [(3, "caf\ufffd order"), (5, "next")]
    assert len(notes.warnings) == 1
    assert "UTF-8" in notes.warnings[0]
    assert "offset 17" in notes.warnings[0]


def test_binary_content_raises_notes_error_with_a_reason() -> None:
    with pytest.raises(NotesError, match="binary"):
        read_notes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "logo.png")


def test_text_with_nul_characters_never_raises() -> None:
    notes = read_notes("TODO: a\x00b\n", "m.md")
    assert [i.title for i in notes.items] == ["a\ufffdb"]


def test_reserved_control_characters_do_not_confuse_the_reader() -> None:
    notes = read_notes("TODO\x01: x\n\nTODO: a\x03b\x0e\n", "m.md")
    assert [i.title for i in notes.items] == ["a\ufffdb\ufffd"]


@pytest.mark.parametrize("source", ["", b"", "\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_files(source: str | bytes) -> None:
    notes = read_notes(source, "notes/2024-03-14.md")
    assert notes.items == ()
    assert notes.warnings == ()
    assert (notes.meeting.title, notes.meeting.date) == ("2024-03-14", "2024-03-14")


def test_broken_front_matter_warns_and_keeps_lines_right() -> None:
    text = "---\ntitle: [unclosed\ndate: 2024-03-14\n---\n# Sync\n\nTODO: still read\n"
    notes = read_notes(text, "m.md")
    assert [(i.line, i.title) for i in notes.items] == [(7, "still read")]
    assert len(notes.warnings) == 1
    assert "front matter" in notes.warnings[0]
    assert "lines 1-4" in notes.warnings[0]
    assert notes.meeting.title == "Sync"


def test_front_matter_that_is_not_a_mapping_warns() -> None:
    notes = read_notes("---\n- a\n- b\n---\nTODO: x\n", "m.md")
    assert [(i.line, i.title) for i in notes.items] == [(5, "x")]
    assert "not a mapping" in notes.warnings[0]


def test_leading_rule_without_closing_fence_is_not_front_matter() -> None:
    notes = read_notes("---\nTODO: x\n", "m.md")
    assert [(i.line, i.title) for i in notes.items] == [(2, "x")]
    assert notes.warnings == ()


def test_ten_megabyte_file() -> None:
    chunk = "Notes about the release plan and the migration. " * 21_000  # about 1 MB
    text = "".join(f"{chunk}\n\nTODO: chunk {n}\n\n" for n in range(10))
    assert len(text) > 10_000_000
    notes = read_notes(text, "m.md")
    assert [(i.line, i.title) for i in notes.items] == [
        (4 * n + 3, f"chunk {n}") for n in range(10)
    ]


def test_a_thousand_deep_nesting() -> None:
    lists = "".join("  " * depth + "- TODO: level\n" for depth in range(1000))
    quotes = ">" * 1000 + " TODO: deep quote\n"
    brackets = "TODO: " + "[" * 1000 + "x" + "](u)" * 1000 + "\n"
    emphasis = "TODO: " + "*" * 1000 + "x" + "*" * 1000 + "\n"
    for text in (lists, quotes, brackets, emphasis):
        notes = read_notes(text, "m.md")
        for item in notes.items:
            assert 1 <= item.line <= text.count("\n")
    assert read_notes(lists, "m.md").items[0].line == 1


def test_a_hundred_thousand_items() -> None:
    text = "## Action items\n\n" + "".join(f"TODO: item {n}\n" for n in range(100_000))
    notes = read_notes(text, "m.md")
    assert len(notes.items) == 100_000
    assert (notes.items[0].line, notes.items[0].title) == (3, "item 0")
    assert (notes.items[-1].line, notes.items[-1].title) == (100_002, "item 99999")
    assert len({item.key for item in notes.items}) == 100_000


def test_recursion_error_becomes_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(text: str) -> list[object]:
        raise RecursionError

    monkeypatch.setattr(reader_module.PARSER, "parse", explode)
    notes = read_notes("# Sync\n\nTODO: x\n", "2024-03-14.md")
    assert notes.items == ()
    assert "nested too deeply" in notes.warnings[0]
    assert notes.meeting.date == "2024-03-14"
