"""The app's webhook: the one place deliveries are sent from and remembered, so that
``GET /app/hook/deliveries`` lists them and ``POST .../attempts`` redelivers them as GitHub does
(same ``X-GitHub-Delivery``, a fresh signature, a new delivery id, ``redelivery: true``)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from .webhooks import sign

if TYPE_CHECKING:
    from .server import FakeGitHub


@dataclass
class Delivery:
    """One attempt to deliver an event to the app's webhook URL."""

    id: int
    guid: str
    event: str
    body: bytes
    headers: dict[str, str]
    redelivery: bool
    delivered_at: str
    status_code: int = 0  # 0: no answer (refused or timed out), as GitHub shows it
    status: str = "Pending"
    duration: float = 0.0
    answer: bytes = b""
    done: asyncio.Event | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the app answered 2xx (GitHub's "OK"; everything else shows as failed)."""
        return 200 <= self.status_code < 300

    def item_json(self) -> dict[str, Any]:
        """A ``hook-delivery-item``."""
        payload = _json(self.body)
        return {
            "id": self.id,
            "guid": self.guid,
            "delivered_at": self.delivered_at,
            "redelivery": self.redelivery,
            "duration": round(self.duration, 2),
            "status": self.status,
            "status_code": self.status_code,
            "event": self.event,
            "action": payload.get("action") if isinstance(payload, dict) else None,
            "installation_id": (payload.get("installation") or {}).get("id")
            if isinstance(payload, dict)
            else None,
            "repository_id": (payload.get("repository") or {}).get("id")
            if isinstance(payload, dict)
            else None,
            "throttled_at": None,
        }


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


class AppHook:
    """Where the app's deliveries go (``url``, ``secret``) and every attempt so far."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.url: str | None = None
        self.secret = ""
        #: GitHub gives up on an answer after ten seconds.
        self.timeout = 10.0
        self.deliveries: list[Delivery] = []
        self._ids = itertools.count(80_000_001)

    def configure(self, url: str, secret: str) -> None:
        """Send deliveries to ``url``, signed with ``secret``."""
        with self.fake.lock:
            self.url, self.secret = url, secret

    async def send(
        self, event: str, body: bytes, headers: Mapping[str, str], *, redelivery: bool = False
    ) -> Delivery:
        """POST one delivery (headers as given, already signed) and record how it went."""
        assert self.url is not None, "configure the app's webhook URL first"
        with self.fake.lock:
            delivery = Delivery(
                id=next(self._ids),
                guid=headers.get("X-GitHub-Delivery", ""),
                event=event,
                body=body,
                headers=dict(headers),
                redelivery=redelivery,
                delivered_at=self.fake.timestamp(),
            )
            self.deliveries.append(delivery)
        started = time.monotonic()
        try:
            limit = aiohttp.ClientTimeout(total=self.timeout)
            async with (
                aiohttp.ClientSession(timeout=limit) as session,
                session.post(self.url, data=body, headers=dict(headers)) as answer,
            ):
                delivery.answer = await answer.read()
                delivery.status_code = answer.status
                delivery.status = "OK" if delivery.ok else f"Invalid HTTP Response: {answer.status}"
        except TimeoutError:
            delivery.status = "timed out"
        except aiohttp.ClientError as error:
            delivery.status = f"failed to connect: {error}"
        delivery.duration = time.monotonic() - started
        return delivery

    def redeliver(self, delivery_id: int) -> bool:
        """Re-send a recorded delivery from the fake's own loop (``False``: no such id)."""
        original = next((d for d in self.deliveries if d.id == delivery_id), None)
        if original is None:
            return False
        headers = {**original.headers, "X-Hub-Signature-256": sign(original.body, self.secret)}
        if "X-Hub-Signature" in headers:
            sha1 = hmac.new(self.secret.encode(), original.body, hashlib.sha1).hexdigest()
            headers["X-Hub-Signature"] = f"sha1={sha1}"
        asyncio.get_running_loop().create_task(
            self.send(original.event, original.body, headers, redelivery=True)
        )
        return True
