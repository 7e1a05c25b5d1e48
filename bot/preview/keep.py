"""Keep the preview comment on notes pull requests: plan, post once, edit, link after merge.

The I/O around :mod:`bot.preview.comment`. A pull request gets at most one preview comment (found by
the bot's login and the hidden ``preview`` tag), created the first time the pull request
changes an action item and edited in place afterwards, only when its text changes.

After a merge two deliveries arrive in either order: ``pull_request`` ``closed`` (merged) and
the ``push`` of the merge commit. :func:`record_merge` handles the first and
:func:`after_push` (which the push handler calls once it has filed the issues) the second;
each edit is idempotent, so either order ends with the comment linking the issues filed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.checks.publish import publish_check
from bot.checks.report import CheckOutput, other_base_report, plan_report, settings_report
from bot.engine.read import issue_states, load_repo_settings, notes_changes, plan_push
from bot.github import GitHubClient, GitHubError, api
from bot.planner.issues import IssueState
from bot.preview.comment import (
    PreviewState,
    changes_action_items,
    filed_issues,
    find_preview_comment,
    render_merged,
    render_other_base,
    render_preview,
    render_settings_problems,
    render_unchanged,
)
from bot.queue import DAY, Store
from bot.settings import SETTINGS_PATH, Settings, SettingsError

log = logging.getLogger(__name__)

#: Pull request numbers looked at for one push (merge commits name the ones they merge).
MAX_MERGED_PER_PUSH = 10

# Which pull request a merge commit came from, learnt from ``closed`` deliveries: a rebase
# merge's commits do not name their pull request. And which pushes were handled, so that a
# ``closed`` delivery handled after its push knows the missing issues are not coming.

_MERGE_MESSAGE = re.compile(r"^Merge pull request #(\d+) from ")
_SQUASH_MESSAGE = re.compile(r"\(#(\d+)\)\s*$")


class PreviewOutcome(Enum):
    """What happened to a pull request's preview comment."""

    CREATED = "created"
    EDITED = "edited"
    UNCHANGED = "unchanged"  # the comment already said this
    NONE = "none"  # no comment, and none needed


@dataclass(frozen=True)
class PullNotes:
    """What a pull request changes, as far as the bot cares."""

    #: The sha of the pull request's head, as GitHub shows it now.
    head: str | None
    filenames: tuple[str, ...]
    #: Whether a notes file changes (by the settings at the head, or the defaults when the
    #: settings file there has problems).
    touches_notes: bool
    touches_settings: bool
    settings: Settings
    settings_error: SettingsError | None = None
    #: The branch the pull request targets and that branch's commit, as GitHub shows them.
    base_ref: str | None = None
    base_sha: str | None = None
    default_branch: str | None = None
    is_open: bool = True

    @property
    def matters(self) -> bool:
        """Whether the pull request is one the bot previews (a notes pull request)."""
        return self.touches_notes or (self.settings_error is not None and self.touches_settings)

    @property
    def against_default_branch(self) -> bool:
        """Whether merging it lands on the default branch (the only branch the bot files from)."""
        return bool(self.base_ref) and self.base_ref == self.default_branch


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


async def read_pull(gh: GitHubClient, repo: str, number: int, head: str | None = None) -> PullNotes:
    """A pull request's base and head (``pulls/get``), the files it changes and its settings
    at the head.

    ``head``: what a delivery said, used only if GitHub does not show the pull request; a
    delivery may be older than a push or a retarget since, so GitHub's answer wins.
    """
    pull = await api.get_pull(gh, repo, number) or {}
    base = pull.get("base") or {}
    head = _text((pull.get("head") or {}).get("sha")) or head
    files = await api.pull_files(gh, repo, number)
    filenames = tuple(str(f.get("filename", "")) for f in files)
    touches_settings = SETTINGS_PATH in filenames or any(
        f.get("previous_filename") == SETTINGS_PATH for f in files
    )
    error: SettingsError | None = None
    settings = Settings()
    if head is not None:
        try:
            settings = await load_repo_settings(gh, repo, head)
        except SettingsError as exc:
            error = exc
    touches_notes = not notes_changes(files, settings).is_empty
    return PullNotes(
        head,
        filenames,
        touches_notes,
        touches_settings,
        settings,
        error,
        base_ref=_text(base.get("ref")),
        base_sha=_text(base.get("sha")),
        default_branch=_text((base.get("repo") or {}).get("default_branch")),
        is_open=pull.get("state", "open") == "open",
    )


