"""Action items held back by the per-push cap: remembered, listed, and filed later.

A push that brings more new items than ``max_new_issues_per_push`` files the first ones in
notes order and holds the rest. What is held is remembered behind the :class:`Store` (one
value per repository), because it cannot be derived from the notes and the issues alone: an
item already in the notes when the bot was installed is never back-filed by a push, and from
GitHub's side it looks exactly like a held one. The next push (any push, even one that touches
no notes) reads the files of the held items and files them, up to the cap again.

The public surface, used by the push and by the dashboard:

- :func:`held_items` -- the held items of a repository, each with its stable item key;
- :func:`file_held_item` -- file one held item now, by key (no cap: a person asked for it).

The list is what the last push with notes to plan left held; ``/todo sync`` or ``python -m bot
sync`` may have filed an item since (the next push drops it). Filing such an item by key files
nothing, returns ``None`` and forgets it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import orjson

from bot.engine.reconcile import NotesFiles, reconcile
from bot.github import GitHubClient
from bot.planner.actions import CreateIssue
from bot.queue import DAY, Store

#: The store's namespace for held items; the key is the repository's ``owner/name``, lowercased.
HELD_NAMESPACE = "held"
#: How long held items are remembered without a push that could file them.
HELD_MEMORY = 60 * DAY

__all__ = [
    "HELD_MEMORY",
    "HELD_NAMESPACE",
    "HeldItem",
    "file_held_item",
    "held_items",
    "remember_held",
]


@dataclass(frozen=True)
class HeldItem:
    """One action item the cap held back: its key (stable across pushes) and where it is."""

    key: str
    title: str
    path: str
    line: int

    @classmethod
    def of(cls, create: CreateIssue) -> HeldItem:
        """The held item a planned, unfiled issue stands for."""
        return cls(create.key, create.title, create.item.path, create.item.line)


async def held_items(store: Store, repo: str) -> list[HeldItem]:
    """The items held back in ``repo`` (``owner/name``), in notes order."""
    raw = await store.get(HELD_NAMESPACE, repo.lower())
    if raw is None:
        return []
    try:
        rows = orjson.loads(raw)
        return [
            HeldItem(str(r["key"]), str(r["title"]), str(r["path"]), int(r["line"])) for r in rows
        ]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return []  # unreadable: the next capped push writes it anew


async def remember_held(store: Store, repo: str, items: Iterable[HeldItem]) -> None:
    """Replace what is held in ``repo`` by ``items`` (none: forget)."""
    rows = [asdict(item) for item in items]
    if not rows:
        await store.delete(HELD_NAMESPACE, repo.lower())
        return
    await store.put(HELD_NAMESPACE, repo.lower(), orjson.dumps(rows).decode(), HELD_MEMORY)


async def file_held_item(
    gh: GitHubClient,
    store: Store,
    repo: str,
    key: str,
    *,
    head: str,
    bot_login: str,
    server_url: str = "https://github.com",
) -> int | None:
    """File the held item ``key`` from the notes at ``head``; its issue number.

    ``None`` when ``key`` is not held, or its item is no longer in the notes (or is done, or
    got an issue meanwhile): it is then no longer held. Raises
    :class:`~bot.github.GitHubError` when GitHub fails (nothing is forgotten then).
    """
    held = await held_items(store, repo)
    found = [h for h in held if h.key == key]
    if not found:
        return None
    done = await reconcile(
        gh,
        store,
        repo,
        head,
        NotesFiles([found[0].path], create=key),
        bot_login=bot_login,
        server_url=server_url,
    )
    if not done.ok:
        raise RuntimeError(f"{repo}: filing {found[0].title!r} failed")
    await remember_held(store, repo, [h for h in held if h.key != key])
    return done.outcome.created.get(key) if done.outcome is not None else None
