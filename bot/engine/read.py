"""The I/O shell around the planner: fetch what it needs from GitHub, then call it.

Everything here reads; nothing writes. The push handler, ``sync`` and the pull-request
preview all come through :func:`plan_push` or :func:`plan_full`, so they agree.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from bot.engine.settings_files import load_settings_layers
from bot.github import GitHubClient, api
from bot.notes import NotesError, read_notes
from bot.notes.model import NotesFile
from bot.planner.plan import IssueState, Plan, logins_to_check, plan_changes
from bot.settings import Settings, SettingsError, is_notes_path

log = logging.getLogger(__name__)

ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class NotesChanges:
    """The notes files one range of commits touched (paths are repository-relative)."""

    before_paths: tuple[
        str, ...
    ]  # notes files to read at the base (modified, removed, renamed-from)
    after_paths: tuple[str, ...]  # notes files to read at the head (added, modified, renamed-to)
    renames: Mapping[str, str] = field(default_factory=dict)
    departed_paths: tuple[str, ...] = ()  # Markdown outside the notes that text may move from

    @property
    def is_empty(self) -> bool:
        """True when no notes file changed."""
        return not self.before_paths and not self.after_paths


@dataclass(frozen=True)
class PlanResult:
    """A plan and what it was made from (for logs, previews and tests)."""

    plan: Plan
    settings: Settings
    files_read: int
    warnings: tuple[str, ...] = ()
    #: The bot's issues as they were read for the plan (a preview shows them again).
    issues: tuple[IssueState, ...] = ()


async def load_repo_settings(gh: GitHubClient, repo: str, ref: str) -> Settings:
    """The repository's settings at ``ref``, over its owner's defaults (``OWNER/.github``) and
    what ``_extends`` names; the built-in defaults when there are no files.

    Raises :class:`SettingsError` when a file exists but is wrong: the caller reports it
    rather than acting on settings the maintainers did not mean.
    """
    return await load_settings_layers(gh, repo, ref)


def _is_markdown(path: str) -> bool:
    return path.lower().endswith((".md", ".markdown"))


def notes_changes(files: Iterable[Mapping[str, object]], settings: Settings) -> NotesChanges:
    """Sort a compare's ``files`` into the notes to read before and after.

    A rename counts when either name is a notes file: notes moved out of the notes folders
    are removed notes, notes moved in are added ones. Markdown files outside the notes that
    were removed or moved into the notes are read at the base too (``departed_paths``), so
    that text folded from them into notes counts as moved, not new.
    """
    before: list[str] = []
    after: list[str] = []
    departed: list[str] = []
    renames: dict[str, str] = {}
    for entry in files:
        status = str(entry.get("status", ""))
        name = str(entry.get("filename", ""))
        previous = entry.get("previous_filename")
        if status == "renamed" and isinstance(previous, str):
            old_is_notes = is_notes_path(previous, settings)
            new_is_notes = is_notes_path(name, settings)
            if old_is_notes:
                before.append(previous)
            if new_is_notes:
                after.append(name)
            if old_is_notes and new_is_notes:
                renames[previous] = name
            elif new_is_notes and _is_markdown(previous):
                departed.append(previous)
                renames[previous] = name
            continue
        if not is_notes_path(name, settings):
            if status == "removed" and _is_markdown(name):
                departed.append(name)
            continue
        if status in ("modified", "changed", "removed"):
            before.append(name)
        if status in ("added", "modified", "changed", "copied"):
            after.append(name)
    return NotesChanges(
        tuple(sorted(set(before))),
        tuple(sorted(set(after))),
        renames,
        tuple(sorted(set(departed))),
    )


async def read_notes_files(
    gh: GitHubClient,
    repo: str,
    paths: Iterable[str],
    ref: str,
    settings: Settings,
    *,
    missing_ok: bool = False,
) -> tuple[dict[str, NotesFile], list[str]]:
    """Read and parse each notes file at ``ref``.

    Every path must be there (it came from a listing or a comparison at ``ref``) unless
    ``missing_ok``: a file GitHub does not give raises :class:`~bot.github.api.Unreadable`
    rather than reading as deleted notes. Bytes that are not UTF-8 and notes the reader
    cannot parse are reported in the warnings.
    """
    result: dict[str, NotesFile] = {}
    warnings: list[str] = []
    for path in paths:
        read = await api.read_notes_text(gh, repo, path, ref, missing_ok=missing_ok)
        if read is None:
            continue
        warnings.extend(read.problems)
        try:
            notes = parse_notes(read.text, path, settings, gh.derived)
        except NotesError as exc:
            warnings.append(f"{path}: {exc}")
            continue
        warnings.extend(f"{path}: {w}" for w in notes.warnings)
        result[path] = notes
    return result, warnings


def parse_notes(
    text: str, path: str, settings: Settings, cache: MutableMapping[Any, Any]
) -> NotesFile:
    """:func:`bot.notes.read_notes`, remembering results in ``cache`` (the reader is pure)."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    key = ("notes", path, digest, repr(settings))
    notes = cache.get(key)
    if not isinstance(notes, NotesFile):
        notes = read_notes(text, path, settings)
        cache[key] = notes
    return notes


async def issue_states(gh: GitHubClient, repo: str, bot_login: str) -> list[IssueState]:
    """The bot's issues in ``repo`` (all states), as the planner sees them."""
    raw = await api.bot_issues(gh, repo, bot_login)
    return [IssueState.from_github(issue) for issue in raw]