async def preview_body(
    gh: GitHubClient,
    repo: str,
    pull: PullNotes,
    *,
    base: str,
    bot_login: str,
    server_url: str,
) -> tuple[str | None, CheckOutput | None]:
    """The preview's text for a pull request (``None`` when it changes no action item), and
    what the check run on its head says (the same, for the Checks tab).

    ``base`` is the pull request's base (a sha, or the default branch's name): the notes
    before are read where the pull request branched off it.
    """
    if pull.head is None:
        return None, None
    if pull.settings_error is not None:
        if pull.matters:
            problems = pull.settings_error.problems
            return render_settings_problems(problems), settings_report(problems, repo=repo)
        return None, None
    if not pull.touches_notes:
        return None, None
    # One comparison gives both where the branch left ``base`` and what it changed since:
    # the notes before are read there.
    comparison = await api.comparison(gh, repo, base, pull.head)
    result = await plan_push(
        gh,
        repo,
        comparison.merge_base or base,
        pull.head,
        bot_login=bot_login,
        settings=pull.settings,
        server_url=server_url,
        files=comparison.files if comparison.merge_base else None,
    )
    if result is None or not changes_action_items(result.plan):
        return None, None
    issues = {issue.number: issue for issue in result.issues}
    return (
        render_preview(result.plan, issues=issues, warnings=result.warnings),
        plan_report(result.plan, warnings=result.warnings, preview=True),
    )


async def upsert_preview(
    gh: GitHubClient,
    repo: str,
    number: int,
    body: str | None,
    existing: Mapping[str, Any] | None,
) -> PreviewOutcome:
    """Post the preview once, or edit the existing one when its text changes.

    ``body`` ``None``: the pull request changes no action item; an existing preview is edited
    to say so, and none is created.
    """
    if body is None:
        if existing is None:
            return PreviewOutcome.NONE
        body = render_unchanged()
    if existing is None:
        await api.create_comment(gh, repo, number, body)
        return PreviewOutcome.CREATED
    if existing.get("body") == body:
        return PreviewOutcome.UNCHANGED
    await api.update_comment(gh, repo, int(existing["id"]), body)
    return PreviewOutcome.EDITED


async def refresh_preview(
    gh: GitHubClient,
    repo: str,
    number: int,
    *,
    bot_login: str,
    server_url: str,
    pull: PullNotes | None = None,
) -> PreviewOutcome:
    """Recompute a pull request's preview against its real base and head, and bring its
    comment up to date. ``pull``: already read.

    A pull request that no longer targets the default branch gets no preview; one it had
    is edited to say why (the plan it showed would not happen on merging).
    """
    if pull is None:
        pull = await read_pull(gh, repo, number)
    comments = await api.list_comments(gh, repo, number)
    existing = find_preview_comment(comments, bot_login)
    if not pull.against_default_branch:
        if existing is None:
            return PreviewOutcome.NONE
        elsewhere = render_other_base(pull.base_ref or "?", pull.default_branch or "?")
        outcome = await upsert_preview(gh, repo, number, elsewhere, existing)
        if pull.head is not None:
            retargeted = other_base_report(pull.base_ref or "?", pull.default_branch or "?")
            await publish_check(gh, repo, pull.head, retargeted, only_existing=True)
        return outcome
    base = pull.base_sha or pull.base_ref or ""
    body, check = await preview_body(
        gh, repo, pull, base=base, bot_login=bot_login, server_url=server_url
    )
    outcome = await upsert_preview(gh, repo, number, body, existing)
    if check is not None and pull.head is not None:
        # The head commit says what merging would do, where the Checks tab shows it.
        await publish_check(gh, repo, pull.head, check)
    return outcome


# --- after the merge ---------------------------------------------------------------------------


async def _push_handled(
    store: Store,
    repo: str,
    merge_commit: str,
    state: PreviewState,
    filed: Mapping[str, IssueState],
    issues: Sequence[IssueState],
) -> bool:
    if await store.get("handled-push", f"{repo.lower()}@{merge_commit}") is not None:
        return True
    if state.planned and all(p.key in filed for p in state.planned):
        return True
    # Issues the push of the merge commit wrote carry that commit in their marker.
    return any(i.marker is not None and i.marker.commit == merge_commit for i in issues)


