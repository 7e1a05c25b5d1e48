"""The per-push cap on new issues: past it, nothing is filed and a commit comment says why."""

from __future__ import annotations

from test_plan_support import FakeRepo, Notes, item, notes
from test_plan_support import mode as mode  # the fixture, for every test here

from bot.markdown.issue_body import comment_tags
from bot.notes.model import ActionItem
from bot.planner.actions import CommentOnIssue, CommitComment, CreateIssue, UpdateIssue
from bot.settings import Settings

M1 = "meetings/2024-01-10.md"
M2 = "meetings/2024-02-14.md"


def _items(count: int, prefix: str = "Task") -> list[ActionItem]:
    return [item(f"{prefix} number {n}", line=n + 1) for n in range(count)]


def test_up_to_the_cap_every_new_item_is_filed(mode: str) -> None:
    plan = Notes(mode).step(notes(M1, *_items(20)))
    assert len(plan.creates) == 20 and not plan.cap_hit


def test_past_the_cap_nothing_is_filed_and_the_commit_says_why(mode: str) -> None:
    scenario = Notes(mode)
    plan = scenario.step(notes(M1, *_items(21)))
    assert plan.creates == () and plan.cap_hit and len(plan.held_back) == 21
    [comment] = plan.actions
    assert isinstance(comment, CommitComment) and comment.commit == "commit1"
    for needed in ("21 new action items", "20", "max_new_issues_per_push", "python -m bot sync"):
        assert needed in comment.body
    assert "acme/widgets" in comment.body
    assert comment.dedupe_tag in comment_tags(comment.body)
    assert scenario.repo.issues == {}


def test_the_cap_comes_from_the_settings(mode: str) -> None:
    scenario = Notes(mode, FakeRepo(settings=Settings(max_new_issues_per_push=2)))
    plan = scenario.step(notes(M1, *_items(3)))
    [comment] = plan.actions
    assert plan.cap_hit and plan.cap == 2
    assert isinstance(comment, CommitComment) and "2 new issues" in comment.body


def test_no_cap_files_everything(mode: str) -> None:
    plan = Notes(mode).step(notes(M1, *_items(45)), cap=None)
    assert len(plan.creates) == 45


def test_the_cap_holds_back_only_new_issues(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    plan = scenario.step(notes(M1, item("Fix CI", done=True)), notes(M2, *_items(25)))
    kinds = [type(a) for a in plan.actions]
    assert kinds == [CommentOnIssue, UpdateIssue, CommitComment]
    assert plan.closes and not plan.creates


def test_items_held_back_by_a_push_are_filed_by_sync_not_by_later_pushes() -> None:
    scenario = Notes("push")
    big = notes(M1, *_items(21))
    scenario.step(big)
    later = scenario.step(big, notes(M2, item("Small follow-up")))
    assert [c.title for c in later.creates] == ["Small follow-up"]
    sync = scenario.repo.push(after={M1: big}, full_sync=True, cap=None)
    assert len([a for a in sync.actions if isinstance(a, CreateIssue)]) == 21


def test_the_commit_comment_notifies_nobody() -> None:
    plan = Notes("push").step(notes(M1, *_items(21, prefix="Ask @alice about")))
    [comment] = plan.actions
    assert "@alice" not in comment.body.replace("@&#8203;alice", "")
