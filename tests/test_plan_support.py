"""Test support for the planner: item factories and a pure in-memory GitHub that applies plans.

``FakeRepo`` keeps issues as GitHub-shaped dicts (so ``IssueState.from_github`` is exercised on
every replan), performs actions as the executor will (comments deduplicated by their tag), and
counts writes. The tests at the bottom check the support itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from bot.markdown.issue_body import comment_tags, parse_marker
from bot.notes.model import ActionItem, Meeting, NotesFile
from bot.planner.actions import (
    Action,
    AddAssignees,
    AddLabels,
    CommentOnIssue,
    CreateIssue,
    UpdateIssue,
)
from bot.planner.issues import IssueState
from bot.planner.plan import FROM_SETTINGS, Plan, logins_to_check, plan_changes
from bot.settings import Settings

REPO = "acme/widgets"


def key_of(title: str) -> str:
    """A stand-in for the reader's key: the title, folded."""
    return "k:" + "-".join(re.findall(r"[a-z0-9]+", title.casefold()))


def item(
    title: str,
    *,
    line: int = 1,
    key: str | None = None,
    body: str | None = None,
    done: bool = False,
    owners: Sequence[str] = (),
    assignees: Sequence[str] = (),
    unresolved: Sequence[str] = (),
    labels: Sequence[str] = (),
    linked_issue: int | None = None,
) -> ActionItem:
    """An action item (its path is set by :func:`notes`)."""
    return ActionItem(
        path="",
        line=line,
        title=title,
        body=body if body is not None else f"- **TODO**: {title}",
        done=done,
        owners=tuple(owners),
        assignees=tuple(assignees),
        unresolved=tuple(unresolved),
        labels=tuple(labels),
        linked_issue=linked_issue,
        key=key if key is not None else key_of(title),
    )


def notes(
    path: str, *items: ActionItem, title: str | None = None, date: str | None = None
) -> NotesFile:
    """A notes file holding ``items`` (their paths set to ``path``).

    The meeting's date, unless given, comes from a ``YYYY-MM-DD`` in the path (as the reader's).
    """
    stem = path.rsplit("/", 1)[-1].removesuffix(".md")
    found = re.search(r"\d{4}-\d{2}-\d{2}", path)
    return NotesFile(
        path=path,
        meeting=Meeting(title=title or f"Meeting {stem}", date=date or (found and found.group())),
        items=tuple(replace(i, path=path) for i in items),
    )


def files(*notes_files: NotesFile) -> dict[str, NotesFile]:
    """Notes files by path."""
    return {n.path: n for n in notes_files}


