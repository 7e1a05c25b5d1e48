"""The one comment the bot keeps on a notes pull request: what merging it would do, then did.

Pure text. :func:`render_preview` turns a :class:`~bot.planner.plan.Plan` made against the pull
request's head into the preview; :func:`render_merged` turns the preview's hidden state and
the bot's issues into the after-merge note that links the issues actually filed.

The text names no commit and no line number, so a push to the pull request that changes no
action item renders the same text and costs no edit. Nothing in it notifies anyone: the pieces
(text from the notes, logins as ``@login``) are copied as they are and the whole visible text is
neutralised once, as GitHub will read it, so a backtick in one piece cannot pair with one in
another and leave a mention live.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.markdown.issue_body import (
    block_text,
    code_span,
    comment_tag,
    comment_tags,
    generated_part,
    neutralise_mentions,
)
from bot.planner.actions import (
    Action,
    AddAssignees,
    AddLabels,
    CommentOnIssue,
    CreateIssue,
    UpdateIssue,
)
from bot.planner.issues import IssueState
from bot.planner.plan import Plan
from bot.settings import SETTINGS_PATH

#: The comment tag that marks the preview among a pull request's comments.
PREVIEW_TAG = "preview"
#: At most this many entries are listed per section; the rest are counted.
MAX_LISTED = 50
#: Titles kept in the hidden state are cut to this length (the state only names them).
MAX_STATE_TITLE = 120

HEADING = "### Meeting notes preview"
FOOTER = (
    "<sub>meeting-todo-bot files nothing until this pull request is merged. This comment is "
    "updated on every push; comment `/todo preview` to recompute it.</sub>"
)
ROLL_CALL_FIX = (
    "add them to the meeting's roll call (`Name / affiliation / @login`), "
    f"or map them under `people` in `{SETTINGS_PATH}`"
)
UNASSIGNABLE_FIX = (
    "GitHub does not accept them as assignees in this repository: the issue names them "
    "instead of assigning them"
)

_STATE_RE = re.compile(r"<!-- meeting-todo-bot-preview-state (\{.*?\}) -->", re.S)


@dataclass(frozen=True)
class PlannedIssue:
    """An issue the preview said merging would open: the item's key and the issue's title."""

    key: str
    title: str


@dataclass(frozen=True)
class PreviewState:
    """What the preview comment remembers (hidden in it) for the edit after the merge."""

    #: The issues merging would open (or, with ``cap_hit``, would hold back).
    planned: tuple[PlannedIssue, ...] = ()
    #: Existing issues merging would update, close, reopen or comment on.
    touched: tuple[int, ...] = ()
    cap_hit: bool = False
    #: The commit the pull request was merged as, once the bot has seen the merge.
    merged: str | None = None

    def to_comment(self) -> str:
        """The state as a hidden HTML comment."""
        data = {
            "planned": [{"key": p.key, "title": p.title} for p in self.planned],
            "touched": list(self.touched),
            "cap_hit": self.cap_hit,
            "merged": self.merged,
        }
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
        # JSON escapes: the comment cannot end early, and no "@name" is left even hidden.
        for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("@", "\\u0040")):
            text = text.replace(char, escape)
        return f"<!-- meeting-todo-bot-preview-state {text} -->"

    @classmethod
    def parse(cls, body: str | None) -> PreviewState | None:
        """The state hidden in a preview comment's body; ``None`` when there is none."""
        match = _STATE_RE.search(body or "")
        if match is None:
            return None
        try:
            data = json.loads(match.group(1))
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        return cls(
            planned=tuple(_planned(data.get("planned"))),
            touched=tuple(n for n in data.get("touched") or () if isinstance(n, int) and n > 0),
            cap_hit=data.get("cap_hit") is True,
            merged=data["merged"] if isinstance(data.get("merged"), str) else None,
        )


def _planned(raw: Any) -> Iterable[PlannedIssue]:
    if not isinstance(raw, list):
        return
    for entry in raw:
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            title = entry.get("title")
            yield PlannedIssue(entry["key"], title if isinstance(title, str) else "")


