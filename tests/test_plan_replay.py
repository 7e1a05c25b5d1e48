"""The planner alone over team-compass's real notes history (152 pushes), with the real reader.

No server and no HTTP: each push is planned in push mode from the files it changed, applied to
the in-memory repository of ``test_plan_support``, and planned again (a redelivery), which must
write nothing. Skipped when ../shared is absent. The server-level replay is tests/test_replay.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_plan_support import FakeRepo

from bot.notes.model import NotesFile
from bot.notes.reader import read_notes
from bot.planner.actions import CommentOnIssue, CreateIssue, UpdateIssue
from bot.planner.plan import Plan
from bot.settings import DEFAULT_SETTINGS, is_notes_path

ROOT = Path(__file__).resolve().parents[1]
REPLAY = ROOT / ".." / "shared" / "corpus" / "replay" / "team-compass-pushes.jsonl"
ASSIGNABLE = {"minrk", "betatim", "choldgraf", "willingc", "consideRatio", "yuvipanda"}


def _is_notes(path: str) -> bool:
    return is_notes_path(path, DEFAULT_SETTINGS)


@dataclass
class Replayed:
    """The planner's work over the whole history."""

    repo: FakeRepo
    plans: list[Plan] = field(default_factory=list)
    rename_push: int = -1
    renaming_pushes: set[int] = field(default_factory=set)
    unchanged_pushes: list[int] = field(default_factory=list)


def _push_args(
    entry: Mapping[str, Any], tree: dict[str, str], parsed: dict[str, NotesFile]
) -> tuple[dict[str, Any], bool]:
    """``before``/``after``/``renames`` for one push (updating ``tree``), and whether any item
    changed by more than its line."""
    before: dict[str, NotesFile] = {}
    after: dict[str, NotesFile] = {}
    renames: dict[str, str] = {}
    for change in entry["files"]:
        name, status = change["filename"], change["status"]
        old = change.get("previous_filename") or name
        if _is_notes(old) and old in parsed:
            before[old] = parsed[old]
        if status == "renamed":
            tree[name] = tree.pop(old, "")
            if _is_notes(old) and _is_notes(name):
                renames[old] = name
            parsed.pop(old, None)
        if status == "removed":
            tree.pop(name, None)
            parsed.pop(name, None)
            continue
        if change.get("content") is not None:
            tree[name] = change["content"]
        if _is_notes(name):
            parsed[name] = read_notes(tree.get(name, ""), name, DEFAULT_SETTINGS)
            after[name] = parsed[name]

    def shown(files: Mapping[str, NotesFile], rename: Mapping[str, str]) -> list[str]:
        return sorted(
            json.dumps(
                [
                    rename.get(p, p),
                    n.meeting.title,
                    n.meeting.date,
                    i.title,
                    i.body,
                    i.done,
                    i.owners,
                    i.key,
                    i.linked_issue,
                ]
            )
            for p, n in files.items()
            for i in n.items
        )

    changed = shown(before, renames) != shown(after, {})
    return {"before": before, "after": after, "renames": renames}, changed


@pytest.fixture(scope="module")
def replayed() -> Replayed:
    if not REPLAY.is_file():
        pytest.skip(f"shared corpus absent: {REPLAY}")
    pushes = [json.loads(line) for line in REPLAY.read_text().splitlines() if line.strip()]
    result = Replayed(FakeRepo(assignable=ASSIGNABLE))
    tree: dict[str, str] = {}
    parsed: dict[str, NotesFile] = {}
    for index, entry in enumerate(pushes):
        args, changed = _push_args(entry, tree, parsed)
        if sum(c["status"] == "renamed" for c in entry["files"]) >= 70:
            result.rename_push = index
        if not changed:
            result.unchanged_pushes.append(index)
        if args["renames"]:
            result.renaming_pushes.add(index)
        plan = result.repo.plan(commit=entry["after"], **args)
        result.repo.apply(plan)
        again = result.repo.plan(commit=entry["after"], **args)
        copy = result.repo.clone()
        copy.apply(again)
        assert copy.writes == result.repo.writes, (index, again.summary_lines())
        result.plans.append(plan)
    return result


def test_replay_files_one_issue_per_key(replayed: Replayed) -> None:
    by_key = replayed.repo.by_key()
    assert by_key, "the replay filed nothing"
    assert all(len(numbers) == 1 for numbers in by_key.values())
    aliases = [
        alias
        for state in replayed.repo.states()
        if state.marker is not None
        for alias in state.marker.aliases
    ]
    assert not set(aliases) & set(by_key)


def test_replay_pushes_that_change_no_item_write_nothing_but_links(replayed: Replayed) -> None:
    """A push that changes no item plans nothing; one that renames notes files, only body edits
    (the link and the marker's path follow the file; editing a body notifies nobody)."""
    assert replayed.unchanged_pushes
    for index in replayed.unchanged_pushes:
        plan = replayed.plans[index]
        if index not in replayed.renaming_pushes:
            assert plan.is_empty, (index, plan.summary_lines())
        for action in plan.actions:
            assert isinstance(action, UpdateIssue), (index, action.summary)
            assert (action.title, action.state) == (None, None), (index, action.summary)


def test_replay_rename_push_notifies_nobody_about_renamed_files(replayed: Replayed) -> None:
    assert replayed.rename_push >= 0
    plan = replayed.plans[replayed.rename_push]
    renamed_issue_numbers = {
        a.number
        for a in plan.actions
        if isinstance(a, UpdateIssue) and a.title is None and a.state is None
    }
    comments = [a for a in plan.actions if isinstance(a, CommentOnIssue)]
    assert not [c for c in comments if c.number in renamed_issue_numbers]
    assert not [c for c in comments if c.dedupe_tag.startswith("carried:")]


def test_replay_summary(replayed: Replayed, capsys: pytest.CaptureFixture[str]) -> None:
    """Not a check: the figures, printed for the report (``pytest -s``)."""
    actions = [a for plan in replayed.plans for a in plan.actions]
    counts = {
        "pushes": len(replayed.plans),
        "issues": len(replayed.repo.issues),
        "creates": sum(isinstance(a, CreateIssue) for a in actions),
        "updates": sum(isinstance(a, UpdateIssue) for a in actions),
        "comments": sum(isinstance(a, CommentOnIssue) for a in actions),
        "cap hits": sum(plan.cap_hit for plan in replayed.plans),
        "writes": replayed.repo.writes,
    }
    with capsys.disabled():
        print("\nplanner replay:", counts)
    assert counts["writes"] >= counts["issues"]
