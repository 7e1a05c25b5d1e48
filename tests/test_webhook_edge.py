"""Signed but malformed deliveries are refused at the edge, before any GitHub request.

The app runs in-process with the real features, in app mode against the fake GitHub: a
delivery the bot will not act on must cost no request at all (not even a token), a malformed
one is answered 400 (or 200 ignored) with one log line, and nothing ends in a 5xx or a
traceback.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from bot_process import webhook_headers
from fake_github import FakeGitHub, FakeRepo
from fake_github.webhooks import (
    issue_comment_payload,
    pull_request_payload,
    push_payload,
    sign,
)
from inprocess_worker import worker_for

from bot.config import Config
from bot.features import router
from bot.github import GitHubFactory
from bot.github.retry import RetryPolicy
from bot.queue import MemoryQueue
from bot.web.server import build_app

SECRET = "edge-secret"
NOTES = "# Sync 2024-05-01\n\n- **TODO**: write the report\n"


@dataclass
class Answer:
    status: int
    body: Any


class Edge:
    """The app in-process against the fake GitHub, and what it logged."""

    def __init__(self, client: TestClient[Any, Any], queue: MemoryQueue, fake: FakeGitHub) -> None:
        self.client = client
        self.queue = queue
        self.fake = fake

    async def post(self, event: str, body: bytes, headers: dict[str, str] | None = None) -> Answer:
        sent = webhook_headers(event, body, str(uuid.uuid4()), SECRET)
        for name, value in (headers or {}).items():
            sent.pop(name, None)
            if value is not None:
                sent[name] = value
        resp = await self.client.post("/webhook", data=body, headers=sent)
        return Answer(resp.status, await resp.json(content_type=None))

    async def deliver(self, event: str, payload: Any) -> Answer:
        return await self.post(event, json.dumps(payload).encode())

    async def settle(self) -> None:
        async with asyncio.timeout(20):
            while (stats := await self.queue.stats()).queued or stats.running:
                await asyncio.sleep(0.005)


def app_config(fake: FakeGitHub) -> Config:
    return Config(
        webhook_secret=SECRET,
        app_id=str(fake.app_id),
        private_key=fake.private_key_pem,
        token=None,
        api_url=fake.url,
        bot_login=fake.bot_login,
        mutation_interval=0.0,
    )


async def running_edge(fake: FakeGitHub) -> AsyncIterator[Edge]:
    config = app_config(fake)
    factory = GitHubFactory(config, retry=RetryPolicy(backoff_scale=0.001))
    try:
        async with worker_for(config, factory, router) as queue:
            app = build_app(config, router, queue)
            async with TestClient(TestServer(app)) as client:
                yield Edge(client, queue, fake)
    finally:
        await factory.close()


@pytest.fixture
async def edge(fake_github: FakeGitHub) -> AsyncIterator[Edge]:
    async for running in running_edge(fake_github):
        yield running


@pytest.fixture
def notes(fake_github: FakeGitHub) -> FakeRepo:
    return fake_github.add_repo("acme/notes")


def pushed(fake: FakeGitHub, repo: FakeRepo) -> dict[str, Any]:
    """A push of a new meeting with one action item to the default branch."""
    before, after = repo.push({"meetings/2024-05-01.md": NOTES})
    return push_payload(fake, repo, before, after)


def open_notes_pull(repo: FakeRepo) -> int:
    return repo.open_pull(head_files={"meetings/2024-05-02.md": NOTES}, author="alice")


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info is not None]


def edge_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the bot logged (a refused or ignored delivery runs nothing else)."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]


async def test_the_well_formed_push_still_files_its_issue(
    edge: Edge, notes: FakeRepo, fake_github: FakeGitHub
) -> None:
    """The control: what the tests below refuse differs from this only in one field."""
    answer = await edge.deliver("push", pushed(fake_github, notes))
    assert (answer.status, answer.body["status"]) == (202, "accepted")
    await edge.settle()
    assert [i["title"] for i in notes.issues.values()] == ["write the report"]


# Finding 1: an action that is an object was a 500 (unhashable type in the router).
async def test_an_action_that_is_not_a_string_is_refused_with_400(
    edge: Edge, notes: FakeRepo, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    number = open_notes_pull(notes)
    payload = pull_request_payload(notes, number, "opened")
    payload["action"] = {"opened": True}
    with caplog.at_level(logging.INFO):
        answer = await edge.deliver("pull_request", payload)
    assert answer.status == 400, answer
    assert answer.body["status"] == "rejected"
    assert "action" in answer.body["reason"]
    assert fake_github.requests == []
    assert len(edge_lines(caplog)) == 1, edge_lines(caplog)
    assert tracebacks(caplog) == []


# Finding 2: nonsense in a signed delivery made GitHub writes.
@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("after",), "main"),  # not a commit: the notes at the branch's head were filed
        (("commits",), "not a list"),
        (("repository", "id"), "1"),
        (("repository", "default_branch"), ["main"]),
    ],
)
async def test_nonsense_in_a_push_makes_no_github_request(
    edge: Edge,
    notes: FakeRepo,
    fake_github: FakeGitHub,
    where: tuple[str, ...],
    value: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = pushed(fake_github, notes)
    if where[-1] == "default_branch":
        payload["ref"] = "refs/heads/['main']"
    target = payload
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with caplog.at_level(logging.INFO):
        answer = await edge.deliver("push", payload)
        await edge.settle()
    assert (answer.status, answer.body["status"]) == (400, "rejected"), answer
    assert where[-1] in answer.body["reason"]
    assert fake_github.requests == []
    assert notes.issues == {}
    assert tracebacks(caplog) == []


async def test_a_merged_flag_that_is_a_string_edits_no_preview(
    edge: Edge, notes: FakeRepo, fake_github: FakeGitHub
) -> None:
    number = open_notes_pull(notes)
    payload = pull_request_payload(notes, number, "closed")
    payload["pull_request"]["merged"] = "false"
    answer = await edge.deliver("pull_request", payload)
    await edge.settle()
    assert (answer.status, answer.body["status"]) == (400, "rejected"), answer
    assert "merged" in answer.body["reason"]
    assert fake_github.requests == []


# Finding 3: no installation, an unknown one, and deliveries the bot will not act on.
async def test_a_delivery_without_an_installation_is_ignored_in_one_line(
    edge: Edge, notes: FakeRepo, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    payload = pushed(fake_github, notes)
    del payload["installation"]  # the shape of a repository's own webhook
    with caplog.at_level(logging.INFO):
        answer = await edge.deliver("push", payload)
        await edge.settle()
    assert (answer.status, answer.body["status"]) == (200, "ignored"), answer
    assert fake_github.requests == []
    lines = edge_lines(caplog)
    assert len(lines) == 1 and "installation" in lines[0], lines
    assert tracebacks(caplog) == []


async def test_an_unknown_installation_is_one_line_and_no_failure(
    edge: Edge, notes: FakeRepo, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    payload = pushed(fake_github, notes)
    payload["installation"]["id"] = 987654
    with caplog.at_level(logging.INFO):
        answer = await edge.deliver("push", payload)
        await edge.settle()
    assert answer.status == 202, answer
    assert tracebacks(caplog) == []
    unknown = [m for m in edge_lines(caplog) if "987654" in m or "failed" in m]
    assert len(unknown) == 1, edge_lines(caplog)
    # Not a failure: no retry or redelivery can make the installation exist.
    assert (await edge.queue.stats()).failed == 0
    assert [r.path for r in fake_github.requests] == ["/app/installations/987654/access_tokens"]
    assert fake_github.writes() == []


@pytest.mark.parametrize(
    "change",
    [
        "ref:refs/heads/feature",
        "ref:refs/tags/v1",
        "deleted",
        "comment without a command",
        "comment by a bot",
        "pull request against another branch",
        "pull request closed unmerged",
        "pull request retitled",
    ],
)
async def test_a_delivery_the_bot_will_not_act_on_costs_no_token(
    edge: Edge, notes: FakeRepo, fake_github: FakeGitHub, change: str
) -> None:
    event, payload = _not_acted_on(fake_github, notes, change)
    with fake_github.lock:
        fake_github.requests.clear()
    answer = await edge.deliver(event, payload)
    await edge.settle()
    assert (answer.status, answer.body["status"]) == (200, "ignored"), answer
    assert fake_github.requests == []


def _not_acted_on(fake: FakeGitHub, repo: FakeRepo, change: str) -> tuple[str, dict[str, Any]]:
    if change.startswith("ref:"):
        payload = pushed(fake, repo)
        payload["ref"] = change.removeprefix("ref:")
        return "push", payload
    if change == "deleted":
        payload = pushed(fake, repo)
        payload.update(after="0" * 40, deleted=True, commits=[], head_commit=None)
        return "push", payload
    if change.startswith("comment"):
        author = "dependabot[bot]" if "bot" in change else "alice"
        issue = repo.add_issue("A question", author="alice")
        text = "/todo close" if "bot" in change else "Thanks, looks good"
        kind = "Bot" if "bot" in change else "User"
        comment = repo.add_comment(issue, text, author=author, author_type=kind)
        return "issue_comment", issue_comment_payload(repo, issue, comment)
    number = open_notes_pull(repo)
    if change == "pull request retitled":
        changes = {"title": {"from": "Old"}}
        return "pull_request", pull_request_payload(repo, number, "edited", changes=changes)
    if change == "pull request closed unmerged":
        payload = pull_request_payload(repo, number, "closed")
        payload["pull_request"].update(state="closed", merged=False)
        return "pull_request", payload
    payload = pull_request_payload(repo, number, "opened")
    payload["pull_request"]["base"]["ref"] = "release"
    return "pull_request", payload


# Finding 4: path traversal in names and commits.
@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("before",), "../../../../etc"),
        (("repository", "full_name"), "../../x/y"),
        (("repository", "full_name"), "acme/.."),
        (("repository", "default_branch"), "../../main"),
    ],
)
async def test_traversal_strings_are_refused_at_the_edge(
    edge: Edge,
    notes: FakeRepo,
    fake_github: FakeGitHub,
    where: tuple[str, ...],
    value: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = pushed(fake_github, notes)
    if where[-1] == "default_branch":
        payload["ref"] = f"refs/heads/{value}"
    target = payload
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with caplog.at_level(logging.INFO):
        answer = await edge.deliver("push", payload)
        await edge.settle()
    assert (answer.status, answer.body["status"]) == (400, "rejected"), answer
    assert fake_github.requests == []
    assert len(edge_lines(caplog)) == 1, edge_lines(caplog)
    assert tracebacks(caplog) == []


# Finding 5: only X-Hub-Signature-256 is accepted.
async def test_a_valid_sha1_only_signature_is_refused(
    edge: Edge, notes: FakeRepo, fake_github: FakeGitHub
) -> None:
    body = json.dumps(pushed(fake_github, notes)).encode()
    sha1 = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    answer = await edge.post("push", body, {"X-Hub-Signature-256": None, "X-Hub-Signature": sha1})
    assert (answer.status, answer.body["status"]) == (401, "rejected"), answer
    form = b"payload=" + body
    answer = await edge.post(
        "push",
        form,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Hub-Signature-256": None,
            "X-Hub-Signature": "sha1=" + hmac.new(SECRET.encode(), form, hashlib.sha1).hexdigest(),
        },
    )
    assert answer.status == 401, answer
    assert fake_github.requests == []
    # The same body with its SHA-256 signature is accepted.
    answer = await edge.post("push", body, {"X-Hub-Signature-256": sign(body, SECRET)})
    assert answer.status == 202, answer


async def test_the_bots_own_catch_up_event_is_not_taken_from_the_wire(
    edge: Edge, notes: FakeRepo, fake_github: FakeGitHub
) -> None:
    """Catch-ups are made in-process; a signed delivery naming their event must not start a
    reconcile (the push feature routes that event name)."""
    payload = {
        "repository": {"id": notes.id, "full_name": "acme/notes", "default_branch": "main"},
        "installation": {"id": 1},
    }
    answer = await edge.deliver("meeting_todo_bot_catch_up", payload)
    await edge.settle()
    assert (answer.status, answer.body["status"]) == (200, "ignored"), answer
    assert fake_github.requests == []
