"""Installation events: logged, nothing else. Installing the app files nothing by itself.

A backfill after installing is a deliberate step: ``python -m bot sync OWNER/REPO``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.context import BotContext

if TYPE_CHECKING:
    from bot.github import GitHubClient

router = Router()


def _names(repositories: Any) -> list[str]:
    """The ``full_name`` of each repository in a payload's list (which may be absent)."""
    if not isinstance(repositories, list):
        return []
    return [str(repo.get("full_name")) for repo in repositories if isinstance(repo, dict)]


def _account(data: Any) -> str:
    installation = data.get("installation") or {}
    account = installation.get("account") or {}
    return str(account.get("login", "?"))


@router.register("installation")
async def on_installation(event: Event, gh: GitHubClient, ctx: BotContext) -> None:
    """Log an installation being created, deleted, suspended or given new permissions."""
    repos = _names(event.data.get("repositories"))
    ctx.log.info(
        "installation %s on %s (%d repositories%s); nothing filed, "
        "run `python -m bot sync OWNER/REPO` to backfill",
        event.data.get("action"),
        _account(event.data),
        len(repos),
        f": {', '.join(repos)}" if repos else "",
    )


@router.register("installation_repositories")
async def on_installation_repositories(event: Event, gh: GitHubClient, ctx: BotContext) -> None:
    """Log repositories being added to or removed from an installation."""
    added = _names(event.data.get("repositories_added"))
    removed = _names(event.data.get("repositories_removed"))
    ctx.log.info(
        "installation on %s: %d repositories added%s, %d removed%s; nothing filed",
        _account(event.data),
        len(added),
        f" ({', '.join(added)})" if added else "",
        len(removed),
        f" ({', '.join(removed)})" if removed else "",
    )
