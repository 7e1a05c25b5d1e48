"""Run one delivery: a GitHub client for its installation, then the features' handlers.

Everything a delivery needs comes in :class:`Services` (built once per process) and the
:class:`~bot.queue.Delivery` itself, so the web process, a worker process or a test
can run it alike.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.config import Config
from bot.context import BotContext, delivery_log, repository_name
from bot.github import GitHubError, GitHubFactory
from bot.queue import Delivery, Store
from bot.web.delivery import name

#: Events about the App's installations; their handlers get the App's own (JWT) client.
APP_EVENTS = frozenset({"installation", "installation_repositories"})


@dataclass(frozen=True)
class Services:
    """What running any delivery needs: one per process."""

    config: Config
    factory: GitHubFactory
    store: Store
    router: Router


#: A pure test of a payload: whether the handler would act on it (it reads no GitHub state).
Wants = Callable[[Mapping[str, Any]], bool]
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[None]])


def acts_when(wants: Wants) -> Callable[[Handler], Handler]:
    """Declare what a handler acts on, so that the edge can ignore the rest before a token is
    fetched; the handler itself then returns at once for anything else."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(event: Event, *args: Any, **kwargs: Any) -> None:
            if wants(event.data):
                await handler(event, *args, **kwargs)

        guarded.wants = wants  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def handles(router: Router, delivery: Delivery) -> bool:
    """Whether any feature would act on this delivery (routing needs no GitHub call).

    The payload must have passed :func:`bot.web.payloads.problem`: the handlers' tests read it.
    """
    event = as_event(delivery)
    for handler in router.fetch(event):
        wants: Wants | None = getattr(handler, "wants", None)
        if wants is None or wants(event.data):
            return True
    return False


def as_event(delivery: Delivery) -> Event:
    """The gidgethub event the routers take."""
    return Event(dict(delivery.payload), event=delivery.event, delivery_id=delivery.id)


async def run_delivery(delivery: Delivery, services: Services) -> None:
    """Run the features' handlers for ``delivery``; raises when one of them failed."""
    config, factory = services.config, services.factory
    if delivery.event in APP_EVENTS and config.uses_app:
        # The installation may be gone or suspended: no installation token can be had.
        gh = factory.for_app()
    elif delivery.installation is None and config.uses_app:
        # The edge ignores these; one queued by an older process is not worth a traceback.
        delivery_log(delivery.id).warning("%s: no installation, ignored", name(delivery))
        return
    else:
        try:
            gh = await factory.for_installation(delivery.installation)
        except GitHubError as exc:
            if exc.status != 404:
                raise
            # Uninstalled, or never this App's: no retry or redelivery can make it exist.
            delivery_log(delivery.id).warning(
                "%s: installation %s unknown to this App (%s), ignored",
                name(delivery),
                delivery.installation,
                exc.status,
            )
            return
    ctx = BotContext(
        config=config,
        factory=factory,
        store=services.store,
        delivery_id=delivery.id,
        log=delivery_log(
            delivery.id,
            event=name(delivery),
            repository=repository_name(delivery.payload),
            installation=delivery.installation,
        ),
    )
    await services.router.dispatch(as_event(delivery), gh, ctx)
