"""Run one delivery: a GitHub client for its installation, then the features' handlers.

Everything a delivery needs comes in :class:`Services` (built once per process) and the
:class:`~bot.web.delivery.Delivery` itself, so the web process, a worker process or a test
can run it alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.config import Config
from bot.context import BotContext, delivery_log, repository_name
from bot.engine.store import Store
from bot.github import GitHubFactory
from bot.web.delivery import Delivery

#: Events about the App's installations; their handlers get the App's own (JWT) client.
APP_EVENTS = frozenset({"installation", "installation_repositories"})


@dataclass(frozen=True)
class Services:
    """What running any delivery needs: one per process."""

    config: Config
    factory: GitHubFactory
    store: Store
    router: Router


def handles(router: Router, delivery: Delivery) -> bool:
    """Whether any feature has a handler for this delivery (routing needs no GitHub call)."""
    return bool(router.fetch(as_event(delivery)))


def as_event(delivery: Delivery) -> Event:
    """The gidgethub event the routers take."""
    return Event(dict(delivery.payload), event=delivery.event, delivery_id=delivery.id)


async def run_delivery(delivery: Delivery, services: Services) -> None:
    """Run the features' handlers for ``delivery``; raises when one of them failed."""
    config, factory = services.config, services.factory
    if delivery.event in APP_EVENTS and config.uses_app:
        # The installation may be gone or suspended: no installation token can be had.
        gh = factory.for_app()
    else:
        gh = await factory.for_installation(delivery.installation)
    ctx = BotContext(
        config=config,
        factory=factory,
        store=services.store,
        delivery_id=delivery.id,
        log=delivery_log(
            delivery.id,
            event=delivery.name,
            repository=repository_name(delivery.payload),
            installation=delivery.installation,
        ),
    )
    await services.router.dispatch(as_event(delivery), gh, ctx)
