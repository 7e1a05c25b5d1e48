"""The settled cases of the issue, one test each."""

from __future__ import annotations

from bot.notes import read_notes


def titles(text: str) -> list[str]:
    return [item.title for item in read_notes(text, "m.md").items]


def test_item_quoted_in_a_blockquote_counts() -> None:
    assert titles("> From last time:\n>\n> TODO: collect the feedback\n") == [
        "collect the feedback"
    ]


def test_text_in_a_table_cell_does_not_count() -> None:
    assert titles("| who | what |\n| --- | --- |\n| Tim | TODO: book |\n") == []


def test_headings_are_never_items() -> None:
    text = "##### AI(titzer@): Discuss the CSP\n\n## TODO: fix the docs\n\n# Action item: x\n"
    assert titles(text) == []


def test_deeper_heading_does_not_end_an_action_section() -> None:
    text = "## Action items\n\n- one\n\n#### Notes\n\n- two\n\n## Next\n\n- three\n"
    assert titles(text) == ["one", "two"]


def test_name_to_under_a_header_bullet_gives_owners() -> None:
    text = "- Action:\n  - Start a PR to fix this (Rollin will)\n  - Rollin will tag the issues\n"
    items = read_notes(text, "m.md").items
    assert [list(item.owners) for item in items] == [[], ["Rollin"]]


def test_at_min_is_the_login_min() -> None:
    item = read_notes("* Min / Simula / @minrk\n\nTODO: ping @min\n", "m.md").items[0]
    assert item.assignees == ("min",)


def test_email_and_code_are_not_handles() -> None:
    item = read_notes("TODO: write to a@b.org with `@cfg` set\n", "m.md").items[0]
    assert item.owners == ()


def test_owner_group_without_colon_is_not_an_item() -> None:
    assert titles("AI(BT) set up the meeting with the security folks.\n") == []


def test_actions_heading_of_2018_agendas_is_not_an_action_section() -> None:
    text = "## Actions\n\n1. Help or discussion needed\n- 1.1 Open PRs\n- 1.2 Open issues\n"
    assert titles(text) == []


def test_numbered_next_actions_team_without_colon_is_not_a_header() -> None:
    assert titles("3. Next actions (team)\n   - Working toward the release\n") == []
