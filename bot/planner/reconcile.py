"""Reconcile one existing bot issue with the notes: the heart of the rules in docs/decisions.md.

The issue's marker says what the bot last did; the notes say what is true now. Only a difference
between the two leads to a write, and never one that undoes what a person did on GitHub.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.markdown.issue_body import (
    ClosedBy,
    IssueMarker,
    permalink,
    replace_generated_part,
    short_hash,
    with_marker,
)
from bot.notes.model import ActionItem, Meeting
from bot.planner import texts as plan_texts
from bot.planner.actions import (
    Action,
    AddAssignees,
    AddLabels,
    CommentOnIssue,
    IssueStateName,
    StateReason,
    UpdateIssue,
)
from bot.planner.context import MAX_ASSIGNEES, PlanContext, Rendered, folded, unique
from bot.planner.issues import IssueState
from bot.planner.view import Occurrence, PathStatus

#: Old keys kept as aliases after edits in place (the most recent ones).
MAX_ALIASES = 20


@dataclass(frozen=True)
class CarryOver:
    """An item that came up again in another meeting: its issue gets one comment."""

    number: int
    title: str
    item: ActionItem
    meeting: Meeting
    reopened: bool


#: The reason of the comment that tells an issue its item left the notes.
REMOVED_REASON = "removed from the notes"


@dataclass
class IssueOutcome:
    """What reconciling one issue gives: its actions and what the preview shows."""

    number: int
    sort_key: tuple[str, int, int]
    actions: list[Action] = field(default_factory=list)
    carry_over: CarryOver | None = None
    items: list[ActionItem] = field(default_factory=list)


@dataclass
class _Change:
    """The writes being gathered for one issue."""

    comments: list[CommentOnIssue] = field(default_factory=list)
    state: IssueStateName | None = None
    reason: StateReason | None = None
    done: bool = False
    closed_by: ClosedBy | None = None


def _significant(old: IssueMarker, new: IssueMarker) -> bool:
    """Whether the marker changed in a way worth a write (line, commit and forgotten paths not)."""
    ignored = {"line": old.line, "commit": old.commit, "seen": old.seen}
    if replace(new, **ignored) != old:  # type: ignore[arg-type]
        return True
    return bool(set(new.seen) - set(old.seen))


@dataclass(frozen=True)
class _Whereabouts:
    """Where an issue's item is now, compared with where the bot last saw it."""

    live_seen: list[str]  # files it was seen in that still have it (or may: push mode)
    present_seen: list[str]  # ... that visibly have it
    later: list[str]  # new files of later meetings: carried over
    history: list[str]  # new files of earlier or undated meetings (an archive): silent
    moved: list[str]  # new files, when every file it was seen in is gone: it moved
    date: str  # the date of the latest meeting that has it

    @property
    def seen(self) -> tuple[str, ...]:
        """The files to record, earliest meeting first: the last one is the latest."""
        return unique([*self.history, *self.live_seen, *self.later, *self.moved])

    def source(self, first: str) -> str | None:
        """Where the body comes from: where the item was first written, while it is (or may be)
        there; else the first file that visibly has it; ``None``: none does, leave the body."""
        if first in self.live_seen:
            return first
        visible = [*self.present_seen, *self.later, *self.history, *self.moved]
        return visible[0] if visible else None

    @property
    def latest(self) -> str | None:
        """The file of the latest meeting with the item (an older one if it is only there)."""
        ordered = [*self.live_seen, *self.later, *self.moved] or self.history
        return ordered[-1] if ordered else None


def _whereabouts(
    ctx: PlanContext, marker: IssueMarker, keys: Sequence[str]
) -> _Whereabouts | Literal["removed"] | None:
    view = ctx.view
    recorded = marker.seen if marker.path in marker.seen else (marker.path, *marker.seen)
    seen_order = unique(view.map_path(p) for p in recorded if p)
    status = {p: view.status(p, keys) for p in seen_order}
    by_date = sorted(
        (p for p in view.paths_with(keys) if p not in status), key=lambda p: (ctx.date_of(p), p)
    )
    if not by_date and all(s is PathStatus.UNKNOWN for s in status.values()):
        return None  # nothing the plan can see concerns this issue
    live_seen = [p for p in seen_order if status[p] is not PathStatus.GONE]
    if not live_seen and not by_date:
        return "removed" if seen_order else None
    present = [p for p in live_seen if status[p] is PathStatus.PRESENT]
    if not live_seen and not marker.removed:
        dates = [marker.date, *(ctx.date_of(p) for p in by_date)]
        return _Whereabouts([], present, [], [], by_date, max(dates))
    # Only a later meeting carries an item over; an undated or older file repeating it (an
    # archive, a digest) is recorded silently.
    later = [p for p in by_date if ctx.date_of(p) and ctx.date_of(p) > marker.date]
    history = [p for p in by_date if p not in later]
    date = max([marker.date, *(ctx.date_of(p) for p in later)])
    return _Whereabouts(live_seen, present, later, history, [], date)


