"""The preview comment's text, rendered from real plans of real notes (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from test_issue_body import notified

from bot.markdown.issue_body import comment_tags, neutralise_mentions, parse_marker, with_marker
from bot.notes import read_notes
from bot.planner.actions import CreateIssue
from bot.planner.plan import IssueState, Plan, plan_changes
from bot.preview.comment import (
    MAX_LISTED,
    PREVIEW_TAG,
    PlannedIssue,
    PreviewState,
    changes_action_items,
    filed_issues,
    find_preview_comment,
    is_preview_comment,
    preview_state,
    render_merged,
    render_preview,
    render_settings_problems,
    render_unchanged,
)
from bot.settings import Settings

REPO = "acme/notes"
BOT = "meeting-todo-bot[bot]"
M1 = "meetings/2024-05-01.md"
M2 = "meetings/2024-05-08.md"
LIVE_MENTION = re.compile(r"(?<![A-Za-z0-9_`])@(?=[A-Za-z0-9])")
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")

FIRST_MEETING = """\
---
title: Weekly sync
date: 2024-05-01
---
# Weekly sync

Roll call:
* Alice Smith / ACME / @alice
* Bob Jones / ACME / @bob
* Zed Ray / elsewhere / @zed

## Actions
- **TODO** (Alice): write the release notes
- AI(Bob, Carol): fix the flaky CI job, ask @dave
- AI(Zed): rename the mailing list
"""

SECOND_MEETING = """\
---
title: Weekly sync
date: 2024-05-08
---
# Weekly sync

## Actions
- [x] **TODO** (Alice): write the release notes
- AI(Bob, Carol): fix the flaky CI job, ask @dave
"""


def plan_of(
    after: Mapping[str, str],
    *,
    issues: list[IssueState] | None = None,
    before: Mapping[str, str] | None = None,
    commit: str = "a" * 40,
    settings: Settings | None = None,
    assignable: Mapping[str, bool] | None = None,
) -> Plan:
    settings = settings or Settings()
    return plan_changes(
        before={p: read_notes(t, p, settings) for p, t in (before or {}).items()},
        after={p: read_notes(t, p, settings) for p, t in after.items()},
        renames={},
        issues=issues or [],
        settings=settings,
        assignable=assignable if assignable is not None else {"alice": True, "bob": True},
        repo=REPO,
        commit=commit,
    )


def filed(plan: Plan, first_number: int = 1) -> list[IssueState]:
    """The issues GitHub would hold after performing ``plan``'s creates."""
    return [
        IssueState(
            number=first_number + index,
            title=create.title,
            state="open",
            state_reason=None,
            labels=create.labels,
            assignees=create.assignees,
            body=create.body,
            marker=parse_marker(create.body),
        )
        for index, create in enumerate(plan.creates)
    ]


def live_mentions(text: str) -> list[str]:
    """``@name`` that GitHub would link and notify: outside code spans, not neutralised."""
    prose = CODE_SPAN.sub("", text)
    return [prose[m.start() : m.start() + 12] for m in LIVE_MENTION.finditer(prose)]


def visible(body: str) -> str:
    """The comment without its hidden lines."""
    return "\n".join(line for line in body.splitlines() if not line.startswith("<!-- meeting"))


def test_new_items_list_title_assignees_and_labels_without_notifying_anyone() -> None:
    plan = plan_of({M1: FIRST_MEETING})
    body = render_preview(plan, issues={})
    text = visible(body)
    assert "**Open 3 issues**" in text
    assert "“write the release notes” from `meetings/2024-05-01.md`" in text
    assert "assigned to @&#8203;alice; labelled `action-item`" in text
    # Owners who resolve to nobody, and logins GitHub refuses, are named with their fix.
    assert "fix the flaky CI job" in text and ": Carol" in text
    assert "`people` in `.github/meeting-todo-bot.yml`" in text
    assert "roll call" in text
    assert "@&#8203;zed" in text and "will not assign" in text
    assert live_mentions(text) == [], text
    assert PREVIEW_TAG in comment_tags(body)


def test_the_text_names_no_commit_and_no_line_so_an_unrelated_push_changes_nothing() -> None:
    plan = plan_of({M1: FIRST_MEETING}, commit="1" * 40)
    shifted = FIRST_MEETING.replace("## Actions", "Some prose added later.\n\n## Actions")
    later = plan_of({M1: shifted}, commit="2" * 40)
    assert [c.item.line for c in later.creates] != [c.item.line for c in plan.creates]
    assert render_preview(later, issues={}) == render_preview(plan, issues={})
    assert "1111111" not in render_preview(plan, issues={})


