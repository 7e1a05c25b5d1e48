"""What every webhook handler receives besides the event and its GitHub client.

A handler is ``async def handler(event: Event, gh: GitHubClient, ctx: BotContext) -> None``
registered on a :class:`gidgethub.routing.Router` in ``bot/routers/<feature>.py``.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.config import Config

if TYPE_CHECKING:
    from bot.github import GitHubFactory
    from bot.queue import Store

#: The logger handlers log through (via :attr:`BotContext.log`).
DELIVERY_LOGGER = "bot.delivery"


class DeliveryLog(logging.LoggerAdapter[logging.Logger]):
    """A logger that starts every line with ``delivery=<id>`` so one delivery can be followed."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        """Prefix the message with the delivery id."""
        extra = self.extra or {}
        return f"delivery={extra.get('delivery_id', '-')} {msg}", kwargs


def delivery_log(delivery_id: str, logger: logging.Logger | None = None) -> DeliveryLog:
    """The logger for one delivery."""
    return DeliveryLog(logger or logging.getLogger(DELIVERY_LOGGER), {"delivery_id": delivery_id})


@dataclass(frozen=True)
class BotContext:
    """The process's configuration and GitHub access, and the delivery being handled."""

    config: Config
    factory: GitHubFactory
    store: Store
    delivery_id: str
    log: logging.LoggerAdapter[logging.Logger]
