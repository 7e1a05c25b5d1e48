"""Notes pull requests against the default branch: one preview comment, kept up to date.

Opened, reopened, pushed to (``synchronize``) or retargeted (``edited`` with a new base): the
bot reads the pull request as GitHub shows it now (``pulls/get``: its base and head), plans
against its head as a push would, files nothing, and posts or edits its one preview comment.
Retargeted away from the default branch, the comment says it no longer applies. Merged
(``closed`` with ``merged``): the comment is edited to link the issues filed (see
:mod:`bot.preview.keep` for the order of the merge and its push).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.context import BotContext
from bot.preview.keep import read_pull, record_merge, refresh_preview
from bot.push.router import server_url
from bot.web.dispatch import acts_when

if TYPE_CHECKING:
    from bot.github import GitHubClient

router = Router()


def _against_default_branch(data: Mapping[str, Any]) -> bool:
    repository = data.get("repository") or {}
    base = (data.get("pull_request") or {}).get("base") or {}
    return bool(base.get("ref")) and base.get("ref") == repository.get("default_branch")


def _open_against_default_branch(data: Mapping[str, Any]) -> bool:
    return (data.get("pull_request") or {}).get("state") == "open" and _against_default_branch(data)


def _retargeted(data: Mapping[str, Any]) -> bool:
    # A new title or description cannot change the preview; a new base can, whichever it is:
    # retargeted away from the default branch, the preview says it no longer applies.
    pull = data.get("pull_request") or {}
    return "base" in (data.get("changes") or {}) and pull.get("state") == "open"


def _merged_into_default_branch(data: Mapping[str, Any]) -> bool:
    return (data.get("pull_request") or {}).get("merged") is True and _against_default_branch(data)


async def _preview(event: Event, gh: GitHubClient, ctx: BotContext) -> None:
    data = event.data
    repository = data.get("repository") or {}
    repo = str(repository.get("full_name", ""))
    number = int((data.get("pull_request") or {}).get("number") or data.get("number") or 0)
    if not repo or not number:
        return
    # The delivery may be older than a push, a retarget or a merge since: GitHub's pull
    # request, not the payload, says what the preview is measured against.
    pull = await read_pull(gh, repo, number)
    if not pull.is_open:
        ctx.log.debug("%s#%d: no longer open, no preview", repo, number)
        return
    outcome = await refresh_preview(
        gh,
        repo,
        number,
        bot_login=ctx.config.bot_login,
        server_url=server_url(repository),
        pull=pull,
    )
    ctx.log.info("%s#%d %s: preview %s", repo, number, data.get("action"), outcome.value)


@router.register("pull_request", action="opened")
@acts_when(_open_against_default_branch)
async def on_opened(event: Event, gh: GitHubClient, ctx: BotContext) -> None:
    """A new pull request: preview it if it changes action items."""
    await _preview(event, gh, ctx)


@router.register("pull_request", action="reopened")
@acts_when(_open_against_default_branch)
async def on_reopened(event: Event, gh: GitHubClient, ctx: BotContext) -> None:
    """A reopened pull request: bring its preview up to date."""
    await _preview(event, gh, ctx)


@router.register("pull_request", action="synchronize")
@acts_when(_open_against_default_branch)
async def on_synchronize(event: Event, gh: GitHubClient, ctx: BotContext) -> None:
    """A push to the pull request: edit the preview if what merging would do changed."""
    await _preview(event, gh, ctx)


@router.register("pull_request", action="edited")
@acts_when(_retargeted)
async def on_edited(event: Event, gh: GitHubClient, ctx: BotContext) -> None:
    """A new base branch can change the preview; a new title or description cannot."""
    if "base" in (event.data.get("changes") or {}):
        await _preview(event, gh, ctx)


@router.register("pull_request", action="closed")
@acts_when(_merged_into_default_branch)
async def on_closed(event: Event, gh: GitHubClient, ctx: BotContext) -> None:
    """Merged: edit the preview to link the issues filed (or to say they are coming)."""
    data = event.data
    pull = data.get("pull_request") or {}
    repo = str((data.get("repository") or {}).get("full_name", ""))
    number = int(pull.get("number") or data.get("number") or 0)
    if not repo or not number or not pull.get("merged") or not _against_default_branch(data):
        return
    outcome = await record_merge(
        gh,
        ctx.store,
        repo,
        number,
        merge_commit=str(pull.get("merge_commit_sha") or ""),
        bot_login=ctx.config.bot_login,
    )
    ctx.log.info("%s#%d merged: preview %s", repo, number, outcome.value)