def test_changes_to_existing_issues_one_line_each_with_the_issue_title() -> None:
    first = plan_of({M1: FIRST_MEETING})
    issues = filed(first, first_number=7)
    plan = plan_of({M2: SECOND_MEETING}, issues=issues, commit="b" * 40)
    by_number = {i.number: i for i in issues}
    text = visible(render_preview(plan, issues=by_number))
    assert "**Change 2 existing issues**" in text
    assert "#7 “write the release notes”:" in text
    line7 = next(line for line in text.splitlines() if line.startswith("- #7"))
    assert "close it as completed" in line7 and "comment (" in line7
    # The carried-over items are listed with the meeting they are in now.
    assert "**Carried over from earlier meetings**" in text
    assert "(#8), now in **Weekly sync** (2024-05-08), `meetings/2024-05-08.md`" in text
    assert "**Open" not in text


BACKTICK_TITLE_MEETING = """\
# Weekly sync

## Actions
- AI(Alice): ship `it
"""

MENTION_IN_CODE_MEETING = """\
---
title: "`@dave` sync"
date: 2024-05-08
---
# Weekly sync

## Actions
- AI(Alice): ship `it
"""


def test_a_backtick_in_one_piece_cannot_pair_with_another_to_free_a_mention() -> None:
    meeting_title = "`@dave` sync"
    # On its own the meeting title's mention is code: neutralising it piece by piece keeps it.
    assert neutralise_mentions(meeting_title) == meeting_title
    first = plan_of({M1: BACKTICK_TITLE_MEETING})
    issues = filed(first, first_number=8)
    plan = plan_of({M2: MENTION_IN_CODE_MEETING}, issues=issues, commit="b" * 40)
    text = visible(render_preview(plan, issues={i.number: i for i in issues}))
    line = next(line for line in text.splitlines() if "(#8), now in" in line)
    # The item title's lone backtick pairs with the meeting title's first one: "@dave" is text.
    assert line.startswith("- “ship `it” (#8), now in **`@")
    assert notified(line.replace("&#8203;", "")) == ["dave", "dave"]
    assert notified(text) == []


def test_a_mention_the_whole_line_puts_in_code_is_shown_as_written() -> None:
    # Piece by piece "@dave" would be neutralised, and the entity then shown inside code.
    notes = MENTION_IN_CODE_MEETING.replace('"`@dave` sync"', '"ask @dave` sync"')
    first = plan_of({M1: BACKTICK_TITLE_MEETING})
    issues = filed(first, first_number=8)
    plan = plan_of({M2: notes}, issues=issues, commit="b" * 40)
    text = visible(render_preview(plan, issues={i.number: i for i in issues}))
    assert "“ship `it” (#8), now in **ask @dave` sync**" in text
    assert notified(text) == []


def test_a_bookkeeping_only_update_is_not_called_a_text_change() -> None:
    first = plan_of({M1: FIRST_MEETING})
    issue = filed(first)[0]
    marker = parse_marker(issue.body)
    assert marker is not None
    new_body = with_marker(issue.body, replace(marker, seen=(M1, M2)))
    plan = Plan(actions=(_update(issue.number, new_body),))
    text = visible(render_preview(plan, issues={issue.number: issue}))
    assert "update the text" not in text
    assert "#1 “write the release notes”: record where the item is now" in text


def _update(number: int, body: str) -> object:
    from bot.planner.actions import UpdateIssue

    return UpdateIssue(number, body=body)


def test_the_per_push_cap_lists_what_would_be_held_back() -> None:
    plan = plan_of({M1: FIRST_MEETING}, settings=Settings(max_new_issues_per_push=2))
    assert plan.cap_hit
    body = render_preview(plan, issues={})
    text = visible(body)
    assert "per-push cap would be hit" in text
    assert "**Open 2 issues**" in text and "Hold back 1 new action item" in text
    held = text.split("Hold back")[1]
    assert "“rename the mailing list”" in held  # the last in notes order
    state = PreviewState.parse(body)
    assert state is not None and state.cap_hit
    assert [p.key for p in state.planned] == [c.key for c in (*plan.creates, *plan.held_back)]


