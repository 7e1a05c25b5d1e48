"""Humans win: the bot never reverts what a person changed on GitHub.

It compares GitHub's current title, labels, assignees and state with what its marker says it
last set, adds only what the notes newly ask for, never removes, and rewrites only the fenced
part of the body.
"""

from __future__ import annotations

from test_plan_support import FakeRepo, Notes, item, notes
from test_plan_support import mode as mode  # the fixture, for every test here

from bot.markdown.issue_body import GENERATED_END, GENERATED_START, generated_part, parse_marker
from bot.planner.actions import AddAssignees, AddLabels, UpdateIssue
from bot.settings import Settings

M1 = "meetings/2024-01-10.md"
M2 = "meetings/2024-02-14.md"
TITLE = "Write the release notes for 2.0"
EDITED = "Write the release notes for v2.0"


def _labels(repo: FakeRepo, number: int) -> list[str]:
    return [label["name"] for label in repo.issues[number]["labels"]]


def _assignees(repo: FakeRepo, number: int) -> list[str]:
    return [a["login"] for a in repo.issues[number]["assignees"]]


def test_a_title_a_person_changed_is_kept_when_the_item_is_edited(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item(TITLE)))
    scenario.repo.human(1, title="Release notes (owner: docs team)")
    plan = scenario.step(notes(M1, item(EDITED)))
    [update] = plan.actions
    assert isinstance(update, UpdateIssue)
    assert update.title is None and update.body is not None and EDITED in update.body
    assert scenario.repo.issues[1]["title"] == "Release notes (owner: docs team)"
    marker = parse_marker(update.body)
    assert marker is not None and marker.title == TITLE  # still what the bot last set


def test_a_title_nobody_touched_follows_the_notes(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item(TITLE)))
    scenario.step(notes(M1, item(EDITED)))
    assert scenario.repo.issues[1]["title"] == EDITED


def test_a_label_a_person_removed_is_not_added_back(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item(TITLE, labels=["docs"])))
    scenario.repo.human(1, labels=["triaged"])
    plan = scenario.step(notes(M1, item(EDITED, labels=["docs"])))
    assert not [a for a in plan.actions if isinstance(a, AddLabels)]
    assert _labels(scenario.repo, 1) == ["triaged"]


def test_a_label_the_notes_newly_ask_for_is_added_and_nothing_removed(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item(TITLE, labels=["docs"])))
    scenario.repo.human(1, labels=["docs", "triaged"])
    plan = scenario.step(notes(M1, item(EDITED, labels=["release"])))
    assert [a.labels for a in plan.actions if isinstance(a, AddLabels)] == [("release",)]
    assert _labels(scenario.repo, 1) == ["docs", "triaged", "release"]


def test_labels_compare_without_case(mode: str) -> None:
    scenario = Notes(mode, FakeRepo(settings=Settings(labels=("Action-Item",))))
    scenario.step(notes(M1, item(TITLE)))
    scenario.repo.human(1, labels=["action-item"])
    plan = scenario.step(notes(M1, item(EDITED, labels=["ACTION-ITEM"])))
    assert not [a for a in plan.actions if isinstance(a, AddLabels)]


def test_a_label_a_person_added_first_is_recorded_and_not_added_back_later(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item(TITLE)))
    scenario.repo.human(1, labels=["action-item", "docs"])
    plan = scenario.step(notes(M1, item(EDITED, labels=["docs"])))
    assert not [a for a in plan.actions if isinstance(a, AddLabels)]
    scenario.repo.human(1, labels=["action-item"])  # the person changes their mind
    plan = scenario.step(notes(M1, item(TITLE + " soon", labels=["docs"])))
    assert not [a for a in plan.actions if isinstance(a, AddLabels)]