@dataclass
class FakeRepo:
    """A repository's bot issues and comments, changed only by applying plans (or by 'humans')."""

    settings: Settings = field(default_factory=Settings)
    assignable: set[str] = field(default_factory=set)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[str]] = field(default_factory=dict)
    writes: int = 0
    next_number: int = 1

    def clone(self) -> FakeRepo:
        """An independent copy (the settings are shared: they are immutable)."""
        return FakeRepo(
            settings=self.settings,
            assignable=set(self.assignable),
            issues=deepcopy(self.issues),
            comments=deepcopy(self.comments),
            writes=self.writes,
            next_number=self.next_number,
        )

    def states(self) -> list[IssueState]:
        """The issues as the shell would hand them to the planner."""
        return [IssueState.from_github(data) for _, data in sorted(self.issues.items())]

    def plan(
        self,
        *,
        after: Mapping[str, NotesFile],
        before: Mapping[str, NotesFile] | None = None,
        renames: Mapping[str, str] | None = None,
        full_sync: bool = False,
        commit: str = "c0ffee",
        cap: Any = FROM_SETTINGS,
        destructive_limit: Any = FROM_SETTINGS,
        owed: frozenset[str] = frozenset(),
    ) -> Plan:
        """Plan against the current issues."""
        logins = logins_to_check(after)
        return plan_changes(
            before=before or {},
            after=after,
            renames=renames or {},
            issues=self.states(),
            settings=self.settings,
            assignable={login: login in self.assignable for login in logins},
            repo=REPO,
            commit=commit,
            full_sync=full_sync,
            cap=cap,
            destructive_limit=destructive_limit,
            owed=owed,
        )

    def push(self, **kwargs: Any) -> Plan:
        """Plan, then apply the plan."""
        plan = self.plan(**kwargs)
        self.apply(plan)
        return plan

    def apply(self, plan: Plan) -> None:
        """Perform every action, as the executor will."""
        for action in plan.actions:
            self._perform(action)

    def _perform(self, action: Action) -> None:
        if isinstance(action, CreateIssue):
            number = self.next_number
            self.next_number += 1
            self.issues[number] = {
                "number": number,
                "title": action.title,
                "body": action.body,
                "state": "open",
                "state_reason": None,
                "labels": [{"name": name} for name in action.labels],
                "assignees": [{"login": login} for login in action.assignees],
                "user": {"login": "meeting-todo-bot[bot]"},
            }
        elif isinstance(action, UpdateIssue):
            data = self.issues[action.number]
            if action.title is not None:
                data["title"] = action.title
            if action.body is not None:
                data["body"] = action.body
            if action.state == "closed":
                data["state"], data["state_reason"] = "closed", action.state_reason or "completed"
            elif action.state == "open":
                data["state"], data["state_reason"] = "open", "reopened"
        elif isinstance(action, AddLabels):
            data = self.issues[action.number]
            have = {label["name"] for label in data["labels"]}
            data["labels"] += [{"name": n} for n in action.labels if n not in have]
        elif isinstance(action, AddAssignees):
            data = self.issues[action.number]
            have = {a["login"] for a in data["assignees"]}
            data["assignees"] += [{"login": n} for n in action.logins if n not in have]
        elif isinstance(action, CommentOnIssue):
            posted = self.comments.setdefault(action.number, [])
            if any(action.dedupe_tag in comment_tags(c) for c in posted):
                return  # the executor's dedupe: no write
            posted.append(action.body)
        self.writes += 1

    # what people do on GitHub
    def human(self, number: int, **fields: Any) -> None:
        """A person edits an issue (title, state, state_reason, labels, assignees as names)."""
        data = self.issues[number]
        for name, value in fields.items():
            if name == "labels":
                data["labels"] = [{"name": v} for v in value]
            elif name == "assignees":
                data["assignees"] = [{"login": v} for v in value]
            else:
                data[name] = value

    def issue(self, number: int) -> IssueState:
        """One issue, as the planner sees it."""
        return IssueState.from_github(self.issues[number])

    def by_key(self) -> dict[str, list[int]]:
        """Issue numbers by marker key."""
        found: dict[str, list[int]] = {}
        for state in self.states():
            if state.marker is not None:
                found.setdefault(state.marker.key, []).append(state.number)
        return found


