"""Clause 5: an item's line is where its first paragraph starts, in the original file."""

from __future__ import annotations

from bot.notes import read_notes


def lines(source: str | bytes) -> list[tuple[int, str]]:
    return [(item.line, item.title) for item in read_notes(source, "m.md").items]


def test_line_counts_front_matter() -> None:
    text = "---\ntitle: Sync\ndate: 2024-03-14\n---\n\n# Sync\n\nTODO: book the room\n"
    assert lines(text) == [(8, "book the room")]


def test_line_of_a_hard_wrapped_nested_item() -> None:
    text = (
        "# Sync\n"
        "* Topic\n"
        "    * context bullet\n"
        "    * **TODO**: Open an issue to discuss the template for\n"
        "      support questions, and a bot that answers\n"
        "      with a friendly message.\n"
        "* Next topic\n"
    )
    assert lines(text) == [
        (
            4,
            "Open an issue to discuss the template for support questions, and a bot that answers "
            "with a…",
        ),
    ]


def test_crlf_and_lone_cr_line_endings() -> None:
    crlf = "# Sync\r\n\r\n- a\r\n- TODO: fix the\r\n  wrapped line\r\n"
    assert lines(crlf) == [(4, "fix the wrapped line")]
    assert lines(crlf.replace("\r\n", "\r")) == [(4, "fix the wrapped line")]
    assert lines(crlf.encode()) == [(4, "fix the wrapped line")]


def test_tabs_for_indentation() -> None:
    text = "- Topic\n\t- TODO:\tcheck the tabs\n\t  still the same item\n"
    assert lines(text) == [(2, "check the tabs still the same item")]


def test_blockquote_items() -> None:
    text = "Carried over:\n\n> - note\n> - TODO: collect feedback\n>   from the workshop\n"
    assert lines(text) == [(4, "collect feedback from the workshop")]


def test_table_rows_are_not_items_and_do_not_shift_lines() -> None:
    text = "| a | b |\n| --- | --- |\n| TODO: x | y |\n\nTODO: after the table\n"
    assert lines(text) == [(5, "after the table")]


def test_line_of_an_item_on_a_later_line_of_a_paragraph() -> None:
    text = "---\nx: 1\n---\nHA presenting slides\nmore notes\nTODO(heejin): add a link\n"
    assert lines(text) == [(6, "add a link")]


def test_lines_with_a_byte_order_mark() -> None:
    assert lines("\ufeffTODO: one\n\nTODO: two\n".encode()) == [(1, "one"), (3, "two")]
