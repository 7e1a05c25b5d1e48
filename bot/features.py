"""The webhook features, composed into one router by explicit imports (as python/bedevere does).

Each feature package owns a :class:`gidgethub.routing.Router` whose handlers take
``(event, gh, ctx)`` (see :mod:`bot.context`). A new feature adds one import and one entry here.
"""

from __future__ import annotations

from gidgethub.routing import Router

from bot.commands.router import router as commands
from bot.installation.router import router as installation
from bot.preview.router import router as preview
from bot.push.router import router as push

router = Router(installation, push, preview, commands)
