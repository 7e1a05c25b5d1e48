"""A webhook delivery as plain data: what any process needs to run it, and nothing else.

No aiohttp object, no closure: a :class:`Delivery` can be written to disk or Redis and run
by another process, which rebuilds its GitHub client from the installation id (as
python/miss-islington's tasks do).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(frozen=True)
class Delivery:
    """One verified delivery: GitHub's id, the event, its payload, and where it queues."""

    id: str
    event: str
    payload: Mapping[str, Any]
    #: Deliveries with the same key run one at a time, in order (the repository).
    key: str
    installation: int | None
    received_at: float = field(default_factory=time.time)

    @property
    def action(self) -> str | None:
        """The payload's ``action``, when it is a string."""
        action = self.payload.get("action")
        return action if isinstance(action, str) else None

    @property
    def name(self) -> str:
        """``push``, ``pull_request.opened``: the event and its action, for logs."""
        return f"{self.event}.{self.action}" if self.action else self.event

    @classmethod
    def received(cls, delivery_id: str, event: str, payload: Mapping[str, Any]) -> Delivery:
        """A delivery just received, with its ordering key and installation read off it."""
        return cls(delivery_id, event, payload, ordering_key(payload), installation_id(payload))

    def to_bytes(self) -> bytes:
        """JSON, for storage between processes."""
        return orjson.dumps(
            {
                "id": self.id,
                "event": self.event,
                "payload": self.payload,
                "key": self.key,
                "installation": self.installation,
                "received_at": self.received_at,
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Delivery:
        """The delivery :meth:`to_bytes` wrote."""
        data = orjson.loads(raw)
        return cls(
            id=str(data["id"]),
            event=str(data["event"]),
            payload=dict(data["payload"]),
            key=str(data["key"]),
            installation=data["installation"],
            received_at=float(data["received_at"]),
        )


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
