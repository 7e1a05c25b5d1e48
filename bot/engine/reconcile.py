"""The one read-plan-execute: a push, ``python -m bot sync`` and ``/todo sync`` all come here.

Which notes are read is the only difference between them (:class:`PushRange`,
:class:`EveryNotesFile`, :class:`NotesFiles`); settings, planning, execution and the outcome
are the same code, so the three can never disagree about what the notes mean.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.engine.execute import ExecutionResult, execute
from bot.engine.read import PlanResult, load_repo_settings, plan_files, plan_full, plan_push
from bot.github import GitHubClient
from bot.planner.actions import Action, CreateIssue
from bot.queue import Store
from bot.settings import Settings


@dataclass(frozen=True)
class PushRange:
    """The notes a push changed (``before..head``); a full read when ``before`` is unknown.

    ``owed``: items held back by the cap of an earlier push (key, path): their files are read
    too, and they are filed as if new, up to the cap.
    """

    before: str
    owed: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class EveryNotesFile:
    """Every notes file at the head; ``capped``: hold new issues past the per-push cap."""

    capped: bool


@dataclass(frozen=True)
class NotesFiles:
    """Only these notes files, in full-sync mode; ``issue``: write to that issue only;
    ``create``: only file the issue of that item key (a held item, filed on request)."""

    paths: Sequence[str]
    issue: int | None = None
    create: str | None = None


Scope = PushRange | EveryNotesFile | NotesFiles


@dataclass(frozen=True)
class Reconciled:
    """What a reconcile planned (``None``: no notes changed) and did (``None``: nothing sent)."""

    planned: PlanResult | None
    outcome: ExecutionResult | None = None

    @property
    def ok(self) -> bool:
        """True unless a write failed."""
        return self.outcome is None or self.outcome.ok


async def reconcile(
    gh: GitHubClient,
    store: Store,
    repo: str,
    head: str,
    scope: Scope,
    *,
    bot_login: str,
    server_url: str,
    settings: Settings | None = None,
    dry_run: bool = False,
    on_plan: Callable[[PlanResult], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Reconciled:
    """Bring the bot's issues in ``repo`` in line with the notes at ``head``.

    ``on_plan`` sees the plan before anything is sent (``sync`` prints it); ``progress`` hears
    of each write. Raises :class:`~bot.settings.SettingsError` when the settings file is wrong
    (the caller says so where its people look) and :class:`~bot.github.GitHubError` when a
    read fails.
    """
    if settings is None:
        settings = await load_repo_settings(gh, repo, head)
    planned: PlanResult | None
    match scope:
        case PushRange(before, owed):
            planned = await plan_push(
                gh,
                repo,
                before,
                head,
                owed=owed,
                bot_login=bot_login,
                settings=settings,
                server_url=server_url,
            )
        case EveryNotesFile(capped):
            planned = await plan_full(
                gh,
                repo,
                head,
                bot_login=bot_login,
                settings=settings,
                server_url=server_url,
                capped=capped,
            )
        case NotesFiles(paths):
            planned = await plan_files(
                gh,
                repo,
                paths,
                head,
                bot_login=bot_login,
                settings=settings,
                server_url=server_url,
                cap=None,
                missing_ok=True,  # a marker's file may be gone: that is what sync finds out
            )
    if planned is None:
        return Reconciled(None)
    if on_plan is not None:
        on_plan(planned)
    actions = list(planned.plan.actions)
    if isinstance(scope, NotesFiles) and scope.issue is not None:
        actions = actions_for_issue(actions, scope.issue)
    if isinstance(scope, NotesFiles) and scope.create is not None:
        actions = [a for a in actions if isinstance(a, CreateIssue) and a.key == scope.create]
    if dry_run or not actions:
        return Reconciled(planned)
    outcome = await execute(
        gh,
        repo,
        actions,
        store=store,
        bot_login=bot_login,
        bot_label=settings.labels[0] if settings.labels else None,
        progress=progress,
    )
    return Reconciled(planned, outcome)


def actions_for_issue(actions: Sequence[Action], number: int) -> list[Action]:
    """The planned actions that write to issue ``number`` (no new issues)."""
    return [
        a
        for a in actions
        if not isinstance(a, CreateIssue) and getattr(a, "number", None) == number
    ]