# --- finding the comment -----------------------------------------------------------------------


def is_preview_comment(comment: Mapping[str, Any], bot_login: str) -> bool:
    """Whether a pull request comment is the bot's preview (its login and the hidden tag)."""
    author = str((comment.get("user") or {}).get("login", ""))
    return author.casefold() == bot_login.casefold() and PREVIEW_TAG in comment_tags(
        comment.get("body")
    )


def find_preview_comment(
    comments: Iterable[Mapping[str, Any]], bot_login: str
) -> Mapping[str, Any] | None:
    """The first preview comment among a pull request's comments (oldest first), if any."""
    return next((c for c in comments if is_preview_comment(c, bot_login)), None)


# --- before the merge --------------------------------------------------------------------------


def changes_action_items(plan: Plan) -> bool:
    """Whether merging would write anything at all (else the pull request gets no preview)."""
    return bool(plan.actions) or plan.cap_hit


def preview_state(plan: Plan) -> PreviewState:
    """The hidden state of the preview of ``plan``."""
    opened = (*plan.creates, *plan.held_back)
    return PreviewState(
        planned=tuple(PlannedIssue(c.key, c.title[:MAX_STATE_TITLE]) for c in opened),
        touched=tuple(_touched_numbers(plan.actions)),
        cap_hit=plan.cap_hit,
    )


def render_preview(
    plan: Plan, *, issues: Mapping[int, IssueState], warnings: Sequence[str] = ()
) -> str:
    """The preview comment for a plan made against a pull request's head.

    ``issues`` are the bot's issues by number (for titles, and to tell a change to the text
    the bot wrote from one to its hidden bookkeeping); ``warnings`` are the reader's, about
    the pull request's notes.
    """
    sections = [
        HEADING,
        "Merging this pull request would make meeting-todo-bot:",
        *_opened(plan),
        *_existing(plan.actions, issues),
        *_carried(plan),
        *_unresolved(plan),
        *_unassignable(plan),
        *_warnings(warnings),
        FOOTER,
    ]
    return _finish(sections, preview_state(plan))


def render_unchanged() -> str:
    """The preview once the pull request no longer changes any action item."""
    sections = [
        HEADING,
        "This pull request no longer changes any action item: merging it files, updates "
        "and closes nothing.",
        FOOTER,
    ]
    return _finish(sections, PreviewState())


def render_other_base(base_ref: str, default_branch: str) -> str:
    """The preview once the pull request targets a branch other than the default branch."""
    sections = [
        HEADING,
        f"This pull request now targets {code_span(base_ref)}, not the default branch "
        f"{code_span(default_branch)}: merging it files, updates and closes nothing. Retarget "
        "it to the default branch to see its preview again.",
    ]
    return _finish(sections, PreviewState())


def render_settings_problems(problems: Sequence[str]) -> str:
    """The preview when the pull request's settings file has problems."""
    listed = "\n".join(f"- {block_text(p)}" for p in problems)
    sections = [
        HEADING,
        f"`{SETTINGS_PATH}` in this pull request has problems, so after merging "
        "meeting-todo-bot would act on no push until they are fixed:",
        listed,
        FOOTER,
    ]
    return _finish(sections, PreviewState())


def _finish(sections: Sequence[str], state: PreviewState) -> str:
    # The one place mentions are neutralised. The hidden lines are added after: their JSON
    # already escapes "<", ">" and "@", and the tag is the bot's own.
    visible = neutralise_mentions("\n\n".join(s for s in sections if s))
    return f"{visible}\n\n{comment_tag(PREVIEW_TAG)}\n{state.to_comment()}\n"


def _title(text: str) -> str:
    return f"“{block_text(' '.join(text.split()))}”"


def _logins(logins: Iterable[str]) -> str:
    return ", ".join(f"@{login}" for login in logins)  # made inert by _finish


