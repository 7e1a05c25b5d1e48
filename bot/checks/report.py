"""Pure: what the ``meeting-todo-bot`` check run says about one push or one notes pull request.

The check run is where the bot tells people what it did and what it did not do: on the
pushed commit (and on a notes pull request's head, saying what merging would do), in the
Checks tab a committer already looks at. It needs only ``checks: write``, which a GitHub App
can be granted without any write access to the code (commit comments would need
``contents: write``). Its conclusion is ``success`` or ``neutral``, never ``failure``: the
bot reports, it does not gate merges (see docs/design.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.markdown.issue_body import code_span, inline_text
from bot.markdown.mentions import neutralise_mentions
from bot.planner.actions import CreateIssue
from bot.planner.plan import Plan
from bot.settings import SETTINGS_PATH

#: The check run's name on every commit the bot reports on.
CHECK_NAME = "meeting-todo-bot"
#: GitHub refuses a check run's ``summary`` or ``text`` over 65535 characters.
OUTPUT_LIMIT = 65535
#: At most this many entries per list; the rest are counted.
SHOWN = 100

Conclusion = Literal["success", "neutral"]


@dataclass(frozen=True)
class CheckOutput:
    """A check run's conclusion and output, as GitHub takes them."""

    conclusion: Conclusion
    title: str
    summary: str
    text: str

    def fields(self) -> dict[str, object]:
        """The JSON fields of ``checks/create`` and ``checks/update`` that carry it."""
        return {
            "status": "completed",
            "conclusion": self.conclusion,
            "output": {"title": self.title, "summary": self.summary, "text": self.text},
        }

    def matches(self, run: Mapping[str, object]) -> bool:
        """Whether the check run ``run`` (as GitHub lists it) already says exactly this."""
        output = run.get("output")
        if not isinstance(output, Mapping) or run.get("conclusion") != self.conclusion:
            return False
        return (output.get("title"), output.get("summary"), output.get("text")) == (
            self.title,
            self.summary,
            self.text,
        )


def _where(path: str, line: int) -> str:
    return code_span(f"{path}:{line}")


def _bullets(lines: Sequence[str]) -> list[str]:
    shown = [f"- {line}" for line in lines[:SHOWN]]
    if len(lines) > SHOWN:
        shown.append(f"- … and {len(lines) - SHOWN} more")
    return shown


def _created(create: CreateIssue, number: int | None) -> str:
    issue = f"#{number} " if number is not None else ""
    return f"{issue}{inline_text(create.title)} ({_where(create.item.path, create.item.line)})"


def settings_report(problems: Sequence[str], *, repo: str) -> CheckOutput:
    """Settings that cannot be used: nothing was read or filed; each problem names its file,
    key and what was expected, and how to fix it."""
    text = [
        "## Settings problems",
        "",
        "Each line names the file, where in it, the key and what was expected:",
        "",
        *_bullets(list(problems)),
        "",
        "## How to fix it",
        "",
        f"Correct the file named above (the repository's `{SETTINGS_PATH}`, or the "
        f"organisation's defaults in `OWNER/.github`) and push. The first push after the fix "
        "reads every notes change since the settings broke and files what is owed; nothing "
        "is lost meanwhile. Every setting is described in meeting-todo-bot's docs/settings.md.",
    ]
    return CheckOutput(
        "neutral",
        "Settings problems: nothing filed",
        f"meeting-todo-bot did not read the notes of {code_span(repo)} at this commit: "
        f"its settings have {len(problems)} problem(s). Nothing was filed or changed.",
        _finish(text),
    )


def other_base_report(base: str, default_branch: str) -> CheckOutput:
    """A notes pull request retargeted away from the default branch: merging it files
    nothing, so what its check run said before no longer holds."""
    return CheckOutput(
        "neutral",
        "Not previewed: not against the default branch",
        f"This pull request now targets {code_span(base)}, not {code_span(default_branch)}: "
        "merging it files nothing. Retargeted back, it is previewed again.",
        "Nothing to change.\n",
    )


