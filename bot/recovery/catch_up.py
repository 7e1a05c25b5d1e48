"""Catch-ups: a repository whose default branch moved past the last commit the bot handled.

The sweep only *queues* catch-ups, one per repository, as deliveries keyed by the repository:
the queue then runs each one after (and never alongside) that repository's pushes, in any
process. The push feature handles them (:data:`CATCH_UP_EVENT`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from bot.github import GitHubClient, GitHubError, GitHubFactory, api
from bot.queue import Delivery
from bot.web.delivery import received

log = logging.getLogger(__name__)

#: The event name of a catch-up delivery (GitHub never sends one by this name).
CATCH_UP_EVENT = "meeting_todo_bot_catch_up"


def catch_up_delivery(
    repository: Mapping[str, Any], installation: int | None, slot: int
) -> Delivery:
    """The catch-up of one repository for one sweep ``slot`` (its id dedupes within a slot)."""
    payload = {
        "repository": {
            key: repository.get(key) for key in ("id", "full_name", "default_branch", "html_url")
        },
        "installation": {"id": installation} if installation is not None else None,
    }
    return received(f"catch-up:{repository.get('id')}:{slot}", CATCH_UP_EVENT, payload)


async def catch_up_deliveries(
    factory: GitHubFactory, *, interval: float, now: float | None = None
) -> list[Delivery]:
    """A catch-up for every repository of every installation (app mode), or none (token mode:
    no way to list the repositories a token is meant for)."""
    if not factory.config.uses_app:
        return []
    slot = int((time.time() if now is None else now) // interval)
    app_gh = factory.for_app()
    found: list[Delivery] = []
    for installation in await api.installations(app_gh):
        number = installation.get("id")
        if not isinstance(number, int):
            continue
        try:
            gh: GitHubClient = await factory.for_installation(number)
            repositories = await api.installation_repositories(gh)
        except GitHubError as exc:  # suspended or gone meanwhile: the next sweep sees
            log.warning("installation %s: cannot list its repositories: %s", number, exc)
            continue
        found.extend(catch_up_delivery(r, number, slot) for r in repositories)
    return found
