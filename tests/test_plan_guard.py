"""The destructive guard: past ``max_destructive_per_push`` existing issues closed or told their
item is gone, a plan touches none of them (it keeps everything else)."""

from __future__ import annotations

from test_plan_support import FakeRepo, Notes, item, notes
from test_plan_support import mode as mode  # the fixture, for every test here

from bot.notes.model import ActionItem
from bot.planner.actions import CommentOnIssue, CreateIssue, UpdateIssue
from bot.settings import Settings

M1 = "meetings/2024-01-10.md"
M2 = "meetings/2024-02-14.md"


def _items(count: int, prefix: str = "Task") -> list[ActionItem]:
    return [item(f"{prefix} number {n}", line=n + 1) for n in range(count)]


def test_up_to_the_limit_removed_items_are_said_gone(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, *_items(10)), notes(M2, item("Keep the lights on")))
    plan = scenario.step(notes(M2, item("Keep the lights on")))
    assert len(plan.comments) == 10 and not plan.held_destructive


def test_past_the_limit_no_existing_issue_is_touched_and_the_plan_says_which(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, *_items(11)), notes(M2, item("Keep the lights on")))
    before = {n: dict(issue) for n, issue in scenario.repo.issues.items()}
    plan = scenario.step(notes(M2, item("Keep the lights on"), item("Order new badges")))
    assert [type(a) for a in plan.actions] == [CreateIssue]  # the new item is still filed
    assert len(plan.held_destructive) == 11 and plan.destructive_limit == 10
    assert all(
        any("removed from the notes" in s for s in held.summaries) for held in plan.held_destructive
    )
    assert any("held back closing" in line for line in plan.summary_lines())
    for number, issue in before.items():
        assert scenario.repo.issues[number]["body"] == issue["body"]
        assert scenario.repo.issues[number]["state"] == issue["state"]


def test_closes_count_too_and_the_limit_comes_from_the_settings(mode: str) -> None:
    scenario = Notes(mode, FakeRepo(settings=Settings(max_destructive_per_push=2)))
    scenario.step(notes(M1, *_items(3)))
    plan = scenario.step(notes(M1, *(item(i.title, line=i.line, done=True) for i in _items(3))))
    assert plan.actions == () and len(plan.held_destructive) == 3
    assert not [a for a in plan.actions if isinstance(a, UpdateIssue)]


def test_carry_over_comments_are_not_destructive() -> None:
    scenario = Notes("push", FakeRepo(settings=Settings(max_destructive_per_push=1)))
    scenario.step(notes(M1, *_items(4)))
    plan = scenario.step(notes(M1, *_items(4)), notes(M2, *_items(4)))
    assert len([a for a in plan.actions if isinstance(a, CommentOnIssue)]) == 4
    assert not plan.held_destructive


def test_a_deliberate_sync_has_no_limit() -> None:
    scenario = Notes("sync")
    scenario.step(notes(M1, *_items(15)), notes(M2, item("Keep the lights on")))
    plan = scenario.repo.push(
        after={M2: notes(M2, item("Keep the lights on"))},
        full_sync=True,
        cap=None,
        destructive_limit=None,
    )
    assert len([a for a in plan.actions if isinstance(a, CommentOnIssue)]) == 15
