"""Clause 9: an item linked to an issue."""

from __future__ import annotations

import pytest

from bot.notes import read_notes


def linked(text: str) -> list[int | None]:
    return [item.linked_issue for item in read_notes(text, "m.md").items]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("TODO(#12): pin the image", 12),
        ("TODO(Sam, #12): pin the image", 12),
        ("[*Action item*](https://github.com/o/r/issues/94): Derek to report back", 94),
        ("[*Action Item*](https://github.com/o/r/issues/94) Derek to report back", 94),
        ("TODO: pin the image (#12)", 12),
        ("TODO: pin the image (#12).", 12),
        ("TODO: pin the image (https://github.com/o/r/issues/7)", 7),
        ("TODO: open an issue (<https://github.com/o/r/issues/9>)", 9),
        ("TODO: open an issue ([#31](https://github.com/o/r/issues/31))", 31),
        ("TODO: pin the image (https://ghe.example.com/o/r/issues/7#issuecomment-1)", 7),
    ],
)
def test_linked_issue(text: str, number: int) -> None:
    assert linked(text + "\n") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "TODO: see #12 before pinning the image",
        "TODO: compare with https://github.com/o/r/issues/7 and decide",
        "TODO: review (https://github.com/o/r/pull/880)",
        "[*Action item*](https://example.org/slides): present the slides",
        "TODO: pin the image (#12) and tell the team",
    ],
)
def test_reference_in_the_middle_is_context(text: str) -> None:
    assert linked(text + "\n") == [None]


def test_linked_reference_does_not_change_the_key() -> None:
    items = read_notes("TODO: pin the image\n\nTODO: pin the image (#12)\n", "m.md").items
    assert items[0].key == items[1].key
    assert items[1].title == "pin the image (#12)"
