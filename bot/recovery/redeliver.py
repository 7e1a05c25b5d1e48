"""Redeliver what GitHub failed to deliver to the bot (``GET /app/hook/deliveries``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.github import GitHubClient, GitHubError, api
from bot.queue import DAY, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """One attempt GitHub made to deliver a delivery (``guid``) to the bot."""

    id: int
    guid: str
    delivered_at: datetime
    ok: bool
    event: str

    @classmethod
    def from_github(cls, data: Mapping[str, Any]) -> Attempt | None:
        """From a ``hook-delivery-item``; None when it is not one."""
        try:
            when = datetime.fromisoformat(str(data["delivered_at"]).replace("Z", "+00:00"))
            status_code = int(data.get("status_code") or 0)
            return cls(
                id=int(data["id"]),
                guid=str(data["guid"]),
                delivered_at=when,
                ok=200 <= status_code < 300,
                event=str(data.get("event", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None


def to_redeliver(attempts: Iterable[Attempt]) -> list[Attempt]:
    """For each delivery no attempt of which succeeded, its latest attempt (oldest first).

    Pure: the redelivery of a delivery is one more attempt with the same ``guid``, so a delivery
    already redelivered with success is left alone, and one still failing is tried again only by
    a later sweep that the store lets through.
    """
    latest: dict[str, Attempt] = {}
    succeeded: set[str] = set()
    for attempt in attempts:
        if attempt.ok:
            succeeded.add(attempt.guid)
        known = latest.get(attempt.guid)
        if known is None or attempt.delivered_at > known.delivered_at:
            latest[attempt.guid] = attempt
    failed = [a for guid, a in latest.items() if guid not in succeeded]
    return sorted(failed, key=lambda a: a.delivered_at)


async def recent_attempts(app_gh: GitHubClient, since: datetime) -> list[Attempt]:
    """The App's delivery attempts since ``since`` (GitHub lists the newest first)."""
    found: list[Attempt] = []
    async for item in api.hook_deliveries(app_gh):
        attempt = Attempt.from_github(item)
        if attempt is None:
            continue
        if attempt.delivered_at < since:
            break
        found.append(attempt)
    return found


async def redeliver_failed(
    app_gh: GitHubClient, store: Store, *, now: datetime, window: timedelta
) -> Sequence[str]:
    """Ask GitHub to redeliver each delivery of the last ``window`` that never succeeded,
    once per delivery (the store remembers); returns their guids."""
    asked: list[str] = []
    for attempt in to_redeliver(await recent_attempts(app_gh, now - window)):
        if not await store.put_if_absent("redelivered", attempt.guid, str(attempt.id), DAY):
            continue  # asked once already: a delivery that keeps failing is not hammered
        try:
            await api.redeliver(app_gh, attempt.id)
        except GitHubError as exc:
            log.warning("could not redeliver %s (%s): %s", attempt.guid, attempt.event, exc)
            await store.delete("redelivered", attempt.guid)
            continue
        log.info("asked GitHub to redeliver %s (%s)", attempt.guid, attempt.event)
        asked.append(attempt.guid)
    return asked
