"""The planner's judgement calls and odd inputs (docs/decisions.md, "Judgement calls")."""

from __future__ import annotations

from dataclasses import replace

from test_plan_support import REPO, FakeRepo, Notes, files, item, key_of, notes
from test_plan_support import mode as mode  # the fixture, for every test here

from bot.markdown.issue_body import IssueMarker, parse_marker, with_marker
from bot.notes.model import NotesFile
from bot.planner.actions import AddLabels, CommentOnIssue, CreateIssue, UpdateIssue
from bot.planner.issues import IssueState
from bot.planner.plan import FROM_SETTINGS, Plan, logins_to_check, plan_changes
from bot.settings import Settings

M1 = "meetings/2024-01-10.md"
M2 = "meetings/2024-02-14.md"
M3 = "meetings/2024-03-13.md"
ARCHIVE = "meetings/archive.md"  # no date in its name: an undated file


# --- only a later meeting carries an item over ---------------------------------------------------


def test_an_undated_archive_repeating_an_item_is_recorded_silently(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M2, item("Fix CI")))
    plan = scenario.step(notes(M2, item("Fix CI")), notes(ARCHIVE, item("Fix CI", line=80)))
    assert plan.comments == () and plan.creates == () and plan.carry_overs == ()
    [update] = plan.updates
    marker = parse_marker(update.body)
    assert marker is not None and marker.seen == (ARCHIVE, M2) and marker.path == M2


def test_an_older_meeting_repeating_an_item_is_no_carry_over(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M2, item("Fix CI")))
    plan = scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Fix CI")))
    assert plan.comments == ()
    marker = parse_marker(plan.updates[0].body)
    assert marker is not None and marker.seen == (M1, M2) and marker.date == "2024-02-14"


def test_a_done_mark_in_an_archive_does_not_close_the_issue(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M2, item("Fix CI")))
    plan = scenario.step(notes(M2, item("Fix CI")), notes(ARCHIVE, item("Fix CI", done=True)))
    assert plan.closes == ()


def test_a_later_meeting_after_an_archive_still_carries_over(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M2, item("Fix CI")))
    scenario.step(notes(M2, item("Fix CI")), notes(ARCHIVE, item("Fix CI")))
    plan = scenario.step(
        notes(M2, item("Fix CI")), notes(ARCHIVE, item("Fix CI")), notes(M3, item("Fix CI"))
    )
    [comment] = plan.comments
    assert M3 in comment.body


def test_an_item_written_twice_in_one_yearly_file_is_no_carry_over(mode: str) -> None:
    yearly = "meetings/2024.md"
    scenario = Notes(mode)
    scenario.step(notes(yearly, item("Fix CI", line=40)))
    plan = scenario.step(notes(yearly, item("Fix CI", line=3), item("Fix CI", line=60)))
    assert plan.is_empty


# --- edits -------------------------------------------------------------------------------------


def test_a_renamed_and_edited_file_updates_its_issue() -> None:
    scenario = Notes("push")
    scenario.step(notes(M1, item("Write the release notes for 2.0")))
    moved = "archive/2024-01-10.md"
    plan = scenario.step(
        notes(moved, item("Write the release notes for v2.0")), renames={M1: moved}
    )
    [update] = plan.actions
    assert isinstance(update, UpdateIssue) and update.title == "Write the release notes for v2.0"
    marker = parse_marker(update.body)
    assert marker is not None and marker.path == moved and marker.seen == (moved,)