def reconcile_issue(
    ctx: PlanContext, issue: IssueState, keys: Sequence[str], new_keys: Sequence[str]
) -> IssueOutcome | None:
    """The actions that bring one issue in line with the notes; ``None`` when it is not in view.

    ``keys`` lead to the issue already; ``new_keys`` are edits of them (the first becomes the key).
    """
    marker = issue.marker
    if marker is None or marker.unlinked:
        return None
    view = ctx.view
    all_keys = unique((*new_keys, *keys))
    where = _whereabouts(ctx, marker, all_keys)
    if where is None:
        return None
    if where == "removed":
        return _removed(ctx, issue, marker)
    occurrences = [o for k in all_keys for o in view.occurrences(k)]
    items = [o.item for o in occurrences]

    source_path = where.source(view.map_path(marker.path))
    source = _first(view.occurrences_in(source_path, all_keys)) if source_path else None
    rendered = ctx.render(source.item, source.meeting) if source is not None else None
    rerender = rendered is not None and (
        rendered.digest != marker.digest or source_path != marker.path
    )
    # The done state comes from the latest meeting that has the item.
    latest = view.occurrences_in(where.latest, all_keys) if where.latest else []
    latest_done = any(o.item.done for o in latest) if latest else None

    change = _Change(done=marker.done, closed_by=marker.closed_by)
    back = marker.removed and not where.later and bool(where.present_seen)
    targets: list[Occurrence] = []
    if (where.later and (where.live_seen or marker.removed)) or back:
        for path in where.later or where.present_seen:
            targets.extend(view.occurrences_in(path, all_keys)[:1])
    carry = _carry(ctx, issue, marker, targets, latest_done, change, back=back)
    if carry is None and latest:
        _done_transition(ctx, issue, marker, latest, bool(latest_done), change)
    final_open = change.state == "open" or (change.state is None and issue.is_open)

    actions: list[Action] = list(change.comments)
    labels, assignees = marker.labels, marker.assignees
    if final_open:
        labels, assignees = _additions(ctx, issue, marker, items, actions)

    title_new, title_write = marker.title, None
    if rerender and rendered is not None:
        title_new, title_write = _title(issue, marker, rendered)
    primary = new_keys[0] if new_keys else marker.key
    aliases = unique(k for k in (*new_keys[1:], marker.key, *marker.aliases) if k != primary)
    new_marker = replace(
        marker,
        key=primary,
        aliases=aliases[:MAX_ALIASES],
        title=title_new,
        labels=labels,
        assignees=assignees,
        done=change.done,
        closed_by=change.closed_by,
        removed=False,
        seen=where.seen,
        date=where.date,
    )
    body = issue.body
    if rerender and rendered is not None and source is not None:
        new_marker = replace(
            new_marker,
            path=source.item.path,
            line=source.item.line,
            commit=ctx.commit,
            digest=rendered.digest,
        )
        body = replace_generated_part(body, rendered.part)
    new_body = (
        with_marker(body, new_marker) if rerender or _significant(marker, new_marker) else None
    )
    if title_write is not None or new_body is not None or change.state is not None:
        actions.append(
            UpdateIssue(issue.number, title_write, new_body, change.state, change.reason)
        )
    anchor = source or _first(latest) or _first(occurrences)
    sort_key = (
        (anchor.item.path, anchor.item.line, issue.number)
        if anchor
        else (marker.path, marker.line, issue.number)
    )
    return IssueOutcome(issue.number, sort_key, actions, carry, items if actions else [])


def _first(occurrences: Sequence[Occurrence]) -> Occurrence | None:
    return occurrences[0] if occurrences else None


def _carry(
    ctx: PlanContext,
    issue: IssueState,
    marker: IssueMarker,
    targets: Sequence[Occurrence],
    latest_done: bool | None,
    change: _Change,
    *,
    back: bool,
) -> CarryOver | None:
    """An item that came up in another meeting (or came back): one comment, maybe a reopen."""
    if not targets:
        return None
    target = targets[-1]
    if latest_done:
        if issue.is_open and not marker.done:
            _close_done(ctx, issue, target, change)
        change.done = True
        return CarryOver(issue.number, issue.title, target.item, target.meeting, reopened=False)
    reopen = (
        not issue.is_open and issue.state_reason == "completed" and ctx.settings.reopen_carried_over
    )
    paths = [t.item.path for t in targets]
    # a file is carried into once; coming back can happen again, so that tag names the commit
    tag = "back:" + short_hash(ctx.commit, *paths) if back else "carried:" + short_hash(*paths)
    body = plan_texts.carried_over(
        target.item,
        target.meeting,
        reopened=reopen,
        server_url=ctx.server_url,
        repo=ctx.repo,
        commit=ctx.commit,
        tag=tag,
        back=back,
    )
    change.comments.append(CommentOnIssue(issue.number, body, tag, "carried over"))
    change.done = False
    if reopen:
        change.state, change.reason, change.closed_by = "open", "reopened", None
    return CarryOver(issue.number, issue.title, target.item, target.meeting, reopened=reopen)


