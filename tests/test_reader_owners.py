"""Clauses 7 and 8: owners as written, assignees through the roll call, unresolved names."""

from __future__ import annotations

import pytest

from bot.notes import read_notes
from bot.notes.model import ActionItem
from bot.settings import Settings

ROLL_CALL = """\
# Team sync

Roll call:

* name / affiliation / GitHub handle
* Tim / Wild Tree / \\@betatim
* Min RK / Simula / @minrk
* Chris H / UC Berkeley / @choldgraf
* Chris Holdgraf / 2i2c / @choldgraf
* Sarah | Turing | @sgibson91
* Lena (she/her) / `@lena-m` / Lisbon
* Kim / Northwind / kimgh
* Jo Park / Riverbend / @jopark
* Jo Lee / Harbor / @jolee
* Ana / Jupyter@Berkeley / @ana-b

"""


def only(text: str, settings: Settings | None = None) -> ActionItem:
    items = read_notes(ROLL_CALL + text, "m.md", settings or Settings()).items
    assert len(items) == 1, items
    return items[0]


def who(item: ActionItem) -> tuple[list[str], list[str], list[str]]:
    return list(item.owners), list(item.assignees), list(item.unresolved)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TODO(Tim): x", (["Tim"], ["betatim"], [])),
        ("AI(Tim, Min): x", (["Tim", "Min"], ["betatim", "minrk"], [])),
        ("TODO(@someone-else): x", (["@someone-else"], ["someone-else"], [])),
        ("**Sarah:** TODO: x", (["Sarah"], ["sgibson91"], [])),
        ("Lena: TODO: x", (["Lena"], ["lena-m"], [])),
        ("[Min] AI: x", (["Min"], ["minrk"], [])),
        ("[name=Tim] TODO: x", (["Tim"], ["betatim"], [])),
        ("TODO: Tim to book the room", (["Tim"], ["betatim"], [])),
        ("TODO: Tim will book the room", (["Tim"], ["betatim"], [])),
        ("TODO: Tim & Sarah to book the room", (["Tim", "Sarah"], ["betatim", "sgibson91"], [])),
        ("Action item: Tim and Min to book", (["Tim", "Min"], ["betatim", "minrk"], [])),
        ("TODO: ask \\@minrk and @betatim", (["@minrk", "@betatim"], ["minrk", "betatim"], [])),
        ("TODO: book the room (Tim)", (["Tim"], ["betatim"], [])),
        ("TODO: book the room (Tim, Min).", (["Tim", "Min"], ["betatim", "minrk"], [])),
        ("TODO: book the room (Tim & @minrk)", (["Tim", "@minrk"], ["betatim", "minrk"], [])),
        ("AI[Tim]: x", (["Tim"], ["betatim"], [])),
        ("AI [tim and min]: x", (["tim", "min"], ["betatim", "minrk"], [])),
        ("AI: (Tim) x", (["Tim"], ["betatim"], [])),
        ("AI: Tim: x", (["Tim"], ["betatim"], [])),
        ("AI -- Tim -- x", (["Tim"], ["betatim"], [])),
        ("AI Tim: x", (["Tim"], ["betatim"], [])),
        ("AI Tim - x", (["Tim"], ["betatim"], [])),
        ("**AI Min RK** x", (["Min RK"], ["minrk"], [])),
        ("[AI - Tim] x", (["Tim"], ["betatim"], [])),
        ("_Action item _(Tim)_:_ x", (["Tim"], ["betatim"], [])),
        ("TODO [Tim] x", (["Tim"], ["betatim"], [])),
    ],
)
def test_owner_forms(text: str, expected: tuple[list[str], list[str], list[str]]) -> None:
    assert who(only(text + "\n")) == expected


def test_closing_parenthesis_that_does_not_all_resolve_is_just_text() -> None:
    item = only("TODO: book the room (Tim, Zoe)\n")
    assert who(item) == ([], [], [])
    assert item.title == "book the room (Tim, Zoe)"
    assert who(only("TODO: fix it (maybe later)\n")) == ([], [], [])


