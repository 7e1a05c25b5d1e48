"""A verified delivery becomes :class:`bot.queue.Delivery`: plain data any process can run.

No aiohttp object, no closure: it is stored in the queue and run by a worker process, which
rebuilds its GitHub client from the installation id (as python/miss-islington's tasks do).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.queue import Delivery


def received(delivery_id: str, event: str, payload: Mapping[str, Any]) -> Delivery:
    """A delivery just received, with its ordering key and installation read off it."""
    action = payload.get("action")
    return Delivery(
        id=delivery_id,
        event=event,
        action=action if isinstance(action, str) else None,
        key=ordering_key(payload),
        installation=installation_id(payload),
        payload=dict(payload),
    )


def name(delivery: Delivery) -> str:
    """``push``, ``pull_request.opened``: the event and its action, for logs."""
    return f"{delivery.event}.{delivery.action}" if delivery.action else delivery.event


def ordering_key(data: Mapping[str, Any]) -> str:
    """The key whose deliveries must run one at a time: the repository, else the installation.

    The repository's id, not its name, so a rename does not split its queue.
    """
    repository = data.get("repository")
    if isinstance(repository, dict) and repository.get("id") is not None:
        return f"repo:{repository['id']}"
    installation = data.get("installation")
    if isinstance(installation, dict) and installation.get("id") is not None:
        return f"installation:{installation['id']}"
    return "app"


def installation_id(data: Mapping[str, Any]) -> int | None:
    """The installation a delivery came through (absent in token setups and some pings)."""
    installation = data.get("installation")
    if isinstance(installation, dict) and isinstance(installation.get("id"), int):
        return int(installation["id"])
    return None