def _labels(labels: Iterable[str]) -> str:
    return ", ".join(code_span(label) for label in labels)


def _listed(lines: Sequence[str]) -> list[str]:
    shown = list(lines[:MAX_LISTED])
    if len(lines) > MAX_LISTED:
        shown.append(f"- … and {len(lines) - MAX_LISTED} more")
    return shown


def _section(heading: str, lines: Sequence[str]) -> list[str]:
    if not lines:
        return []
    return [heading, "\n".join(_listed(lines))]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _create_line(create: CreateIssue) -> str:
    parts = [f"- {_title(create.title)} from {code_span(create.item.path)}"]
    details: list[str] = []
    if create.assignees:
        details.append("assigned to " + _logins(create.assignees))
    if create.labels:
        details.append("labelled " + _labels(create.labels))
    if details:
        parts.append(": " + "; ".join(details))
    return "".join(parts)


def _opened(plan: Plan) -> list[str]:
    creates = plan.creates
    sections = _section(
        f"**Open {_plural(len(creates), 'issue')}**", [_create_line(c) for c in creates]
    )
    if plan.cap_hit:
        count = len(plan.held_back)
        lines = [f"- {_title(c.title)} from {code_span(c.item.path)}" for c in plan.held_back]
        heading = (
            f"**Hold back {_plural(count, 'new action item')}: the per-push cap would be "
            f"hit.** One push may file {plan.cap} new issues (`max_new_issues_per_push` in "
            f"`{SETTINGS_PATH}`); the rest wait for the next pushes, which file them up to the "
            "cap each, in notes order. The check run on the merge commit lists them:"
        )
        sections += _section(heading, lines)
    return sections


def _touched_numbers(actions: Iterable[Action]) -> list[int]:
    numbers: list[int] = []
    for action in actions:
        number = getattr(action, "number", None)
        if isinstance(action, CreateIssue) or not isinstance(number, int):
            continue
        if number not in numbers:
            numbers.append(number)
    return numbers


def _update_words(update: UpdateIssue, issue: IssueState | None) -> list[str]:
    words: list[str] = []
    if update.title is not None:
        words.append(f"retitle it {_title(update.title)}")
    if update.state == "closed":
        words.append(f"close it as {(update.state_reason or 'completed').replace('_', ' ')}")
    elif update.state == "open":
        words.append("reopen it")
    if update.body is not None and _text_changes(update.body, issue):
        words.append("update the text it wrote from the notes")
    return words


def _text_changes(new_body: str, issue: IssueState | None) -> bool:
    """Whether a body update changes what people read (not only the hidden marker)."""
    if issue is None:
        return True
    return generated_part(new_body) != generated_part(issue.body)


def _action_words(action: Action, issue: IssueState | None) -> list[str]:
    match action:
        case UpdateIssue():
            return _update_words(action, issue)
        case AddLabels():
            return ["add " + _labels(action.labels)]
        case AddAssignees():
            return ["assign " + _logins(action.logins)]
        case CommentOnIssue():
            return [f"comment ({block_text(action.reason)})"]
    return []


def _existing(actions: Sequence[Action], issues: Mapping[int, IssueState]) -> list[str]:
    words: dict[int, list[str]] = {}
    for action in actions:
        number = getattr(action, "number", None)
        if isinstance(action, CreateIssue) or not isinstance(number, int):
            continue
        words.setdefault(number, []).extend(_action_words(action, issues.get(number)))
    lines = []
    for number, said in words.items():
        issue = issues.get(number)
        name = f"#{number} {_title(issue.title)}" if issue is not None else f"#{number}"
        lines.append(f"- {name}: " + ", ".join(said or ["record where the item is now"]))
    return _section(f"**Change {_plural(len(lines), 'existing issue')}**", lines)


