"""What every webhook handler receives besides the event and its GitHub client.

A handler is ``async def handler(event: Event, gh: GitHubClient, ctx: BotContext) -> None``
registered on a :class:`gidgethub.routing.Router` in ``bot/routers/<feature>.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.config import Config

if TYPE_CHECKING:
    from bot.github import GitHubFactory
    from bot.queue import Store

#: The logger handlers log through (via :attr:`BotContext.log`).
DELIVERY_LOGGER = "bot.delivery"


class DeliveryLog(logging.LoggerAdapter[logging.Logger]):
    """A logger that starts every line with ``delivery=<id>`` so one delivery can be followed,
    and puts what is known of the delivery on each record (``LOG_FORMAT=json`` writes it)."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        """Prefix the message with the delivery id; the delivery's fields go on the record."""
        extra = dict(self.extra or {})
        kwargs["extra"] = {**extra, **kwargs.get("extra", {})}
        return f"delivery={extra.get('delivery_id', '-')} {msg}", kwargs


def delivery_log(
    delivery_id: str,
    logger: logging.Logger | None = None,
    *,
    event: str | None = None,
    repository: str | None = None,
    installation: int | None = None,
) -> DeliveryLog:
    """The logger for one delivery; ``event`` (``pull_request.opened``), ``repository``
    (``OWNER/NAME``) and ``installation`` as far as they are known."""
    fields: dict[str, object] = {"delivery_id": delivery_id}
    known = {"event": event, "repository": repository, "installation": installation}
    fields.update((name, value) for name, value in known.items() if value is not None)
    return DeliveryLog(logger or logging.getLogger(DELIVERY_LOGGER), fields)


def repository_name(payload: Mapping[str, Any]) -> str | None:
    """``OWNER/NAME`` of the repository a webhook payload is about, if it is about one."""
    repository = payload.get("repository")
    name = repository.get("full_name") if isinstance(repository, dict) else None
    return name if isinstance(name, str) else None


@dataclass(frozen=True)
class BotContext:
    """The process's configuration and GitHub access, and the delivery being handled."""

    config: Config
    factory: GitHubFactory
    store: Store
    delivery_id: str
    log: logging.LoggerAdapter[logging.Logger]