@pytest.mark.parametrize(
    "text",
    [
        "TODO: mail ana@example.org about it",
        "TODO: run `pip install foo@1.0` and `@decorator`",
        "TODO: read [the post](https://medium.com/@someone/post)",
        "TODO: see https://hackmd.io/@team/notes",
    ],
)
def test_not_handles(text: str) -> None:
    assert who(only(text + "\n")) == ([], [], [])


def test_name_matches_first_word_or_whole_name() -> None:
    assert who(only("TODO(Min RK): x\n")) == (["Min RK"], ["minrk"], [])
    assert who(only("TODO(min): x\n")) == (["min"], ["minrk"], [])
    assert who(only("TODO(Chris): x\n")) == (["Chris"], ["choldgraf"], [])


def test_ambiguous_and_unknown_names_stay_unresolved() -> None:
    assert who(only("TODO(Jo): x\n")) == (["Jo"], [], ["Jo"])
    assert who(only("TODO(Zoe): x\n")) == (["Zoe"], [], ["Zoe"])


def test_roll_call_field_without_at_is_not_a_handle() -> None:
    assert who(only("TODO(Kim): x\n")) == (["Kim"], [], ["Kim"])


def test_at_inside_a_word_is_not_a_handle() -> None:
    assert who(only("TODO(Ana): x\n")) == (["Ana"], ["ana-b"], [])


def test_a_handle_is_never_remapped() -> None:
    assert who(only("TODO: ask @min about it\n")) == (["@min"], ["min"], [])


def test_people_setting_is_used_after_the_roll_call() -> None:
    settings = Settings(people={"Zoe": "zoe-gh", "Tim": "someone-else", "jo": "jo-gh"})
    assert who(only("TODO(Zoe): x\n", settings)) == (["Zoe"], ["zoe-gh"], [])
    assert who(only("TODO(Tim): x\n", settings)) == (["Tim"], ["betatim"], [])
    assert who(only("TODO(Jo): x\n", settings)) == (["Jo"], ["jo-gh"], [])


def test_name_to_in_an_action_section_and_under_a_header() -> None:
    text = "## Action items\n\n- Tim to send the slides\n- Matti: upload the video\n"
    items = read_notes(ROLL_CALL + text, "m.md").items
    assert [who(item) for item in items] == [(["Tim"], ["betatim"], []), (["Matti"], [], ["Matti"])]
    text = "- Actions:\n  - Min will review\n  - [Sarah] to merge\n"
    items = read_notes(ROLL_CALL + text, "m.md").items
    assert [who(item) for item in items] == [
        (["Min"], ["minrk"], []),
        (["Sarah"], ["sgibson91"], []),
    ]


def test_name_to_only_leading() -> None:
    assert who(only("TODO: ask whether Tim to join\n")) == ([], [], [])
    assert who(only("TODO: Need to book the room\n")) == ([], [], [])
    assert who(only("TODO: Attempt to book the room\n")) == ([], [], [])


def test_lower_case_name_to_counts_only_when_it_resolves() -> None:
    assert who(only("AI: tim to book the room\n")) == (["tim"], ["betatim"], [])
    assert who(only("AI: try to book the room\n")) == ([], [], [])


def test_everyone_is_not_an_owner() -> None:
    text = "## Action items\n\n- [ ] All: Please read the blog post\n"
    item = read_notes(ROLL_CALL + text, "m.md").items[0]
    assert who(item) == ([], [], [])
    assert item.title == "Please read the blog post"


@pytest.mark.parametrize(
    ("line", "login"),
    [
        ("* Félix-Antoine Fortin / Université Laval /@cmd-ntrf", "cmd-ntrf"),
        ("- James Beal/ Sanger Institute / @jbeal-work", "jbeal-work"),
        ("* CL Kao | infuseai | @clkao (late, on mute)", "clkao"),
        ("* Kirstie (she/her) / @KirstieJane / Berkeley / Berkeley, CA", "KirstieJane"),
        ("**Present:** Inessa Pawson (@inessapawson), Mars Lee (@marsbarlee)", "marsbarlee"),
    ],
)
def test_roll_call_line_formats(line: str, login: str) -> None:
    name = line.lstrip("*- ").split(" ")[0]
    if line.startswith("**Present"):
        name = "Mars"
    notes = read_notes(f"{line}\n\nTODO({name}): x\n", "m.md")
    assert notes.items[0].assignees == (login,)
