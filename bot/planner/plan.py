"""The planner: given the notes before and after, the settings and the bot's issues, what to do.

Pure and deterministic: no I/O. The push handler, ``sync`` (and ``--dry-run``) and the pull-request
preview all call :func:`plan_changes`; a thin executor performs :attr:`Plan.actions` in order.
The rules, with examples, are in docs/decisions.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from bot.markdown.issue_body import DEFAULT_SERVER_URL, UNRESOLVED_HINT, IssueMarker, new_issue_body
from bot.markdown.issue_body import short_hash as _short_hash
from bot.notes.model import ActionItem, NotesFile
from bot.planner import texts as plan_texts
from bot.planner.actions import (
    Action,
    AddAssignees,
    AddLabels,
    CommentOnIssue,
    CreateIssue,
    UpdateIssue,
)
from bot.planner.context import MAX_ASSIGNEES, PlanContext
from bot.planner.edits import find_edits
from bot.planner.issues import IssueIndex, IssueState
from bot.planner.reconcile import REMOVED_REASON, CarryOver, IssueOutcome, reconcile_issue
from bot.planner.view import NotesView
from bot.settings import Settings

__all__ = [
    "FROM_SETTINGS",
    "CarryOver",
    "HeldChange",
    "IssueState",
    "Plan",
    "Unassignable",
    "Unresolved",
    "is_destructive",
    "logins_to_check",
    "plan_changes",
]


class _FromSettings(Enum):
    CAP = "max_new_issues_per_push"


#: ``cap`` default: take ``settings.max_new_issues_per_push``.
FROM_SETTINGS = _FromSettings.CAP


@dataclass(frozen=True)
class Unresolved:
    """Owner names of an item that resolved to nobody or to several logins."""

    item: ActionItem
    names: tuple[str, ...]
    fix: str = UNRESOLVED_HINT


@dataclass(frozen=True)
class Unassignable:
    """Logins of an item that GitHub would not accept as assignees (named, not assigned)."""

    item: ActionItem
    logins: tuple[str, ...]


@dataclass(frozen=True)
class HeldChange:
    """The writes one existing issue would have had, held back by the destructive guard."""

    number: int
    summaries: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """The actions to take, in order, and what a preview of them shows."""

    actions: tuple[Action, ...] = ()
    carry_overs: tuple[CarryOver, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()
    unassignable: tuple[Unassignable, ...] = ()
    #: New issues not filed because there were more than ``cap`` (in notes order; the
    #: first ``cap`` were filed). They are remembered and filed by a later push.
    held_back: tuple[CreateIssue, ...] = ()
    cap: int | None = None
    #: Existing issues left as they are because more than ``destructive_limit`` would have
    #: been closed or told their item is gone: what each would have had.
    held_destructive: tuple[HeldChange, ...] = ()
    destructive_limit: int | None = None
    #: Issues an earlier run of this same push (same commit) filed: a redelivery, or a retry
    #: after a failure, still reports them.
    filed_earlier: tuple[IssueState, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Whether the plan writes nothing."""
        return not self.actions

    @property
    def cap_hit(self) -> bool:
        """Whether new issues were held back by the per-push cap."""
        return bool(self.held_back)

    @property
    def creates(self) -> tuple[CreateIssue, ...]:
        """The issues to be filed."""
        return tuple(a for a in self.actions if isinstance(a, CreateIssue))

    @property
    def updates(self) -> tuple[UpdateIssue, ...]:
        """Every issue edit (title, body, state)."""
        return tuple(a for a in self.actions if isinstance(a, UpdateIssue))

    @property
    def closes(self) -> tuple[UpdateIssue, ...]:
        """The edits that close an issue."""
        return tuple(u for u in self.updates if u.state == "closed")

    @property
    def reopens(self) -> tuple[UpdateIssue, ...]:
        """The edits that reopen an issue."""
        return tuple(u for u in self.updates if u.state == "open")

    @property
    def comments(self) -> tuple[CommentOnIssue, ...]:
        """The comments on issues."""
        return tuple(a for a in self.actions if isinstance(a, CommentOnIssue))

    @property
    def additions(self) -> tuple[AddLabels | AddAssignees, ...]:
        """Labels and assignees added to existing issues."""
        return tuple(a for a in self.actions if isinstance(a, AddLabels | AddAssignees))

    def summary_lines(self) -> list[str]:
        """One line per action, then the held-back count: for logs and ``sync --dry-run``."""
        lines = [action.summary for action in self.actions]
        if self.held_back:
            lines.append(f"held back {len(self.held_back)} new issues (cap {self.cap})")
        if self.held_destructive:
            lines.append(
                f"held back closing or marking gone {len(self.held_destructive)} issues "
                f"(limit {self.destructive_limit})"
            )
        return lines


