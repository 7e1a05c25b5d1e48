"""Properties over random histories of notes: whatever the pushes, the planner keeps its promises.

Each example is a short history of notes trees (three dated meetings and an undated archive,
items drawn from a small vocabulary with near-duplicates, done marks, owners and links). Every
push is planned, applied, and planned again: the second plan must write nothing (``Notes.step``
checks it). Then one issue per item, and a full sync afterwards is a fixed point.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_plan_support import FakeRepo, Notes, effective_writes, files, item, notes

from bot.notes.model import ActionItem, NotesFile
from bot.settings import RemovedItemPolicy, Settings

PATHS = ("m/2024-01-10.md", "m/2024-02-14.md", "m/2024-03-13.md", "m/archive.md")
TITLES = (
    "Fix the flaky CI job",
    "Fix the flaky CI jobs",
    "Book the venue for the sprint",
    "Write the release notes",
    "Ask the council about funding",
    "Plan the community call",
)


@st.composite
def an_item(draw: st.DrawFn) -> ActionItem:
    title = draw(st.sampled_from(TITLES))
    return item(
        title,
        done=draw(st.booleans()),
        assignees=draw(st.sampled_from([(), ("alice",), ("bob",), ("alice", "bob")])),
        linked_issue=draw(st.sampled_from([None, None, None, 77])),
    )


@st.composite
def a_tree(draw: st.DrawFn) -> list[NotesFile]:
    tree = []
    for path in PATHS:
        if draw(st.booleans()):
            items = draw(st.lists(an_item(), max_size=3))
            tree.append(
                notes(
                    path,
                    *(
                        i.__class__(**{**i.__dict__, "line": n * 5 + 1})
                        for n, i in enumerate(items)
                    ),
                )
            )
    return tree


def _one_issue_per_key(repo: FakeRepo) -> None:
    owner: dict[str, int] = {}
    for state in repo.states():
        marker = state.marker
        assert marker is not None
        for key in (marker.key, *marker.aliases):
            if key in owner:
                # an alias may repeat a key only if that key's own issue is the first one
                assert owner[key] < state.number and key in marker.aliases, (key, owner, state)
            owner.setdefault(key, state.number)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["push", "sync"]), st.lists(a_tree(), min_size=1, max_size=4))
def test_random_histories_keep_every_promise(mode: str, history: list[list[NotesFile]]) -> None:
    scenario = Notes(mode, FakeRepo(assignable={"alice"}))
    for tree in history:
        scenario.step(*tree)  # applies, then checks that planning it again writes nothing
        _one_issue_per_key(scenario.repo)
    final = files(*history[-1])
    scenario.repo.push(after=final, full_sync=True, cap=None)
    again = scenario.repo.plan(after=final, full_sync=True, cap=None)
    assert effective_writes(scenario.repo, again) == 0, again.summary_lines()
    _one_issue_per_key(scenario.repo)
    # after a sync, every item that is not done, linked or settled has an issue
    keys = {
        k for s in scenario.repo.states() if s.marker for k in (s.marker.key, *s.marker.aliases)
    }
    for notes_file in final.values():
        for todo in notes_file.items:
            if not todo.done and todo.linked_issue is None:
                linked_elsewhere = any(
                    i.key == todo.key and i.linked_issue is not None
                    for n in final.values()
                    for i in n.items
                )
                done_later = any(
                    i.key == todo.key and i.done for n in final.values() for i in n.items
                )
                assert todo.key in keys or linked_elsewhere or done_later, todo.title


@st.composite
def a_step(draw: st.DrawFn) -> tuple[list[NotesFile], bool, str | None]:
    """A new tree, whether it moves its first file, and what a person does before the push."""
    human = draw(st.sampled_from([None, None, "close", "not_planned", "reopen", "retitle"]))
    return draw(a_tree()), draw(st.booleans()), human


def _human(repo: FakeRepo, act: str | None) -> None:
    if act is None or not repo.issues:
        return
    number = min(repo.issues)
    if act == "close":
        repo.human(number, state="closed", state_reason="completed")
    elif act == "not_planned":
        repo.human(number, state="closed", state_reason="not_planned")
    elif act == "reopen":
        repo.human(number, state="open", state_reason="reopened")
    else:
        repo.human(number, title="Retitled by a person")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["push", "sync"]),
    st.sampled_from(["comment", "close", "ignore"]),
    st.booleans(),
    st.lists(a_step(), min_size=1, max_size=4),
)
def test_random_histories_with_moves_and_people_stay_idempotent(
    mode: str,
    removed_items: RemovedItemPolicy,
    reopen: bool,
    history: list[tuple[list[NotesFile], bool, str | None]],
) -> None:
    policy = Settings(removed_items=removed_items, reopen_carried_over=reopen)
    scenario = Notes(mode, FakeRepo(settings=policy, assignable={"alice", "bob"}))
    for tree, move, human in history:
        _human(scenario.repo, human)
        renames: dict[str, str] = {}
        if move and tree and tree[0].path in scenario.tree:
            first = tree[0]
            renames = {first.path: "moved/" + first.path}
            tree = [
                notes(
                    renames[first.path],
                    *first.items,
                    title=first.meeting.title,
                    date=first.meeting.date,
                ),
                *tree[1:],
            ]
        scenario.step(*tree, renames=renames)  # applies, then: planning it again writes nothing
        _one_issue_per_key(scenario.repo)