def plan_report(
    plan: Plan,
    *,
    warnings: Sequence[str] = (),
    created: Mapping[str, int] | None = None,
    preview: bool = False,
) -> CheckOutput:
    """What a push did (``created``: item key -> issue number filed), or for a notes pull
    request (``preview``) what merging it would do."""
    created = created or {}

    def verb(done: str, would: str) -> str:
        return would if preview else done

    closes = plan.closes
    closed = {u.number for u in closes}
    updates = [u for u in plan.updates if u.number not in closed]
    # Filed now and by an earlier run of the same push (a redelivery, a retry), in notes order.
    rows = [(c.item.path, c.item.line, _created(c, created.get(c.key))) for c in plan.creates]
    rows += [
        (
            i.marker.path,
            i.marker.line,
            f"#{i.number} {inline_text(i.marker.title)} ({_where(i.marker.path, i.marker.line)})",
        )
        for i in plan.filed_earlier
        if i.marker is not None
    ]
    filed = [text for *_, text in sorted(rows)]
    counts = [
        f"{len(filed)} {verb('filed', 'to file')}",
        f"{len({u.number for u in updates})} {verb('updated', 'to update')}",
        f"{len(closes)} {verb('closed', 'to close')}",
    ]
    text: list[str] = []
    if filed:
        text += [
            f"## {verb('Filed', 'Would file')}",
            "",
            *_bullets(filed),
            "",
        ]
    if updates:
        text += [
            f"## {verb('Updated', 'Would update')}",
            "",
            *_bullets([u.summary for u in updates]),
            "",
        ]
    if closes:
        text += [f"## {verb('Closed', 'Would close')}", "", *_bullets([u.summary for u in closes])]
        text.append("")
    comments = plan.comments
    if comments:
        text += [
            f"## {verb('Commented', 'Would comment')}",
            "",
            *_bullets([c.summary for c in comments]),
            "",
        ]
    if plan.held_back:
        counts.append(f"{len(plan.held_back)} held back")
        text += [
            "## Held back by the per-push cap",
            "",
            f"{len(plan.held_back)} more new action items than the {plan.cap} new issues one "
            f"push may file (`max_new_issues_per_push` in `{SETTINGS_PATH}`). A push this "
            "large is more often imported or reorganised notes than new decisions, so the "
            f"rest wait: the next push files up to {plan.cap} of them, in notes order "
            "(any push, even one that changes no notes); a maintainer can also file them now "
            "with `/todo sync` or `python -m bot sync`, or raise the setting.",
            "",
            *_bullets([_created(c, None) for c in plan.held_back]),
            "",
        ]
    if plan.held_destructive:
        counts.append(f"{len(plan.held_destructive)} left alone")
        text += [
            "## Held back by the destructive guard",
            "",
            f"This push would close or mark as gone {len(plan.held_destructive)} existing "
            f"issues, more than {plan.destructive_limit} (`max_destructive_per_push`): so many "
            "at once is more likely a misread or a moved folder than a decision, so none of "
            "them was touched. If it is meant, raise the setting or run `python -m bot sync`.",
            "",
            *_bullets([f"#{h.number}: " + "; ".join(h.summaries) for h in plan.held_destructive]),
            "",
        ]
    if warnings:
        text += [
            "## Notes that could not be read fully",
            "",
            "Bytes that are not UTF-8 were read as the replacement character (�); the rest of "
            "each file was read. Re-save the file as UTF-8 to fix it.",
            "",
            *_bullets(list(warnings)),
            "",
        ]
    if plan.unresolved:
        text += [
            "## Owners the bot could not resolve",
            "",
            *_bullets(
                [
                    f"{inline_text(u.item.title)} ({_where(u.item.path, u.item.line)}): "
                    f"{', '.join(u.names)}: {u.fix}"
                    for u in plan.unresolved
                ]
            ),
            "",
        ]
    if plan.unassignable:
        text += [
            "## Owners GitHub would not assign",
            "",
            *_bullets(
                [
                    f"{inline_text(u.item.title)} ({_where(u.item.path, u.item.line)}): "
                    f"{', '.join(u.logins)}"
                    for u in plan.unassignable
                ]
            ),
            "",
        ]
    something_held = bool(plan.held_back or plan.held_destructive or warnings)
    title = ", ".join(counts)
    if preview:
        summary = "What merging this pull request would do to the action items' issues."
    else:
        summary = "What meeting-todo-bot did with the action items in the notes of this push."
    if something_held:
        summary += " Something was held back or could not be read: see below."
    return CheckOutput(
        "neutral" if something_held else "success",
        title,
        summary,
        _finish(text or ["Nothing to change."]),
    )


def _finish(lines: Sequence[str]) -> str:
    # Titles and settings quote people's text: a check run must notify nobody.
    text = neutralise_mentions("\n".join(lines).rstrip() + "\n")
    if len(text) > OUTPUT_LIMIT:
        text = text[: OUTPUT_LIMIT - 40].rsplit("\n", 1)[0] + "\n\n… (cut: too long)\n"
    return text