def test_an_assignee_a_person_removed_is_not_assigned_again(mode: str) -> None:
    scenario = Notes(mode, FakeRepo(assignable={"alice", "bob"}))
    scenario.step(notes(M1, item(TITLE, assignees=["alice"])))
    scenario.repo.human(1, assignees=["carol"])
    plan = scenario.step(notes(M1, item(EDITED, assignees=["alice", "bob"])))
    assert [a.logins for a in plan.actions if isinstance(a, AddAssignees)] == [("bob",)]
    assert _assignees(scenario.repo, 1) == ["carol", "bob"]


def test_an_assignee_github_refuses_is_named_not_assigned(mode: str) -> None:
    scenario = Notes(mode, FakeRepo(assignable={"alice"}))
    plan = scenario.step(notes(M1, item(TITLE, assignees=["alice", "outsider"])))
    [create] = plan.creates
    assert create.assignees == ("alice",) and "outsider" in create.body
    assert [u.logins for u in plan.unassignable] == [("outsider",)]


def test_an_assignee_accepted_later_is_added_then(mode: str) -> None:
    repo = FakeRepo(assignable={"alice"})
    scenario = Notes(mode, repo)
    scenario.step(notes(M1, item(TITLE, assignees=["alice", "newcomer"])))
    repo.assignable.add("newcomer")
    # the next push that touches the file (or a sync) sees it
    todo = item(TITLE, assignees=["alice", "newcomer"])
    plan = scenario.step(notes(M1, todo, item("Another thing", line=9)))
    assert [a.logins for a in plan.actions if isinstance(a, AddAssignees)] == [("newcomer",)]
    [update] = plan.updates
    assert update.body is not None and "Not assigned" not in update.body


def test_no_more_than_ten_assignees(mode: str) -> None:
    people = [f"user{n}" for n in range(12)]
    scenario = Notes(mode, FakeRepo(assignable=set(people)))
    plan = scenario.step(notes(M1, item(TITLE, assignees=people)))
    [create] = plan.creates
    assert len(create.assignees) == 10


def test_an_issue_a_person_closed_stays_closed_when_the_item_changes(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item(TITLE)))
    scenario.repo.human(1, state="closed", state_reason="completed")
    plan = scenario.step(notes(M1, item(EDITED)))
    assert [u.state for u in plan.updates] == [None]
    assert scenario.repo.issues[1]["state"] == "closed"


def test_an_issue_a_person_reopened_stays_open_while_the_notes_say_done(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item(TITLE)))
    scenario.step(notes(M1, item(TITLE, done=True)))
    scenario.repo.human(1, state="open", state_reason="reopened")
    plan = scenario.step(notes(M1, item(EDITED, done=True)))
    assert [u.state for u in plan.updates] == [None]


def test_only_the_generated_part_of_the_body_is_rewritten(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item(TITLE)))
    body = scenario.repo.issues[1]["body"]
    scenario.repo.human(1, body=f"Context from the PM.\n\n{body}\n\nLinks: #12, #13\n")
    plan = scenario.step(notes(M1, item(EDITED)))
    [update] = plan.updates
    assert update.body is not None
    assert update.body.startswith("Context from the PM.\n\n" + GENERATED_START)
    assert update.body.rstrip().endswith("Links: #12, #13")
    part = generated_part(update.body)
    assert part is not None and EDITED in part and TITLE + "\n" not in part


def test_a_generated_part_a_person_deleted_is_not_restored_while_the_item_is_unchanged(
    mode: str,
) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item(TITLE)))
    marker = parse_marker(scenario.repo.issues[1]["body"])
    assert marker is not None
    scenario.repo.human(1, body="Rewritten by a person.\n\n" + marker.comment())
    assert scenario.step(notes(M1, item(TITLE)), notes(M2, item("Other"))).creates
    assert GENERATED_END not in scenario.repo.issues[1]["body"]
    # ... and comes back, on top, when the item itself changes
    scenario.step(notes(M1, item(EDITED)), notes(M2, item("Other")))
    body = scenario.repo.issues[1]["body"]
    assert body.startswith(GENERATED_START) and "Rewritten by a person." in body
