"""The webhook routers, one module per feature, composed once into :data:`router`.

Each feature module ``bot/routers/<name>.py`` defines a module attribute ``router``
(a :class:`gidgethub.routing.Router`) whose handlers take ``(event, gh, ctx)``; see
:mod:`bot.context`. A new feature adds its module name to :data:`FEATURES`.
"""

from __future__ import annotations

import importlib

from gidgethub.routing import Router

#: The feature modules under ``bot.routers``, in the order their handlers are composed.
FEATURES: tuple[str, ...] = ("installation", "push", "pull_request", "commands")


def compose(features: tuple[str, ...] = FEATURES) -> Router:
    """One router holding the handlers of every named feature module."""
    modules = [importlib.import_module(f"{__name__}.{name}") for name in features]
    return Router(*(module.router for module in modules))


router = compose()
