"""Each planning rule of docs/decisions.md, in push mode and in full-sync mode.

A ``Notes`` scenario holds the whole notes tree; ``step`` moves it to a new tree and plans the
change the way the mode sees it (push: only the changed files, with renames; sync: every file),
then applies the plan to the in-memory repository.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_plan_support import REPO, FakeRepo, Notes, files, item, key_of, notes
from test_plan_support import mode as mode  # the fixture, for every test here

from bot.markdown.issue_body import comment_tags, parse_marker
from bot.planner.actions import (
    AddAssignees,
    AddLabels,
    CommentOnIssue,
    CreateIssue,
    UpdateIssue,
)
from bot.settings import Settings

M1 = "meetings/2024-01-10.md"
M2 = "meetings/2024-02-14.md"
M3 = "meetings/2024-03-13.md"


# --- new items ---------------------------------------------------------------------------------


def test_new_item_files_one_issue_with_labels_assignees_and_context(mode: str) -> None:
    repo = FakeRepo(assignable={"alice"}, settings=Settings(labels=("action-item", "meeting")))
    scenario = Notes(mode, repo)
    todo = item(
        "Write the release notes",
        line=12,
        owners=["Alice", "@bob"],
        assignees=["alice", "bob"],
        unresolved=["Carol"],
        labels=["docs"],
    )
    plan = scenario.step(notes(M1, todo, title="Team sync", date="2024-01-10"))
    [create] = plan.actions
    assert isinstance(create, CreateIssue)
    assert create.title == "Write the release notes"
    assert create.labels == ("action-item", "meeting", "docs")
    assert create.assignees == ("alice",)  # bob is not accepted by GitHub: named, not assigned
    assert f"https://github.com/{REPO}/blob/commit1/{M1}#L12" in create.body
    assert "Team sync" in create.body and "2024-01-10" in create.body
    assert "Carol" in create.body and "roll call" in create.body
    assert "Not assigned" in create.body and "bob" in create.body
    assert plan.unresolved[0].names == ("Carol",)
    assert plan.unassignable[0].logins == ("bob",)
    marker = parse_marker(create.body)
    assert marker is not None
    assert (marker.key, marker.path, marker.line, marker.seen) == (todo.key, M1, 12, (M1,))
    assert marker.labels == create.labels and marker.assignees == ("alice",)


def test_done_item_without_issue_files_nothing(mode: str) -> None:
    plan = Notes(mode).step(notes(M1, item("Ship it", done=True)))
    assert plan.is_empty


def test_same_key_twice_files_one_issue_from_the_first_occurrence(mode: str) -> None:
    scenario = Notes(mode)
    plan = scenario.step(
        notes(M2, item("Fix CI", line=4)),
        notes(M1, item("Fix CI", line=30), item("Fix CI", line=9)),
    )
    [create] = plan.creates
    assert (create.item.path, create.item.line) == (M1, 9)
    marker = parse_marker(create.body)
    assert marker is not None and marker.seen == (M1, M2)


def test_items_are_filed_in_path_then_line_order(mode: str) -> None:
    plan = Notes(mode).step(
        notes(M2, item("Zeta", line=2)),
        notes(M1, item("Beta", line=8), item("Alpha", line=3)),
    )
    assert [c.title for c in plan.creates] == ["Alpha", "Beta", "Zeta"]


def test_an_old_file_edited_in_a_push_does_not_back_file_its_old_items() -> None:
    scenario = Notes("push")
    scenario.tree = files(notes(M1, item("Old item")))  # before the app was installed
    plan = scenario.step(notes(M1, item("Old item"), item("New item", line=5)))
    assert [c.title for c in plan.creates] == ["New item"]


def test_sync_back_files_old_items() -> None:
    scenario = Notes("sync")
    scenario.tree = files(notes(M1, item("Old item")))
    plan = scenario.step(notes(M1, item("Old item"), item("New item", line=5)))
    assert [c.title for c in plan.creates] == ["Old item", "New item"]


# --- unchanged ---------------------------------------------------------------------------------


def test_unchanged_items_give_an_empty_plan_even_when_lines_shift(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI", line=3), item("Ping infra", line=6)))
    # a meeting inserted above: every line moves, nothing else changes
    plan = scenario.step(notes(M1, item("Fix CI", line=23), item("Ping infra", line=26)))
    assert plan.is_empty, plan.summary_lines()


def test_a_push_that_changes_other_files_writes_nothing() -> None:
    scenario = Notes("push")
    scenario.step(notes(M1, item("Fix CI")))
    plan = scenario.step(notes(M1, item("Fix CI")), notes(M2, title="Agenda only"))
    assert plan.is_empty


# --- edited in place ---------------------------------------------------------------------------


def test_an_item_edited_in_place_updates_its_issue(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Write the release notes for 2.0", line=5)))
    plan = scenario.step(notes(M1, item("Write the release notes for v2.0", line=5)))
    assert plan.creates == ()
    [update] = plan.actions
    assert isinstance(update, UpdateIssue) and update.number == 1
    assert update.title == "Write the release notes for v2.0"
    marker = parse_marker(update.body)
    assert marker is not None
    assert marker.key == key_of("Write the release notes for v2.0")
    assert key_of("Write the release notes for 2.0") in marker.aliases
    assert repo_keys(scenario) == {key_of("Write the release notes for v2.0"): [1]}


def repo_keys(scenario: Notes) -> dict[str, list[int]]:
    return scenario.repo.by_key()


def test_an_edit_pairs_with_the_most_similar_new_item(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Book the venue for the sprint", line=5)))
    plan = scenario.step(
        notes(
            M1,
            item("Order pizza for everyone", line=5),
            item("Book the venue for the spring sprint", line=6),
        )
    )
    assert [c.title for c in plan.creates] == ["Order pizza for everyone"]
    [update] = plan.updates
    assert update.number == 1 and update.title == "Book the venue for the spring sprint"


def test_a_rewrite_too_different_is_a_new_item_and_a_removal(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix the flaky CI job", line=5)))
    plan = scenario.step(notes(M1, item("Plan the community call", line=5)))
    assert [c.title for c in plan.creates] == ["Plan the community call"]
    [comment] = plan.comments
    assert comment.number == 1 and "no longer in the meeting notes" in comment.body


def test_an_edit_of_an_item_that_never_had_an_issue_is_not_filed_by_a_push() -> None:
    scenario = Notes("push")
    scenario.tree = files(notes(M1, item("Tidy the wiki pages")))  # from before the install
    plan = scenario.step(notes(M1, item("Tidy up the wiki pages")))
    assert plan.is_empty


# --- renamed and moved -------------------------------------------------------------------------


def test_a_renamed_file_moves_its_issues_silently() -> None:
    scenario = Notes("push")
    scenario.step(notes(M1, item("Fix CI", line=3), item("Ping infra", line=8)))
    new_path = "archive/2024/2024-01-10.md"
    plan = scenario.step(
        notes(new_path, item("Fix CI", line=3), item("Ping infra", line=8)), renames={M1: new_path}
    )
    assert all(isinstance(a, UpdateIssue) for a in plan.actions)
    assert [(u.title, u.state) for u in plan.updates] == [(None, None), (None, None)]
    for update in plan.updates:
        marker = parse_marker(update.body)
        assert marker is not None and marker.path == new_path and marker.seen == (new_path,)
        assert f"/blob/commit2/{new_path}#L" in (update.body or "")


def test_seventy_five_renamed_files_make_no_comment_and_no_issue() -> None:
    scenario = Notes("push")
    old = [
        notes(
            f"docs/monthly-meeting/2019-{n:02d}.md",
            item(f"Task {n} a"),
            item(f"Task {n} b", line=9),
        )
        for n in range(75)
    ]
    scenario.step(*old, cap=None)
    assert len(scenario.repo.issues) == 150
    renames = {n.path: n.path.replace("monthly-meeting", "meetings/community") for n in old}
    moved = [replace(notes(renames[n.path], *n.items), meeting=n.meeting) for n in old]
    plan = scenario.step(*moved, renames=renames)
    assert plan.creates == () and plan.comments == () and plan.additions == ()
    assert all(
        isinstance(a, UpdateIssue) and a.title is None and a.state is None for a in plan.actions
    )
    assert len(scenario.repo.issues) == 150
    # and the moved files behave as before: editing one later is no carry-over
    edited = [*moved[1:], notes(moved[0].path, *moved[0].items, item("Task 0 c", line=20))]
    later = scenario.step(*edited)
    assert [a.summary.split(" (")[0] for a in later.actions] == ["file issue “Task 0 c”"]


def test_sync_heals_a_missed_rename_without_comments() -> None:
    scenario = Notes("sync")
    scenario.step(notes(M1, item("Fix CI")))
    plan = scenario.step(notes("archive/" + M1, item("Fix CI")))
    [update] = plan.actions
    assert isinstance(update, UpdateIssue) and update.state is None
    marker = parse_marker(update.body)
    assert marker is not None and marker.path == "archive/" + M1


def test_an_item_moved_from_a_deleted_file_follows_silently(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes("weekly/2018-01.md", item("Fix CI")), notes(M1, item("Other")))
    # the weekly reports are folded into one archive file (no rename detected by git)
    plan = scenario.step(
        notes("meetings/archive.md", item("Fix CI", line=40)), notes(M1, item("Other"))
    )
    assert plan.comments == () and plan.creates == ()
    [update] = plan.updates
    marker = parse_marker(update.body)
    assert marker is not None and marker.seen == ("meetings/archive.md",)


# --- carried over ------------------------------------------------------------------------------


def test_a_carried_over_item_gets_one_comment_and_no_new_issue(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI", line=4)))
    plan = scenario.step(
        notes(M1, item("Fix CI", line=4)), notes(M2, item("Fix CI", line=7), title="February")
    )
    assert plan.creates == ()
    [comment] = plan.comments
    assert comment.number == 1 and "February" in comment.body
    assert f"/blob/commit2/{M2}#L7" in comment.body
    [update] = plan.updates
    assert update.state is None and update.title is None
    marker = parse_marker(update.body)
    assert marker is not None and marker.seen == (M1, M2) and marker.path == M1
    [carry] = plan.carry_overs
    assert (carry.number, carry.item.path, carry.reopened) == (1, M2, False)


@pytest.mark.parametrize("closed_by_command", [False, True])
def test_a_carried_over_item_reopens_an_issue_closed_as_completed(
    mode: str, closed_by_command: bool
) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    if closed_by_command:  # what `/todo done` leaves behind
        scenario.step(notes(M1, item("Fix CI")))
        marker = scenario.repo.issue(1).marker
        assert marker is not None
        body = scenario.repo.issues[1]["body"].replace('"closed_by":null', '"closed_by":"command"')
        scenario.repo.human(1, body=body)
    scenario.repo.human(1, state="closed", state_reason="completed")
    plan = scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Fix CI")))
    [comment] = plan.comments
    assert "Reopening" in comment.body
    [update] = plan.updates
    assert (update.state, update.state_reason) == ("open", "reopened")
    assert plan.actions.index(comment) < plan.actions.index(update)
    marker = parse_marker(update.body)
    assert marker is not None and marker.closed_by is None


def test_a_carried_over_item_never_reopens_a_not_planned_close(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    scenario.repo.human(1, state="closed", state_reason="not_planned")
    plan = scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Fix CI")))
    assert len(plan.comments) == 1
    assert [u.state for u in plan.updates] == [None]


def test_reopening_carried_over_items_can_be_turned_off(mode: str) -> None:
    scenario = Notes(mode, FakeRepo(settings=Settings(reopen_carried_over=False)))
    scenario.step(notes(M1, item("Fix CI")))
    scenario.repo.human(1, state="closed", state_reason="completed")
    plan = scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Fix CI")))
    assert len(plan.comments) == 1 and "Reopening" not in plan.comments[0].body
    assert [u.state for u in plan.updates] == [None]


def test_an_item_carried_over_as_done_closes_its_issue_with_one_comment(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    plan = scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Fix CI", done=True, line=3)))
    [comment] = plan.comments
    assert "done" in comment.body and f"{M2}#L3" in comment.body
    [update] = plan.updates
    assert (update.state, update.state_reason) == ("closed", "completed")


def test_a_carry_over_into_a_new_meeting_adds_the_new_owner(mode: str) -> None:
    scenario = Notes(mode, FakeRepo(assignable={"alice", "bob"}))
    scenario.step(notes(M1, item("Fix CI", assignees=["alice"])))
    plan = scenario.step(
        notes(M1, item("Fix CI", assignees=["alice"])), notes(M2, item("Fix CI", assignees=["bob"]))
    )
    assert [a.logins for a in plan.actions if isinstance(a, AddAssignees)] == [("bob",)]
    assert [a["login"] for a in scenario.repo.issues[1]["assignees"]] == ["alice", "bob"]


# --- done --------------------------------------------------------------------------------------


def test_a_done_item_closes_its_issue_as_completed_with_a_comment(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI", line=4)))
    plan = scenario.step(notes(M1, item("Fix CI", line=4, done=True)))
    [comment, update] = plan.actions
    assert isinstance(comment, CommentOnIssue) and f"/blob/commit2/{M1}#L4" in comment.body
    assert isinstance(update, UpdateIssue)
    assert (update.state, update.state_reason, update.title) == ("closed", "completed", None)
    marker = parse_marker(update.body)
    assert marker is not None and marker.done and marker.closed_by == "notes"


def test_a_done_issue_reopened_by_a_person_stays_open(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    scenario.step(notes(M1, item("Fix CI", done=True)))
    scenario.repo.human(1, state="open", state_reason="reopened")
    plan = scenario.step(notes(M1, item("Fix CI", done=True)), notes(M3, item("Unrelated")))
    assert [a.summary.split(" (")[0] for a in plan.actions] == ["file issue “Unrelated”"]


def test_an_item_unticked_in_the_notes_reopens_what_the_notes_closed(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    scenario.step(notes(M1, item("Fix CI", done=True)))
    plan = scenario.step(notes(M1, item("Fix CI")))
    [comment, update] = plan.actions
    assert isinstance(comment, CommentOnIssue) and "Reopening" in comment.body
    assert isinstance(update, UpdateIssue) and update.state == "open"


def test_an_untick_does_not_reopen_what_a_person_closed(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    scenario.step(notes(M1, item("Fix CI", done=True)))
    scenario.repo.human(1, state="open", state_reason="reopened")
    scenario.repo.human(1, state="closed", state_reason="completed")
    body = scenario.repo.issues[1]["body"].replace('"closed_by":"notes"', '"closed_by":null')
    scenario.repo.human(1, body=body)
    plan = scenario.step(notes(M1, item("Fix CI")))
    assert [u.state for u in plan.updates] == [None]  # the marker learns "not done", no reopen
    assert plan.comments == ()


def test_an_issue_closed_by_a_command_is_not_reopened_by_sync() -> None:
    scenario = Notes("sync")
    scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Fix CI")))
    body = scenario.repo.issues[1]["body"].replace('"closed_by":null', '"closed_by":"command"')
    scenario.repo.human(1, body=body, state="closed", state_reason="completed")
    assert scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Fix CI"))).is_empty
    # ... unless the item comes up again, not done, in a later meeting
    plan = scenario.step(
        notes(M1, item("Fix CI")), notes(M2, item("Fix CI")), notes(M3, item("Fix CI"))
    )
    assert [u.state for u in plan.updates] == ["open"]


# --- linked ------------------------------------------------------------------------------------


def test_a_linked_item_comments_on_the_linked_issue_and_files_nothing(mode: str) -> None:
    scenario = Notes(mode)
    plan = scenario.step(notes(M1, item("Review the roadmap", line=6, linked_issue=123)))
    [comment] = plan.actions
    assert isinstance(comment, CommentOnIssue) and comment.number == 123
    assert f"{M1}#L6" in comment.body
    assert comment.dedupe_tag in comment_tags(comment.body)


def test_a_linked_item_is_mentioned_once_per_push_only_when_new() -> None:
    scenario = Notes("push")
    scenario.step(notes(M1, item("Review the roadmap", linked_issue=123)))
    plan = scenario.step(
        notes(M1, item("Review the roadmap", linked_issue=123), item("Other", line=9))
    )
    assert [type(a).__name__ for a in plan.actions] == ["CreateIssue"]


def test_sync_always_emits_linked_comments_and_the_tag_makes_them_idempotent() -> None:
    scenario = Notes("sync")
    tree = notes(M1, item("Review the roadmap", linked_issue=123))
    scenario.step(tree)
    again = scenario.plan(tree)
    [comment] = again.actions
    assert isinstance(comment, CommentOnIssue)
    writes = scenario.repo.writes
    scenario.repo.apply(again)
    assert scenario.repo.writes == writes  # already posted: the executor skips it
    assert len(scenario.repo.comments[123]) == 1


# --- removed -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "comments", "state"),
    [("comment", 1, None), ("close", 1, "closed"), ("ignore", 0, None)],
)
def test_a_removed_item_is_handled_as_the_setting_says(
    mode: str, policy: str, comments: int, state: str | None
) -> None:
    scenario = Notes(mode, FakeRepo(settings=Settings(removed_items=policy)))  # type: ignore[arg-type]
    scenario.step(notes(M1, item("Fix CI"), item("Keep me", line=5)))
    plan = scenario.step(notes(M1, item("Keep me", line=5)))
    assert len(plan.comments) == comments
    [update] = plan.updates
    assert update.number == 1 and update.state == state
    if state == "closed":
        assert update.state_reason == "not_planned"
    marker = parse_marker(update.body)
    assert marker is not None and marker.removed
    # said once: later changes elsewhere do not repeat it
    assert scenario.step(notes(M1, item("Keep me", line=5)), notes(M2)).is_empty


def test_a_removed_item_found_in_another_file_is_not_removed(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Fix CI")))
    plan = scenario.step(notes(M1), notes(M2, item("Fix CI")))
    assert plan.comments == ()


def test_a_push_cannot_call_an_item_removed_from_a_file_it_did_not_see() -> None:
    scenario = Notes("push")
    scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Fix CI")))
    plan = scenario.step(notes(M1), notes(M2, item("Fix CI")))  # M2 untouched: still has it
    assert plan.is_empty


def test_a_closed_issue_gets_no_removal_comment(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    scenario.repo.human(1, state="closed", state_reason="completed")
    plan = scenario.step(notes(M1))
    assert plan.comments == () and [u.state for u in plan.updates] == [None]


def test_a_removed_item_that_comes_back_to_its_file_says_so_each_time(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    for _ in range(2):
        scenario.step(notes(M1))
        plan = scenario.step(notes(M1, item("Fix CI")))
        [comment] = plan.comments
        assert comment.body.startswith("Back in the notes of")
    assert len(scenario.repo.comments[1]) == 4  # removed, back, removed, back


def test_a_removed_item_that_comes_back_is_a_carry_over(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    scenario.step(notes(M1))
    plan = scenario.step(notes(M1), notes(M2, item("Fix CI")))
    assert plan.creates == ()
    [comment] = plan.comments
    assert "Carried over" in comment.body


# --- unlinked ----------------------------------------------------------------------------------


def test_an_unlinked_issue_is_never_touched_nor_its_key_filed_again(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    body = scenario.repo.issues[1]["body"].replace('"unlinked":false', '"unlinked":true')
    scenario.repo.human(1, body=body)
    plan = scenario.step(notes(M1, item("Fix CI", done=True)), notes(M2, item("Fix CI")))
    assert plan.is_empty, plan.summary_lines()
    assert scenario.step(notes(M2)).is_empty  # nor is its removal


def test_an_edit_of_an_unlinked_item_is_not_filed_either(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix the flaky CI job")))
    body = scenario.repo.issues[1]["body"].replace('"unlinked":false', '"unlinked":true')
    scenario.repo.human(1, body=body)
    assert scenario.step(notes(M1, item("Fix the flaky CI jobs"))).is_empty


# --- order -------------------------------------------------------------------------------------


def test_actions_come_in_path_then_line_order(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("A one", line=2)), notes(M2, item("B one", line=2)))
    plan = scenario.step(
        notes(M1, item("A one", line=2, done=True), item("A two", line=9)),
        notes(M2, item("B one", line=2, done=True), item("B zero", line=1)),
    )
    anchors = [
        a.item.path if isinstance(a, CreateIssue) else scenario.repo.issue(a.number).marker.path  # type: ignore[union-attr]
        for a in plan.actions
        if not isinstance(a, AddLabels)
    ]
    assert anchors == sorted(anchors)
    assert [a.summary.split(":")[0] for a in plan.actions] == [
        "comment on #1",
        "update #1",
        "file issue “A two” (meetings/2024-01-10.md",
        "file issue “B zero” (meetings/2024-02-14.md",
        "comment on #2",
        "update #2",
    ]
