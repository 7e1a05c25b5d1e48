"""Clause 2: header items, header paragraphs and action sections."""

from __future__ import annotations

import pytest

from bot.notes import read_notes
from bot.settings import Settings


def titles(text: str, settings: Settings | None = None) -> list[str]:
    return [item.title for item in read_notes(text, "m.md", settings or Settings()).items]


@pytest.mark.parametrize(
    "header",
    [
        "Action items:",
        "Actions:",
        "Action points:",
        "Action:",
        "AI:",
        "TODO:",
        "TODOs:",
        "Next actions:",
        "**Action items**",
        "**Action items:**",
        "*TODOs*:",
        "ACTION ITEMS:",
    ],
)
def test_header_bullet_makes_its_children_items(header: str) -> None:
    text = (
        f"- Plugin API\n  - {header}\n"
        "    - Decide which hooks are public\n"
        "    - Warn for one release\n"
    )
    assert titles(text) == ["Decide which hooks are public", "Warn for one release"]


@pytest.mark.parametrize("header", ["Action items", "Next actions (team)", "3. Next actions"])
def test_header_needs_a_colon_unless_emphasised(header: str) -> None:
    assert titles(f"- {header}\n  - Decide which hooks are public\n") == []


def test_numbered_next_actions_without_colon_is_not_a_header() -> None:
    text = "1. Decisions\n2. Next actions (team)\n   - Working toward the 0.9 release\n"
    assert titles(text) == []


def test_only_direct_children_of_a_header_bullet_are_items() -> None:
    text = (
        "- Action items:\n"
        "  - Write the retention options\n"
        "    - option A keeps everything\n"
        "  - Ask the operators\n"
    )
    assert titles(text) == ["Write the retention options", "Ask the operators"]


def test_header_paragraph_followed_by_a_list() -> None:
    text = (
        "DR: that is for operators.\n\n**Action items**\n\n"
        "* Dana to write options\n  * sub\n* Ask ops\n"
    )
    assert titles(text) == ["Dana to write options", "Ask ops"]


def test_header_paragraph_not_followed_by_a_list_has_no_items() -> None:
    assert titles("Action items:\n\nNone this week.\n\n- unrelated bullet\n") == []


def test_header_is_never_an_item_itself() -> None:
    assert titles("TODO:\n\n- [ ]\n") == []


@pytest.mark.parametrize(
    "heading",
    [
        "## Action items",
        "## Action Items",
        "### Action item",
        "## Action points",
        "## V. Next actions (team)",
        "## 3. Next action:",
        "## TODOs",
        "## TODO(s)",
        "## To do",
        "## To-do",
        "## Action item(s)",
        "## ☑️ Action items",
    ],
)
def test_action_section_headings(heading: str) -> None:
    text = f"{heading}\n\n- Book the room\n  - nested bullet is not an item\n- Send slides\n"
    assert titles(text) == ["Book the room", "Send slides"]


def test_actions_heading_alone_is_not_an_action_section() -> None:
    assert titles("## Actions\n\n1. Help needed\n- Open PRs\n") == []


def test_section_ends_at_same_or_higher_heading_but_not_deeper() -> None:
    text = (
        "# Meeting\n\n"
        "## Action items\n\n- first\n\n"
        "### Carried over\n\n- second\n\n"
        "## Notes\n\n- not an item\n\n"
        "# Next meeting\n\n- not an item either\n"
    )
    assert titles(text) == ["first", "second"]


def test_paragraphs_in_an_action_section_are_not_items() -> None:
    assert titles("## Action items\n\nMatt to do the thing.\n\n- Real item\n") == ["Real item"]


def test_extra_action_headings_from_settings() -> None:
    text = "## Follow-ups\n\n- Call the venue\n"
    assert titles(text) == []
    assert titles(text, Settings(action_headings=("Follow-ups",))) == ["Call the venue"]


def test_marker_inside_an_action_section_item_is_one_item() -> None:
    assert titles("## Action items\n\n- TODO: Book the room\n") == ["Book the room"]