def logins_to_check(after: Mapping[str, NotesFile]) -> set[str]:
    """Every login the ``after`` notes would assign: the shell asks GitHub which it accepts."""
    return {login for notes in after.values() for item in notes.items for login in item.assignees}


def plan_changes(
    *,
    before: Mapping[str, NotesFile],
    after: Mapping[str, NotesFile],
    renames: Mapping[str, str],
    issues: Sequence[IssueState],
    settings: Settings,
    assignable: Mapping[str, bool],
    repo: str,
    commit: str,
    server_url: str = DEFAULT_SERVER_URL,
    full_sync: bool = False,
    cap: int | _FromSettings | None = FROM_SETTINGS,
    destructive_limit: int | _FromSettings | None = FROM_SETTINGS,
    owed: frozenset[str] = frozenset(),
) -> Plan:
    """The GitHub actions that bring the bot's issues in line with the notes.

    Push mode: ``before``/``after`` hold the notes files the push changed (``before`` lacks added
    files, ``after`` lacks removed ones) and ``renames`` maps old paths to new. Full-sync mode
    (``full_sync=True``): ``before`` is empty and ``after`` holds every notes file at ``commit``.
    ``assignable`` says, for each login of :func:`logins_to_check`, whether GitHub accepts it as
    an assignee (a login missing from it is not assigned). ``cap`` limits new issues (``None``: no
    limit; default ``settings.max_new_issues_per_push``): the first ``cap`` in notes order are
    filed, the rest are :attr:`Plan.held_back`. ``owed``: keys held back by an earlier push,
    filed as if new (their files are read unchanged, so nothing else about them is new).
    ``destructive_limit`` limits the existing issues one plan closes or says
    are gone from the notes (``None``: no limit; default ``settings.max_destructive_per_push``):
    past it, none of those issues is touched, since so many at once is more likely a misread
    than a decision (see docs/decisions.md).
    """
    limit = settings.max_new_issues_per_push if isinstance(cap, _FromSettings) else cap
    guard = (
        settings.max_destructive_per_push
        if isinstance(destructive_limit, _FromSettings)
        else destructive_limit
    )
    view = NotesView({} if full_sync else before, after, renames, full_sync=full_sync)
    bot_issues = [i for i in issues if i.marker is not None and not i.is_pull_request]
    index = IssueIndex(bot_issues)
    ctx = PlanContext(view, index, settings, assignable, repo, commit, server_url)

    edits = find_edits(view, index, bot_issues)
    new_keys: dict[int, list[str]] = {}
    taken: set[str] = set()  # keys with an issue, or that must not get one
    for edit in edits:
        taken.add(edit.new_key)
        if edit.issue is not None:
            new_keys.setdefault(edit.issue.number, []).append(edit.new_key)

    outcomes: list[IssueOutcome] = []
    for issue in index.canonical():
        keys = index.keys_of(issue)
        taken.update(keys)
        outcome = reconcile_issue(ctx, issue, keys, new_keys.get(issue.number, []))
        if outcome is not None and outcome.actions:
            outcomes.append(outcome)
    held_destructive: tuple[HeldChange, ...] = ()
    destructive = [o for o in outcomes if is_destructive(o.actions)]
    if guard is not None and len(destructive) > guard:
        held_destructive = tuple(
            HeldChange(o.number, tuple(a.summary for a in o.actions)) for o in destructive
        )
        outcomes = [o for o in outcomes if not is_destructive(o.actions)]
    groups: list[tuple[tuple[str, int, int], list[Action]]] = [
        (o.sort_key, o.actions) for o in outcomes
    ]

    creates = _new_issues(ctx, taken, owed)
    filed_earlier = _filed_by_this_commit(ctx, bot_issues, owed)
    held_back: tuple[CreateIssue, ...] = ()
    if limit is not None:
        # A redelivery of this push must not file what it held: what it filed counts.
        room = max(0, limit - len(filed_earlier))
        if len(creates) > room:
            held_back = tuple(creates[room:])
            creates = creates[:room]
    groups.extend(((c.item.path, c.item.line, 0), [c]) for c in creates)
    groups.extend(_linked_comments(ctx))
    groups.sort(key=lambda g: g[0])
    actions = tuple(a for _, group in groups for a in group)

    relevant = [c.item for c in (*creates, *held_back)]
    relevant.extend(item for o in outcomes for item in o.items)
    return Plan(
        actions=actions,
        carry_overs=tuple(o.carry_over for o in outcomes if o.carry_over is not None),
        unresolved=_unresolved(relevant),
        unassignable=_unassignable(ctx, relevant),
        held_back=held_back,
        cap=limit,
        held_destructive=held_destructive,
        destructive_limit=guard,
        filed_earlier=filed_earlier,
    )


