"""Clause 1: marker items — which paragraphs start with a marker, and which do not."""

from __future__ import annotations

import pytest

from bot.notes import read_notes
from bot.settings import Settings


def titles(text: str, settings: Settings | None = None) -> list[str]:
    notes = read_notes(text, "notes/meeting.md", settings or Settings())
    return [item.title for item in notes.items]


@pytest.mark.parametrize(
    "line",
    [
        "TODO: book the room",
        "Todo: book the room",
        "todo: book the room",
        "TODO book the room",
        "ACTION: book the room",
        "Action: book the room",
        "ACTION ITEM: book the room",
        "Action item: book the room",
        "Action Item: book the room",
        "Action point: book the room",
        "AI: book the room",
        "**TODO**: book the room",
        "**TODO:** book the room",
        "*Action item*: book the room",
        "_AI:_ book the room",
        "[*Action item*](https://github.com/o/r/issues/94): book the room",
        "TODO(Sam): book the room",
        "TODO (Sam, Kim): book the room",
        "AI(@sam): book the room",
        "TODO(#12): book the room",
        "**Action item** book the room",
        "[ACTION] book the room",
        "[AI]: book the room",
        "**AI: **book the room",  # Google Docs export: emphasis markdown-it leaves as text
        "AI -- book the room",
        "TODO - book the room",
    ],
)
def test_marker_forms_make_an_item(line: str) -> None:
    assert titles(line + "\n") == ["book the room"]


@pytest.mark.parametrize(
    "line",
    [
        "Todo book the room",  # only upper-case TODO may go without a colon
        "AI book the room",
        "ai: book the room",  # AI is upper case only
        "Action book the room",
        "action item: book the room",
        "AI(BT) book the room",  # an owner group still needs its colon
        "TODO(Sam) book the room",
        "We said TODO: book the room",  # in the middle of a sentence
        "Please see the TODO: list",
        "El método TODO: no",
        "OTODOKE: book the room",  # inside a word
        "TODOs: book the room",
        "Action items: none this week",
        "`TODO: book the room`",  # a code span
        "AI (in chat): is this namespaced?",  # not an owner group
    ],
)
def test_not_a_marker(line: str) -> None:
    assert titles(line + "\n") == []


def test_marker_inside_code_blocks_html_and_comments_is_not_an_item() -> None:
    text = (
        "```\nTODO: in a fence\n```\n\n"
        "    TODO: indented code\n\n"
        "<!-- TODO: in a comment -->\n\n"
        "<div>\nTODO: in an HTML block\n</div>\n\n"
        "TODO: the real one\n"
    )
    assert titles(text) == ["the real one"]


def test_first_paragraph_of_a_list_item_only() -> None:
    text = (
        "- TODO: opens the item\n\n"
        "  TODO: a later paragraph of the same item is part of it\n"
        "- Topic\n\n"
        "  TODO: second paragraph, not an item\n"
    )
    assert titles(text) == ["opens the item"]


def test_marker_after_task_box_and_owner_prefix() -> None:
    text = "- [ ] **Chris:** TODO: send the slides\n- Kim: Action item: book a room\n"
    assert titles(text) == ["send the slides", "book a room"]


def test_marker_starting_a_later_line_of_a_paragraph_is_its_own_item() -> None:
    text = "KM presenting slides\nTODO(Kofi): add the link to the slides\nmore text\n"
    notes = read_notes(text, "m.md")
    assert [(i.line, i.title) for i in notes.items] == [(2, "add the link to the slides more text")]


def test_two_marker_lines_in_one_paragraph_are_two_items() -> None:
    text = "- 1. We keep the current logo\n  TODO: ask about the risks\n  TODO: define mature\n"
    notes = read_notes(text, "m.md")
    assert [(i.line, i.title) for i in notes.items] == [
        (2, "ask about the risks"),
        (3, "define mature"),
    ]


def test_extra_marker_words_from_settings() -> None:
    settings = Settings(markers=("FOLLOW-UP",))
    # Extra markers match in any case; each marked line is an item.
    assert titles("FOLLOW-UP: call the venue\nfollow-up: again\n", settings) == [
        "call the venue",
        "again",
    ]
    assert titles("FOLLOW-UP: call the venue\n") == []


def test_ai_is_a_speaker_when_someone_has_those_initials() -> None:
    text = "Attendees:\n\nAmal Ismail\nBo Tran\n\nAI: what about registries?\n\nAI(bo): file it\n"
    assert titles(text) == ["file it"]
    assert titles("AI: what about registries?\n") == ["what about registries?"]