def test_the_hidden_state_round_trips_and_cannot_end_the_comment_early() -> None:
    notes = FIRST_MEETING.replace("write the release notes", "escape --> and 1 < 2")
    plan = plan_of({M1: notes})
    body = render_preview(plan, issues={})
    state = PreviewState.parse(body)
    assert state == preview_state(plan)
    assert state.planned[0].title.startswith("escape --> and 1 < 2")
    hidden = body[body.index("<!-- meeting-todo-bot-preview-state") :]
    assert hidden.count("-->") == 1
    assert PreviewState.parse("no state here") is None
    assert PreviewState.parse("<!-- meeting-todo-bot-preview-state {not json} -->") is None


def test_an_empty_plan_changes_no_action_item_and_the_unchanged_text_keeps_the_tag() -> None:
    assert not changes_action_items(Plan())
    assert changes_action_items(plan_of({M1: FIRST_MEETING}))
    body = render_unchanged()
    assert "no longer changes any action item" in body
    assert PREVIEW_TAG in comment_tags(body)
    assert PreviewState.parse(body) == PreviewState()


def test_settings_problems_are_listed() -> None:
    body = render_settings_problems(["line 3: `labels` must be a list, ping @alice"])
    assert "`labels` must be a list" in body
    assert live_mentions(visible(body)) == []


def test_long_lists_are_cut() -> None:
    items = "\n".join(f"- **TODO**: task number {n}" for n in range(MAX_LISTED + 5))
    notes = f"# Weekly sync\n\n## Actions\n{items}\n"
    plan = plan_of({M1: notes}, settings=Settings(max_new_issues_per_push=1000))
    text = visible(render_preview(plan, issues={}))
    assert f"**Open {MAX_LISTED + 5} issues**" in text
    assert "- … and 5 more" in text
    assert text.count("“task number") == MAX_LISTED


def test_finding_the_preview_comment_by_login_and_tag() -> None:
    body = render_unchanged()
    ours = {"id": 3, "user": {"login": "Meeting-Todo-Bot[bot]"}, "body": body}
    copied = {"id": 2, "user": {"login": "mallory"}, "body": body}
    other = {"id": 4, "user": {"login": BOT}, "body": "a reply"}
    assert is_preview_comment(ours, BOT)
    assert not is_preview_comment(copied, BOT) and not is_preview_comment(other, BOT)
    assert find_preview_comment([copied, other, ours], BOT) is ours
    assert find_preview_comment([copied, other], BOT) is None


def test_filed_issues_are_found_by_key_then_alias() -> None:
    first = plan_of({M1: FIRST_MEETING})
    issues = filed(first)
    keys = [c.key for c in first.creates]
    renamed = issues[1]
    assert renamed.marker is not None
    moved_marker = replace(renamed.marker, key="new-key", aliases=(keys[1],))
    issues[1] = replace(renamed, marker=moved_marker)
    found = filed_issues(issues, [*keys, "unknown"])
    assert {k: i.number for k, i in found.items()} == {keys[0]: 1, keys[1]: 2, keys[2]: 3}


def test_after_the_merge_the_filed_issues_are_linked_and_the_rest_explained() -> None:
    plan = plan_of({M1: FIRST_MEETING})
    state = preview_state(plan)
    issues = filed(plan, first_number=12)[:2]  # the third is not there (yet)
    found = filed_issues(issues, [p.key for p in state.planned])
    waiting = render_merged(state, merge_commit="c" * 40, filed=found, push_handled=False)
    text = visible(waiting)
    assert "merged as `ccccccc`" in text
    assert "**meeting-todo-bot filed 2 issues**" in text
    assert "- #12 “write the release notes”" in text and "- #13 “fix the flaky CI job" in text
    assert "**Still to be filed**" in text and "“rename the mailing list”" in text
    merged = PreviewState.parse(waiting)
    assert merged is not None and merged.merged == "c" * 40 and merged.planned == state.planned
    final = render_merged(merged, merge_commit="c" * 40, filed=found, push_handled=True)
    assert "**Not filed**" in visible(final) and "Still to be filed" not in final
    capped = replace(merged, cap_hit=True)
    held = render_merged(capped, merge_commit="c" * 40, filed={}, push_handled=True)
    assert "held back by the per-push cap" in held
    nothing = render_merged(
        PreviewState(touched=(3,)), merge_commit="", filed={}, push_handled=True
    )
    assert "was merged." in nothing and "brought #3 in line" in nothing


def test_planned_issue_order_follows_the_plan() -> None:
    plan = plan_of({M1: FIRST_MEETING})
    assert preview_state(plan).planned == tuple(
        PlannedIssue(c.key, c.title) for c in plan.actions if isinstance(c, CreateIssue)
    )