def push_mode_args(
    old: Mapping[str, NotesFile],
    new: Mapping[str, NotesFile],
    renames: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``before``/``after`` for a push from ``old`` to ``new`` (whole trees), changed files only."""
    renames = dict(renames or {})
    moved_to = set(renames.values())
    before: dict[str, NotesFile] = {}
    after: dict[str, NotesFile] = {}
    for path in sorted({*old, *new}):
        if path in renames:
            continue
        if path in moved_to:
            source = next(o for o, n in renames.items() if n == path)
            before[source] = old[source]
            after[path] = new[path]
        elif old.get(path) != new.get(path):
            if path in old:
                before[path] = old[path]
            if path in new:
                after[path] = new[path]
    return {"before": before, "after": after, "renames": renames}


@pytest.fixture(params=["push", "sync"])
def mode(request: pytest.FixtureRequest) -> str:
    """Run a test in push mode and in full-sync mode."""
    return str(request.param)


class Notes:
    """A notes tree evolving push by push, planned as ``mode`` sees it."""

    def __init__(self, mode: str, repo: FakeRepo | None = None) -> None:
        self.mode = mode
        self.repo = repo or FakeRepo()
        self.tree: dict[str, NotesFile] = {}
        self.pushes = 0

    def args(
        self, new: Mapping[str, NotesFile], renames: Mapping[str, str] | None
    ) -> dict[str, Any]:
        if self.mode == "sync":
            return {"after": dict(new), "full_sync": True}
        return push_mode_args(self.tree, new, renames)

    def plan(
        self, *new_files: NotesFile, renames: Mapping[str, str] | None = None, **kw: Any
    ) -> Plan:
        """Plan the change to ``new_files`` without applying it."""
        return self.repo.plan(
            commit=f"commit{self.pushes + 1}", **self.args(files(*new_files), renames), **kw
        )

    def step(
        self, *new_files: NotesFile, renames: Mapping[str, str] | None = None, **kw: Any
    ) -> Plan:
        """Plan and apply the change to a tree of ``new_files``; the replan must be empty."""
        new = files(*new_files)
        args = self.args(new, renames)
        self.pushes += 1
        commit = f"commit{self.pushes}"
        plan = self.repo.plan(commit=commit, **args, **kw)
        self.repo.apply(plan)
        again = self.repo.plan(commit=commit, **args, **kw)
        assert effective_writes(self.repo, again) == 0, again.summary_lines()
        # Only what no marker can record may come again, for the executor to skip by its tag:
        # comments on issues that linked items point at, and the cap's commit comment.
        assert all(_unrecordable(a) for a in again.actions), again.summary_lines()
        self.tree = new
        return plan


def _unrecordable(action: object) -> bool:
    return isinstance(action, CommentOnIssue) and action.dedupe_tag.startswith("linked:")


def effective_writes(repo: FakeRepo, plan: Plan) -> int:
    """How many writes ``plan`` would make on (a copy of) ``repo``."""
    copy = repo.clone()
    before = copy.writes
    copy.apply(plan)
    return copy.writes - before


# --- the support's own tests -------------------------------------------------------------------


def test_fake_repo_applies_a_created_issue_as_github_would() -> None:
    repo = FakeRepo(assignable={"alice"})
    after = files(notes("m/2024-01-10.md", item("Fix the build", assignees=["alice"])))
    repo.push(after=after)
    [state] = repo.states()
    assert state.number == 1
    assert state.title == "Fix the build"
    assert state.assignees == ("alice",)
    assert state.labels == ("action-item",)
    assert state.marker is not None and state.marker.key == key_of("Fix the build")
    assert parse_marker(repo.issues[1]["body"]) == state.marker
    assert repo.writes == 1


def test_fake_repo_skips_a_comment_whose_tag_was_already_posted() -> None:
    repo = FakeRepo()
    repo.issues[7] = {"number": 7, "title": "t", "body": "", "state": "open"}
    comment = CommentOnIssue(7, "hello\n\n<!-- meeting-todo-bot:x:1 -->", "x:1")
    repo.apply(Plan(actions=(comment, comment)))
    assert repo.comments[7] == [comment.body]
    assert repo.writes == 1


def test_push_mode_args_keeps_only_changed_files_and_follows_renames() -> None:
    a = notes("m/a.md", item("One"))
    b = notes("m/b.md", item("Two"))
    b2 = notes("m/b.md", item("Two"), item("Three", line=3))
    moved = notes("n/a.md", item("One"))
    args = push_mode_args(files(a, b), files(moved, b2), {"m/a.md": "n/a.md"})
    assert set(args["before"]) == {"m/a.md", "m/b.md"}
    assert set(args["after"]) == {"n/a.md", "m/b.md"}
    assert args["renames"] == {"m/a.md": "n/a.md"}