def test_the_same_item_edited_in_two_files_keeps_one_issue(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Book the venue")), notes(M2, item("Book the venue")))
    plan = scenario.step(notes(M1, item("Book the venues")), notes(M2, item("Book a venue")))
    assert plan.creates == ()
    keys = {key_of("Book the venues"), key_of("Book a venue")}
    marker = scenario.repo.issue(1).marker
    assert marker is not None and {marker.key, *marker.aliases} >= keys


def test_an_edit_back_to_the_old_text_finds_the_issue_by_its_alias(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Book the venue")))
    scenario.step(notes(M1, item("Book the venues")))
    plan = scenario.step(notes(M1, item("Book the venue")))
    assert plan.creates == () and len(scenario.repo.issues) == 1


# --- issues ------------------------------------------------------------------------------------


def _issue(number: int, marker: IssueMarker, **fields: object) -> IssueState:
    body = with_marker("body", marker)
    data = {"number": number, "title": marker.title, "state": "open", "body": body, **fields}
    return IssueState.from_github(data)


def _plan(after: dict, issues: list[IssueState], **kw: object) -> Plan:  # type: ignore[type-arg]
    return plan_changes(
        before={},
        after=after,
        renames={},
        issues=issues,
        settings=Settings(),
        assignable={},
        repo=REPO,
        commit="c1",
        full_sync=True,
        **kw,  # type: ignore[arg-type]
    )


def test_of_two_issues_with_one_key_the_first_is_the_one() -> None:
    marker = IssueMarker(key=key_of("Fix CI"), path=M1, seen=(M1,), title="Fix CI")
    issues = [_issue(9, marker), _issue(4, marker)]
    plan = _plan(files(notes(M1, item("Fix CI", done=True))), issues)
    assert {a.number for a in plan.actions if isinstance(a, UpdateIssue | CommentOnIssue)} == {4}


def test_pull_requests_and_issues_without_a_marker_are_ignored() -> None:
    marker = IssueMarker(key=key_of("Fix CI"), path=M1, seen=(M1,), title="Fix CI")
    pull = _issue(3, marker, pull_request={"url": "x"})
    plain = IssueState.from_github({"number": 5, "title": "Fix CI", "state": "open", "body": ""})
    plan = _plan(files(notes(M1, item("Fix CI"))), [pull, plain])
    assert [type(a) for a in plan.actions] == [CreateIssue]


def test_a_garbled_marker_without_paths_is_healed_by_sync() -> None:
    issue = _issue(2, IssueMarker(key=key_of("Fix CI")))
    plan = _plan(files(notes(M1, item("Fix CI"))), [issue])
    [label, update] = plan.actions
    assert label == AddLabels(2, ("action-item",))
    assert isinstance(update, UpdateIssue) and update.state is None
    marker = parse_marker(update.body)
    assert marker is not None and marker.path == M1 and marker.seen == (M1,)


def test_a_login_missing_from_assignable_is_not_assigned() -> None:
    after = files(notes(M1, item("Fix CI", assignees=["ghost"])))
    assert logins_to_check(after) == {"ghost"}
    [create] = _plan(after, []).creates
    assert create.assignees == () and "ghost" in create.body


def test_the_default_cap_is_the_settings() -> None:
    after = files(notes(M1, *[item(f"Task {n}", line=n + 1) for n in range(21)]))
    assert _plan(after, [], cap=FROM_SETTINGS).cap_hit
    assert not _plan(after, [], cap=None).cap_hit


# --- linked items ------------------------------------------------------------------------------


def test_a_link_to_the_items_own_issue_comments_nothing_extra(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    plan = scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Fix CI", linked_issue=1)))
    assert len(plan.comments) == 1 and "Carried over" in plan.comments[0].body


def test_a_link_to_an_unlinked_bot_issue_comments_nothing(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")))
    body = scenario.repo.issues[1]["body"].replace('"unlinked":false', '"unlinked":true')
    scenario.repo.human(1, body=body)
    plan = scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Other", linked_issue=1)))
    assert plan.is_empty


# --- the plan ----------------------------------------------------------------------------------


def test_plan_summaries_read_as_a_list_of_what_will_happen(mode: str) -> None:
    scenario = Notes(mode, FakeRepo(assignable={"alice"}))
    scenario.step(notes(M1, item("Fix CI")))
    plan = scenario.step(
        notes(M1, item("Fix CI", done=True)),
        notes(M2, item("Ship 2.0", assignees=["alice"], labels=["release"], line=4)),
    )
    assert plan.summary_lines() == [
        "comment on #1: done in the notes",
        "update #1: close (completed), update the generated body",
        "file issue “Ship 2.0” (meetings/2024-02-14.md:4); assign alice; "
        "label action-item, release",
    ]


def test_a_removed_notes_file_removes_its_items(mode: str) -> None:
    scenario = Notes(mode)
    scenario.step(notes(M1, item("Fix CI")), notes(M2, item("Other")))
    plan = scenario.step(notes(M2, item("Other")))
    [comment] = plan.comments
    assert comment.number == 1 and "no longer in the meeting notes" in comment.body


def test_items_keep_their_own_meeting_in_the_body(mode: str) -> None:
    scenario = Notes(mode)
    titled = replace(notes(M1, item("Fix CI")), meeting=notes(M1).meeting.__class__("Infra sync"))
    plan = scenario.step(titled)
    assert "**Infra sync**" in plan.creates[0].body


# --- text moved out of a removed file is not new -------------------------------------------------


def _push(before: list[NotesFile], after: list[NotesFile], renames: dict[str, str]) -> Plan:
    return plan_changes(
        before=files(*before),
        after=files(*after),
        renames=renames,
        issues=[],
        settings=Settings(),
        assignable={},
        repo=REPO,
        commit="c" * 40,
    )


def test_items_folded_from_a_removed_file_into_an_archive_are_not_new() -> None:
    old_report = "docs/weekly-reports/2017-12-04.md"  # outside the notes globs; gather reads it
    plan = _push(
        [notes(old_report, item("Write the blog post"))],
        [notes(ARCHIVE, item("Write the blog post"), item("Brand new thing", line=9))],
        {},
    )
    assert [c.title for c in plan.creates] == ["Brand new thing"]


def test_items_of_a_file_moved_into_the_notes_are_not_new() -> None:
    old, new = "docs/weekly-reports/2018-01-04.md", "docs/meetings/2018-01-04.md"
    plan = _push(
        [notes(old, item("Invite the speakers"))],
        [notes(new, item("Invite the speakers"))],
        {old: new},
    )
    assert plan.creates == ()


def test_an_item_in_a_file_that_stays_is_still_new_elsewhere() -> None:
    kept = "meetings/2024-01-10.md"
    plan = _push(
        [notes(kept, item("Fix CI"))], [notes(kept, item("Fix CI")), notes(M2, item("Other"))], {}
    )
    assert [c.title for c in plan.creates] == ["Other"]
