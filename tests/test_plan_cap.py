"""The per-push cap on new issues: the first are filed, the rest held and owed to later pushes."""

from __future__ import annotations

from test_plan_support import FakeRepo, Notes, item, notes
from test_plan_support import mode as mode  # the fixture, for every test here

from bot.notes.model import ActionItem
from bot.planner.actions import CreateIssue
from bot.settings import Settings

M1 = "meetings/2024-01-10.md"
M2 = "meetings/2024-02-14.md"


def _items(count: int, prefix: str = "Task") -> list[ActionItem]:
    return [item(f"{prefix} number {n}", line=n + 1) for n in range(count)]


def test_up_to_the_cap_every_new_item_is_filed(mode: str) -> None:
    plan = Notes(mode).step(notes(M1, *_items(20)))
    assert len(plan.creates) == 20 and not plan.cap_hit


def test_past_the_cap_the_first_are_filed_and_the_rest_held_in_notes_order(mode: str) -> None:
    scenario = Notes(mode)
    plan = scenario.step(notes(M1, *_items(25)))
    assert [c.title for c in plan.creates] == [f"Task number {n}" for n in range(20)]
    assert plan.cap_hit and [c.title for c in plan.held_back] == [
        f"Task number {n}" for n in range(20, 25)
    ]
    assert [h.item.line for h in plan.held_back] == [21, 22, 23, 24, 25]
    assert len(scenario.repo.issues) == 20


def test_the_cap_comes_from_the_settings(mode: str) -> None:
    scenario = Notes(mode, FakeRepo(settings=Settings(max_new_issues_per_push=2)))
    plan = scenario.step(notes(M1, *_items(3)))
    assert plan.cap_hit and plan.cap == 2 and len(plan.creates) == 2
    assert [c.title for c in plan.held_back] == ["Task number 2"]


def test_no_cap_files_everything(mode: str) -> None:
    plan = Notes(mode).step(notes(M1, *_items(45)), cap=None)
    assert len(plan.creates) == 45


def test_the_cap_holds_back_only_new_issues(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    plan = scenario.step(notes(M1, item("Fix CI", done=True)), notes(M2, *_items(25)))
    assert plan.closes and len(plan.creates) == 20 and len(plan.held_back) == 5


def test_held_items_are_owed_to_the_next_push_not_back_filed_without_it() -> None:
    scenario = Notes("push")
    big = notes(M1, *_items(25))
    first = scenario.step(big)
    held = frozenset(c.key for c in first.held_back)
    later = scenario.step(big, notes(M2, item("Small follow-up")))
    assert [c.title for c in later.creates] == ["Small follow-up"]  # nobody said they are owed
    # The shell reads the files of owed items unchanged, on both sides.
    unchanged = {M1: big}
    owed = scenario.repo.push(before=unchanged, after=unchanged, owed=held, commit="c3")
    assert sorted(c.title for c in owed.creates) == [f"Task number {n}" for n in range(20, 25)]
    assert not owed.held_back
    sync = scenario.repo.push(after={M1: big}, full_sync=True, cap=None)
    assert not [a for a in sync.actions if isinstance(a, CreateIssue)]


def test_owed_items_are_capped_again() -> None:
    scenario = Notes("push", FakeRepo(settings=Settings(max_new_issues_per_push=2)))
    big = notes(M1, *_items(5))
    first = scenario.step(big)
    assert len(first.creates) == 2
    owed = frozenset(c.key for c in first.held_back)
    second = scenario.repo.push(before={M1: big}, after={M1: big}, owed=owed, commit="c2")
    assert [c.title for c in second.creates] == ["Task number 2", "Task number 3"]
    assert [c.title for c in second.held_back] == ["Task number 4"]