def is_destructive(actions: Sequence[Action]) -> bool:
    """Whether one issue's writes close it or tell it its item is gone from the notes.

    Carry-over and linked comments are not counted: they add news, take nothing away, and the
    notes themselves bound how many there are.
    """
    return any(
        (isinstance(a, UpdateIssue) and a.state == "closed")
        or (isinstance(a, CommentOnIssue) and a.reason == REMOVED_REASON)
        for a in actions
    )


def _new_issues(ctx: PlanContext, taken: set[str], owed: frozenset[str]) -> list[CreateIssue]:
    """One issue per new key: filed from its first occurrence, unless it is done or linked."""
    view = ctx.view
    creates: list[CreateIssue] = []
    for key in view.keys_in_order():
        if key in taken or key in ctx.index.blocked:
            continue
        occurrences = view.occurrences(key)
        if any(o.item.linked_issue is not None for o in occurrences):
            continue
        paths = view.paths_with([key])
        if key not in owed and not any(view.is_new_in(key, path) for path in paths):
            continue  # push mode: an old item in an edited file is not back-filed
        latest = max(paths, key=lambda p: (ctx.date_of(p), p))
        if any(o.item.done for o in view.occurrences_in(latest, [key])):
            continue  # done in the latest meeting that has it
        first = occurrences[0]
        items = [o.item for o in occurrences]
        by_date = sorted(paths, key=lambda p: (ctx.date_of(p), p))
        rendered = ctx.render(first.item, first.meeting)
        labels = ctx.labels_for(items)
        assignees = ctx.assignable_logins(items)[:MAX_ASSIGNEES]
        marker = IssueMarker(
            key=key,
            path=first.item.path,
            line=first.item.line,
            commit=ctx.commit,
            title=rendered.title,
            labels=labels,
            assignees=assignees,
            digest=rendered.digest,
            seen=tuple(by_date),
            date=ctx.date_of(by_date[-1]),
        )
        body = new_issue_body(rendered.part, marker)
        creates.append(CreateIssue(key, rendered.title, body, labels, assignees, first.item))
    return creates


def _filed_by_this_commit(
    ctx: PlanContext, bot_issues: Sequence[IssueState], owed: frozenset[str]
) -> tuple[IssueState, ...]:
    """Issues an earlier run of this very plan filed (same commit, an item new to it)."""
    found: list[IssueState] = []
    for issue in bot_issues:
        marker = issue.marker
        if marker is None or marker.commit != ctx.commit:
            continue
        paths = ctx.view.paths_with([marker.key])
        if marker.key in owed or any(ctx.view.is_new_in(marker.key, p) for p in paths):
            found.append(issue)
    return tuple(found)


def _linked_comments(ctx: PlanContext) -> list[tuple[tuple[str, int, int], list[Action]]]:
    """``TODO(#123): ...``: one comment on #123 per item and notes file, when it is new there."""
    view = ctx.view
    groups: list[tuple[tuple[str, int, int], list[Action]]] = []
    done: set[tuple[str, str]] = set()
    for path in sorted(view.after):
        notes = view.after[path]
        for item in sorted(notes.items, key=lambda i: i.line):
            number = item.linked_issue
            if number is None or (item.key, path) in done:
                continue
            done.add((item.key, path))
            if not view.is_new_in(item.key, path) or ctx.index.is_unlinked(number):
                continue
            own = ctx.index.issue_for(item.key)
            if own is not None and own.number == number:
                continue  # the item's own issue: the carry-over rules speak for it
            tag = "linked:" + _short_hash(item.key, path)
            body = plan_texts.linked(
                item,
                notes.meeting,
                server_url=ctx.server_url,
                repo=ctx.repo,
                commit=ctx.commit,
                tag=tag,
            )
            action = CommentOnIssue(number, body, tag, f"linked from {path}:{item.line}")
            groups.append(((path, item.line, number), [action]))
    return groups


def _unresolved(items: Sequence[ActionItem]) -> tuple[Unresolved, ...]:
    found = {(i.path, i.line): Unresolved(i, i.unresolved) for i in items if i.unresolved}
    return tuple(found[k] for k in sorted(found))


def _unassignable(ctx: PlanContext, items: Sequence[ActionItem]) -> tuple[Unassignable, ...]:
    found: dict[tuple[str, int], Unassignable] = {}
    for item in items:
        logins = ctx.unassignable(item)
        if logins:
            found[(item.path, item.line)] = Unassignable(item, logins)
    return tuple(found[k] for k in sorted(found))