def _close_done(ctx: PlanContext, issue: IssueState, at: Occurrence, change: _Change) -> None:
    tag = "done:" + short_hash(ctx.commit, at.item.path)
    body = plan_texts.done(
        at.item, at.meeting, server_url=ctx.server_url, repo=ctx.repo, commit=ctx.commit, tag=tag
    )
    change.comments.append(CommentOnIssue(issue.number, body, tag, "done in the notes"))
    change.state, change.reason, change.closed_by = "closed", "completed", "notes"


def _done_transition(
    ctx: PlanContext,
    issue: IssueState,
    marker: IssueMarker,
    latest: Sequence[Occurrence],
    done: bool,
    change: _Change,
) -> None:
    """Ticked or unticked in the notes since the bot last acted on it."""
    if done and not marker.done:
        if issue.is_open:
            _close_done(ctx, issue, next(o for o in latest if o.item.done), change)
        change.done = True
    elif not done and marker.done:
        change.done = False
        if not issue.is_open and marker.closed_by == "notes" and issue.state_reason == "completed":
            at = latest[0]
            tag = "undone:" + short_hash(ctx.commit, at.item.path)
            body = plan_texts.undone(
                at.item,
                at.meeting,
                server_url=ctx.server_url,
                repo=ctx.repo,
                commit=ctx.commit,
                tag=tag,
            )
            change.comments.append(CommentOnIssue(issue.number, body, tag, "not done any more"))
            change.state, change.reason, change.closed_by = "open", "reopened", None


def _additions(
    ctx: PlanContext,
    issue: IssueState,
    marker: IssueMarker,
    items: Sequence[ActionItem],
    actions: list[Action],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Labels and assignees the notes newly ask for; what was set before is never set again."""
    wanted_labels = ctx.labels_for(items)
    had_labels = folded((*marker.labels, *issue.labels))
    new_labels = tuple(label for label in wanted_labels if label.casefold() not in had_labels)
    if new_labels:
        actions.append(AddLabels(issue.number, new_labels))
    wanted = ctx.assignable_logins(items)
    had = folded((*marker.assignees, *issue.assignees))
    room = max(0, MAX_ASSIGNEES - len(issue.assignees))
    new_assignees = tuple(login for login in wanted if login.casefold() not in had)[:room]
    if new_assignees:
        actions.append(AddAssignees(issue.number, new_assignees))
    on_issue = folded((*issue.assignees, *new_assignees))
    recorded = (login for login in wanted if login.casefold() in on_issue)
    return (
        unique((*marker.labels, *wanted_labels)),
        unique((*marker.assignees, *recorded)),
    )


def _title(issue: IssueState, marker: IssueMarker, rendered: Rendered) -> tuple[str, str | None]:
    """The title the marker records, and the title to write (``None``: leave it)."""
    if rendered.title == marker.title:
        return marker.title, None
    if issue.title == rendered.title:
        return rendered.title, None
    if issue.title == marker.title:
        return rendered.title, rendered.title
    return marker.title, None  # a person retitled the issue: theirs stays


def _removed(ctx: PlanContext, issue: IssueState, marker: IssueMarker) -> IssueOutcome | None:
    """The item left every file it was seen in: say so as the settings ask, once."""
    if marker.removed:
        return None
    policy = ctx.settings.removed_items
    actions: list[Action] = []
    state: IssueStateName | None = None
    reason: StateReason | None = None
    closed_by = marker.closed_by
    if issue.is_open and policy != "ignore":
        closing = policy == "close"
        tag = "removed:" + short_hash(ctx.commit, marker.key)
        last_seen = permalink(
            ctx.server_url, ctx.repo, marker.commit or ctx.commit, marker.path, marker.line
        )
        body = plan_texts.removed(path=marker.path, last_seen=last_seen, closing=closing, tag=tag)
        actions.append(CommentOnIssue(issue.number, body, tag, REMOVED_REASON))
        if closing:
            state, reason, closed_by = "closed", "not_planned", "notes"
    new_marker = replace(marker, removed=True, closed_by=closed_by)
    actions.append(
        UpdateIssue(issue.number, None, with_marker(issue.body, new_marker), state, reason)
    )
    return IssueOutcome(issue.number, (marker.path, marker.line, issue.number), actions)