def _carried(plan: Plan) -> list[str]:
    lines = []
    for carry in plan.carry_overs:
        meeting = f"**{block_text(carry.meeting.title)}**"
        if carry.meeting.date:
            meeting += f" ({block_text(carry.meeting.date)})"
        line = (
            f"- {_title(carry.title)} (#{carry.number}), now in {meeting}, "
            f"{code_span(carry.item.path)}"
        )
        if carry.reopened:
            line += ": reopened, as it is not done there"
        elif carry.item.done:
            line += ": done there"
        lines.append(line)
    return _section("**Carried over from earlier meetings**", lines)


def _unresolved(plan: Plan) -> list[str]:
    lines = [
        f"- {_title(u.item.title)} in {code_span(u.item.path)}: "
        + ", ".join(block_text(name) for name in u.names)
        for u in plan.unresolved
    ]
    heading = f"**Owners who resolve to nobody, or to several people**: {ROLL_CALL_FIX}."
    return _section(heading, lines)


def _unassignable(plan: Plan) -> list[str]:
    lines = [
        f"- {_title(u.item.title)} in {code_span(u.item.path)}: {_logins(u.logins)}"
        for u in plan.unassignable
    ]
    return _section(f"**Logins GitHub will not assign**: {UNASSIGNABLE_FIX}.", lines)


def _warnings(warnings: Sequence[str]) -> list[str]:
    lines = [f"- {block_text(w)}" for w in warnings]
    return _section("**Notes the bot could not read in full**", lines)


# --- after the merge ---------------------------------------------------------------------------


def filed_issues(issues: Iterable[IssueState], keys: Iterable[str]) -> dict[str, IssueState]:
    """The bot issue each item key leads to (by its marker's key, else one of its aliases)."""
    wanted = set(keys)
    primary: dict[str, IssueState] = {}
    alias: dict[str, IssueState] = {}
    for issue in sorted(issues, key=lambda i: i.number):
        marker = issue.marker
        if marker is None or issue.is_pull_request:
            continue
        if marker.key in wanted:
            primary.setdefault(marker.key, issue)
        for old in marker.aliases:
            if old in wanted:
                alias.setdefault(old, issue)
    return {key: primary.get(key) or alias[key] for key in wanted if key in primary or key in alias}


def render_merged(
    state: PreviewState,
    *,
    merge_commit: str,
    filed: Mapping[str, IssueState],
    push_handled: bool,
) -> str:
    """The comment once the pull request is merged: the issues actually filed, linked.

    ``filed`` maps the planned items' keys to the bot's issues for them; ``push_handled``
    says whether the bot has handled the push of the merge commit yet (before that, the
    missing issues are still to come).
    """
    done = [p for p in state.planned if p.key in filed]
    missing = [p for p in state.planned if p.key not in filed]
    merged_as = f" as {code_span(merge_commit[:7])}" if merge_commit else ""
    sections = [f"{HEADING}: merged", f"This pull request was merged{merged_as}."]
    if done:
        lines = [f"- #{filed[p.key].number} {_title(filed[p.key].title)}" for p in done]
        sections += _section(f"**meeting-todo-bot filed {_plural(len(done), 'issue')}**", lines)
    if missing:
        lines = [f"- {_title(p.title)}" for p in missing]
        if not push_handled:
            heading = (
                "**Still to be filed**: the bot files these when it handles the push of the "
                "merge commit, and links them here then."
            )
        elif state.cap_hit:
            heading = (
                "**Not filed yet: held back by the per-push cap**; the next pushes file "
                "them, and the check run on the merge commit lists them."
            )
        else:
            heading = "**Not filed**: the merged notes did not call for a new issue for these."
        sections += _section(heading, lines)
    if state.touched:
        numbers = ", ".join(f"#{n}" for n in state.touched)
        verb = "brought" if push_handled else "brings"
        sections.append(f"The merge also {verb} {numbers} in line with the notes.")
    if not state.planned and not state.touched:
        sections.append("It changed no action item.")
    merged_state = PreviewState(state.planned, state.touched, state.cap_hit, merge_commit or None)
    return _finish(sections, merged_state)