async def link_merged(
    gh: GitHubClient,
    store: Store,
    repo: str,
    number: int,
    *,
    merge_commit: str,
    bot_login: str,
    push_handled: bool | None = None,
) -> PreviewOutcome:
    """Edit a merged pull request's preview to link the issues filed (if it has a preview).

    ``push_handled`` ``None``: judge from what this process saw and from the bot's issues.
    """
    comments = await api.list_comments(gh, repo, number)
    existing = find_preview_comment(comments, bot_login)
    if existing is None:
        return PreviewOutcome.NONE
    state = PreviewState.parse(existing.get("body")) or PreviewState()
    merge_commit = state.merged or merge_commit
    issues = await issue_states(gh, repo, bot_login)
    filed = filed_issues(issues, (p.key for p in state.planned))
    if push_handled is None:
        push_handled = await _push_handled(store, repo, merge_commit, state, filed, issues)
    body = render_merged(state, merge_commit=merge_commit, filed=filed, push_handled=push_handled)
    return await upsert_preview(gh, repo, number, body, existing)


async def record_merge(
    gh: GitHubClient, store: Store, repo: str, number: int, *, merge_commit: str, bot_login: str
) -> PreviewOutcome:
    """``pull_request`` ``closed`` with ``merged``: remember the merge, edit the preview."""
    if merge_commit:
        await store.put("merged-pull", f"{repo.lower()}@{merge_commit}", str(number), DAY)
    return await link_merged(
        gh, store, repo, number, merge_commit=merge_commit, bot_login=bot_login
    )


async def _merged_pull(store: Store, repo: str, sha: str) -> int | None:
    number = await store.get("merged-pull", f"{repo.lower()}@{sha}")
    return None if number is None else int(number)


async def merged_pull_candidates(store: Store, repo: str, push: Mapping[str, Any]) -> list[int]:
    """Pull requests a push may have merged: remembered merges, and those its commits name."""
    commits = [c for c in push.get("commits") or () if isinstance(c, dict)]
    shas = {str(c.get("id", "")) for c in commits} | {str(push.get("after", ""))}
    found: dict[int, None] = {}
    for sha in sorted(shas):
        number = await _merged_pull(store, repo, sha)
        if number is not None:
            found[number] = None
    for commit in commits:
        first_line = str(commit.get("message", "")).split("\n", 1)[0]
        for pattern in (_MERGE_MESSAGE, _SQUASH_MESSAGE):
            match = pattern.search(first_line)
            if match:
                found[int(match.group(1))] = None
    return list(found)[:MAX_MERGED_PER_PUSH]


async def _merge_commit_for(store: Store, repo: str, number: int, push: Mapping[str, Any]) -> str:
    for commit in push.get("commits") or ():
        sha = str(commit.get("id", "")) if isinstance(commit, dict) else ""
        if await _merged_pull(store, repo, sha) == number:
            return sha
    return str(push.get("after", ""))


async def after_push(
    gh: GitHubClient, store: Store, repo: str, push: Mapping[str, Any], *, bot_login: str
) -> list[int]:
    """Once a push to the default branch is handled: link the issues filed in the previews of
    the pull requests it merged. Returns the pull requests whose preview was edited.

    Safe to call after every push (it reads nothing when the push merged no pull request)
    and never raises for GitHub's errors: it logs them, as the push's own work is done.
    """
    after = str(push.get("after", ""))
    if after:
        await store.put("handled-push", f"{repo.lower()}@{after}", "1", DAY)
    edited: list[int] = []
    for number in await merged_pull_candidates(store, repo, push):
        try:
            issue = await api.get_issue(gh, repo, number)
            pull = (issue or {}).get("pull_request")
            if not isinstance(pull, dict) or not pull.get("merged_at"):
                continue
            outcome = await link_merged(
                gh,
                store,
                repo,
                number,
                merge_commit=await _merge_commit_for(store, repo, number, push),
                bot_login=bot_login,
                push_handled=True,
            )
        except GitHubError as exc:
            log.warning(
                "%s#%d: could not link the filed issues in its preview: %s", repo, number, exc
            )
            continue
        if outcome is PreviewOutcome.EDITED:
            edited.append(number)
    return edited