async def assignability(gh: GitHubClient, repo: str, logins: Iterable[str]) -> dict[str, bool]:
    """Whether GitHub accepts each login as an assignee in ``repo`` (one cached check each)."""
    return {login: await api.can_assign(gh, repo, login) for login in sorted(set(logins))}


async def plan_push(
    gh: GitHubClient,
    repo: str,
    base: str,
    head: str,
    *,
    bot_login: str,
    settings: Settings | None = None,
    server_url: str = "https://github.com",
    files: list[dict[str, Any]] | None = None,
    owed: tuple[tuple[str, str], ...] = (),
) -> PlanResult | None:
    """Plan what the commits ``base..head`` mean for the bot's issues.

    Returns None when no notes file changed (nothing read beyond the compare). Falls back
    to a full plan at ``head`` when ``base`` is zero or unknown to GitHub (a force push, a
    new branch). ``files``: the changes ``base..head``, when the caller has them already.
    ``owed``: items (key, path) held back by an earlier push's cap: their files are read at
    ``head`` as unchanged notes and the items filed as if new, so a push that changes no notes
    still files them.
    """
    if settings is None:
        settings = await load_repo_settings(gh, repo, head)
    if files is None and base != ZERO_SHA:
        files = await api.changed_files(gh, repo, base, head)
    if files is None:
        return await plan_full(
            gh,
            repo,
            head,
            bot_login=bot_login,
            settings=settings,
            server_url=server_url,
            owed=owed,
        )
    changes = notes_changes(files, settings)
    touched = {*changes.before_paths, *changes.after_paths, *changes.renames}
    unchanged = sorted(
        {path for _, path in owed if path not in touched and is_notes_path(path, settings)}
    )
    if changes.is_empty and not unchanged:
        return None
    before, warnings_before = await read_notes_files(gh, repo, changes.before_paths, base, settings)
    # Their warnings are not about notes, so they are not reported.
    departed, _ = await read_notes_files(gh, repo, changes.departed_paths, base, settings)
    before.update(departed)
    after, warnings_after = await read_notes_files(gh, repo, changes.after_paths, head, settings)
    # The files of held items, unchanged by this push: the same on both sides, so only
    # what ``owed`` names is filed from them.
    held_files, warnings_held = await read_notes_files(
        gh, repo, unchanged, head, settings, missing_ok=True
    )
    before.update(held_files)
    after.update(held_files)
    warnings_after += warnings_held
    issues = await issue_states(gh, repo, bot_login)
    assignable = await assignability(gh, repo, logins_to_check(after))
    plan = plan_changes(
        before=before,
        after=after,
        renames=changes.renames,
        issues=issues,
        settings=settings,
        assignable=assignable,
        repo=repo,
        commit=head,
        server_url=server_url,
        owed=frozenset(key for key, _ in owed),
    )
    return PlanResult(
        plan,
        settings,
        len(before) + len(after) - len(held_files),
        tuple(warnings_before + warnings_after),
        tuple(issues),
    )


async def plan_full(
    gh: GitHubClient,
    repo: str,
    head: str,
    *,
    bot_login: str,
    settings: Settings | None = None,
    server_url: str = "https://github.com",
    capped: bool = True,
    owed: tuple[tuple[str, str], ...] = (),
) -> PlanResult:
    """Plan against every notes file at ``head`` (``sync``, and pushes with no usable base).

    ``capped``: hold new issues back past the settings' per-push cap (``sync`` is a deliberate
    backfill and is not capped).
    """
    if settings is None:
        settings = await load_repo_settings(gh, repo, head)
    paths = [p for p in await api.list_tree(gh, repo, head) if is_notes_path(p, settings)]
    return await plan_files(
        gh,
        repo,
        paths,
        head,
        bot_login=bot_login,
        settings=settings,
        server_url=server_url,
        cap=settings.max_new_issues_per_push if capped else None,
        owed=owed,
    )


async def plan_files(
    gh: GitHubClient,
    repo: str,
    paths: Iterable[str],
    head: str,
    *,
    bot_login: str,
    settings: Settings,
    server_url: str,
    cap: int | None,
    missing_ok: bool = False,
    owed: tuple[tuple[str, str], ...] = (),
) -> PlanResult:
    """Plan in full-sync mode against the notes files ``paths`` at ``head``.

    A path that no longer holds notes at ``head`` counts as gone: its items' issues close.
    ``cap``: the most new issues to file (None: no cap). ``missing_ok``: the paths were not
    listed at ``head`` (an issue's marker names them), so a missing one is gone, not unread.
    """
    after, warnings = await read_notes_files(gh, repo, paths, head, settings, missing_ok=missing_ok)
    issues = await issue_states(gh, repo, bot_login)
    assignable = await assignability(gh, repo, logins_to_check(after))
    plan = plan_changes(
        before={},
        after=after,
        renames={},
        issues=issues,
        settings=settings,
        assignable=assignable,
        repo=repo,
        commit=head,
        server_url=server_url,
        full_sync=True,
        cap=cap,
        # A deliberate sync (cap None) may close what it finds gone; a push may not do it
        # wholesale.
        destructive_limit=None if cap is None else settings.max_destructive_per_push,
        owed=frozenset(key for key, _ in owed),
    )
    return PlanResult(plan, settings, len(after), tuple(warnings), tuple(issues))


__all__ = [
    "ZERO_SHA",
    "NotesChanges",
    "PlanResult",
    "SettingsError",
    "assignability",
    "issue_states",
    "load_repo_settings",
    "notes_changes",
    "parse_notes",
    "plan_files",
    "plan_full",
    "plan_push",
    "read_notes_files",
]
