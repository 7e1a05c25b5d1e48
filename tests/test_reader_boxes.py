"""Clauses 3 and 4: task boxes, and done items."""

from __future__ import annotations

import pytest

from bot.notes import read_notes
from bot.settings import Settings


def items(text: str, settings: Settings | None = None) -> list[tuple[str, bool]]:
    notes = read_notes(text, "m.md", settings or Settings())
    return [(item.title, item.done) for item in notes.items]


AGENDA = "## Standing items\n\n- [ ] Event planning\n- [x] Team communication\n"


def test_task_boxes_outside_action_sections_are_agenda() -> None:
    assert items(AGENDA) == []


def test_task_boxes_anywhere_setting() -> None:
    assert items(AGENDA, Settings(task_boxes_anywhere=True)) == [
        ("Event planning", False),
        ("Team communication", True),
    ]


def test_boxes_in_an_action_section_and_under_a_header() -> None:
    text = (
        "## Action items\n\n- [ ] Open a discussion\n- [x] Move the meeting\n\n"
        "## Notes\n\n- Actions:\n  - [ ] Review the guide\n"
    )
    assert items(text) == [
        ("Open a discussion", False),
        ("Move the meeting", True),
        ("Review the guide", False),
    ]


@pytest.mark.parametrize("box", ["- [ ]", "- [ ] ", "- [x]", "* [ ]   "])
def test_empty_boxes_are_never_items(box: str) -> None:
    text = f"## Action items\n\n{box}\n"
    assert items(text) == []
    assert items(text, Settings(task_boxes_anywhere=True)) == []


def test_capital_x_box_is_done() -> None:
    assert items("## Action items\n\n- [X] Upload the video\n") == [("Upload the video", True)]


@pytest.mark.parametrize(
    "line",
    [
        "~~TODO: ask the hosting provider~~",
        "TODO: ~~ask the hosting provider~~",
        "~~AI: **ask** the hosting provider~~",
        "- [x] ~~TODO: ask the hosting provider~~",
    ],
)
def test_struck_through_items_are_done(line: str) -> None:
    assert items(line + "\n") == [("ask the hosting provider", True)]


def test_partly_struck_through_item_is_not_done() -> None:
    assert items("TODO: ask ~~the hosting~~ provider\n") == [("ask the hosting provider", False)]
    assert items("~~TODO: ask~~ the provider\n") == [("ask the provider", False)]


@pytest.mark.parametrize(
    ("line", "title"),
    [
        (":white_check_mark: TODO: Open an issue", "Open an issue"),
        ("✅ TODO: Open an issue", "Open an issue"),
        ("AI: Update the topic - Done.", "Update the topic - Done."),
        ("TODO: Tweet the post **COMPLETED**", "Tweet the post COMPLETED"),
        ("TODO: Publish the post (done)", "Publish the post (done)"),
    ],
)
def test_done_notes(line: str, title: str) -> None:
    assert items(line + "\n") == [(title, True)]


def test_done_is_not_read_into_ordinary_words() -> None:
    assert items("TODO: get it done\n") == [("get it done", False)]
