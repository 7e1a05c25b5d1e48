"""Held items (bot/engine/held.py), the surface the dashboard uses: listed with their stable
keys, filed one at a time by key, against the fake GitHub over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fake_github import FakeGitHub, FakeRepo

from bot.config import Config
from bot.engine.held import HeldItem, file_held_item, held_items, remember_held
from bot.engine.reconcile import PushRange, reconcile
from bot.github import GitHubClient, GitHubFactory, RetryPolicy
from bot.markdown.issue_body import parse_marker
from bot.queue.memory import MemoryStore

REPO = "acme/minutes"
NOTES = "meetings/2024-07-01.md"
MEETING = "# Sync 2024-07-01\n\n## Action items\n" + "".join(
    f"- TODO: water plant number {n}\n" for n in range(1, 6)
)


@pytest.fixture
def repo(fake_github: FakeGitHub) -> FakeRepo:
    return fake_github.add_repo(
        REPO, files={".github/meeting-todo-bot.yml": "max_new_issues_per_push: 2\n"}
    )


@pytest.fixture
async def gh(fake_github: FakeGitHub, repo: FakeRepo) -> AsyncIterator[GitHubClient]:
    config = Config(
        webhook_secret=None,
        app_id=str(fake_github.app_id),
        private_key=fake_github.private_key_pem,
        token=None,
        api_url=fake_github.url,
        bot_login=fake_github.bot_login,
        mutation_interval=0.0,
    )
    factory = GitHubFactory(config, retry=RetryPolicy(backoff_scale=0.001), timeout=5.0)
    yield await factory.for_installation(1)
    await factory.close()


async def test_held_items_are_listed_by_key_and_filed_one_by_one(
    fake_github: FakeGitHub, repo: FakeRepo, gh: GitHubClient
) -> None:
    store = MemoryStore()
    assert await held_items(store, REPO) == []
    before, after = repo.push({NOTES: MEETING})
    login = fake_github.bot_login
    done = await reconcile(
        gh, store, REPO, after, PushRange(before), bot_login=login, server_url="https://x"
    )
    assert done.planned is not None and done.ok
    await remember_held(store, REPO, [HeldItem.of(c) for c in done.planned.plan.held_back])
    held = await held_items(store, REPO)
    assert [(h.title, h.path, h.line) for h in held] == [
        (f"water plant number {n}", NOTES, n + 3) for n in range(3, 6)
    ]
    assert len(repo.issues) == 2

    # The dashboard files the middle one: only it, whatever the cap.
    number = await file_held_item(gh, store, REPO, held[1].key, head=after, bot_login=login)
    assert number is not None
    marker = parse_marker(repo.issues[number]["body"])
    assert marker is not None and marker.key == held[1].key
    assert repo.issues[number]["title"] == "water plant number 4"
    assert len(repo.issues) == 3
    assert [h.key for h in await held_items(store, REPO)] == [held[0].key, held[2].key]

    # A key that is not held files nothing.
    assert await file_held_item(gh, store, REPO, held[1].key, head=after, bot_login=login) is None
    assert await file_held_item(gh, store, REPO, "k:nope", head=after, bot_login=login) is None
    assert len(repo.issues) == 3
