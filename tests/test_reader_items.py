"""What each item carries: path, body, key, labels; and the meeting's metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.notes import item_key, read_notes
from bot.notes.model import ITEM_FIELDS, ActionItem
from bot.settings import Settings

NOTES = """\
# Sync

## Agenda items

* Flaky tests [Priya]
    * three failures this week
    * **TODO**: Write up what we know, with the logs from
      the three failed runs.

      Tomás thinks the retry hides part of the problem.

      - [first log](https://example.org/1)
      - second log
    * next bullet
"""


def test_path_is_stored_as_given_and_items_are_in_file_order() -> None:
    notes = read_notes("TODO: b\n\nTODO: a\n\n- TODO: c\n", "docs/Meetings/../x.md")
    assert [item.title for item in notes.items] == ["b", "a", "c"]
    assert {item.path for item in notes.items} == {"docs/Meetings/../x.md"}
    assert notes.path == "docs/Meetings/../x.md"


def test_json_form_has_exactly_the_item_fields() -> None:
    item = read_notes("TODO(#3): x\n", "m.md").items[0]
    assert tuple(item.as_json()) == ITEM_FIELDS


def test_body_is_the_items_markdown_with_its_context() -> None:
    body = read_notes(NOTES, "m.md").items[0].body
    assert body == (
        "**TODO**: Write up what we know, with the logs from\n"
        "the three failed runs.\n"
        "\n"
        "Tomás thinks the retry hides part of the problem.\n"
        "\n"
        "- [first log](https://example.org/1)\n"
        "- second log\n"
        "\n"
        "Context: Sync › Agenda items › Flaky tests [Priya]"
    )


def test_body_drops_the_task_box_and_quote_markers() -> None:
    text = "## Action items\n\n> - [ ] Review the guide\n>   - local setup needs screenshots\n"
    body = read_notes(text, "m.md").items[0].body
    assert body == ("Review the guide\n- local setup needs screenshots\n\nContext: Action items")


def test_body_of_a_paragraph_alone_without_context() -> None:
    assert read_notes("AI: file\n  the issue\n", "m.md").items[0].body == "AI: file\nthe issue"


KEY_VARIANTS = [
    "TODO: Write up the current design of the proxy",
    "**TODO**: Write up the *current* design\nof the   proxy",
    "TODO(Tim): Write up the current design of the proxy",
    "- [x] AI(@minrk): write up the current design of the proxy",
    "~~Action item: Write up the current design of the proxy~~",
    "Kim: TODO: Write up the current \\design of the `proxy`",
    "TODO: Write up the current design of the proxy (#12)",
    "TODO: Write up the current design of the proxy (Tim, Kim)",
    "TODO: Write up the current design of the proxy - done",
]


def test_key_is_stable_across_wrapping_emphasis_escapes_owners_and_done() -> None:
    keys = {read_notes(v + "\n", f"m{n}.md").items[0].key for n, v in enumerate(KEY_VARIANTS)}
    assert len(keys) == 1
    assert keys == {item_key("Write up the current design of the proxy")}


def test_key_is_the_same_in_two_meetings_and_in_another_structure() -> None:
    first = read_notes("## Action items\n\n- Book the venue\n", "2024-03-14.md").items[0]
    second = read_notes("- Notes\n  - TODO(Ana): Book the venue\n", "2024-04-11.md").items[0]
    assert first.key == second.key


def test_different_actions_have_different_keys() -> None:
    items = read_notes("TODO: book the venue\n\nTODO: cancel the venue\n", "m.md").items
    assert items[0].key != items[1].key
    assert item_key("book the venue") != item_key("book the venues")


def test_labels_default_and_per_section() -> None:
    settings = Settings(
        labels=("action-item", "meeting"),
        section_labels={"agenda items": ("agenda",), "FLAKY TESTS": ("ci",), "Sync": ("sync",)},
    )
    item = read_notes(NOTES, "m.md", settings).items[0]
    assert item.labels == ("action-item", "meeting", "sync", "agenda")
    assert read_notes("TODO: x\n", "m.md").items[0].labels == ("action-item",)


def test_section_labels_ignore_numbering_and_case() -> None:
    settings = Settings(section_labels={"Next actions": ("next",)})
    item = read_notes("## V. NEXT ACTIONS (team)\n\n- Tweet it\n", "m.md", settings).items[0]
    assert item.labels == ("action-item", "next")


@pytest.mark.parametrize(
    ("text", "path", "title", "date"),
    [
        (
            "---\ntitle: March sync\ndate: 2024-03-14\n---\n# Other\n",
            "x.md",
            "March sync",
            "2024-03-14",
        ),
        ("---\ntitle: March sync\n---\n# Team sync\n", "2024-03-21.md", "March sync", "2024-03-21"),
        ("# 2023-04-26 Community meeting\n", "x.md", "2023-04-26 Community meeting", "2023-04-26"),
        ("# Sync - 14 March 2024\n", "x.md", "Sync - 14 March 2024", "2024-03-14"),
        ("# Sync\n\n- Date: January 04, 2018\n", "x.md", "Sync", "2018-01-04"),
        ("# Sync\n", "notes/2024-03-14.md", "Sync", "2024-03-14"),
        ("no heading\n", "notes/2024-03-14-sync.md", "2024-03-14-sync", "2024-03-14"),
        ("", "meeting-notes/20250114-community/index.md", "20250114-community", "2025-01-14"),
        ("## Table of Contents\n\n# Real title\n", "x.md", "Real title", None),
        ("---\ndate: not a date\n---\n", "x/y.md", "y", None),
    ],
)
def test_meeting_metadata(text: str, path: str, title: str, date: str | None) -> None:
    meeting = read_notes(text, path).meeting
    assert (meeting.title, meeting.date) == (title, date)


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_examples_show_every_form() -> None:
    found: list[ActionItem] = []
    for path in sorted(EXAMPLES.rglob("*.md")):
        if path.name == "README.md":
            continue
        notes = read_notes(path.read_bytes(), str(path))
        assert notes.warnings == ()
        found.extend(notes.items)
    assert len(found) >= 20
    assert any(item.done for item in found)
    assert any(item.linked_issue for item in found)
    assert any(item.unresolved for item in found)
    assert any(item.assignees for item in found)
    titles = {item.title for item in found}
    assert not any("not an item" in title for title in titles)
