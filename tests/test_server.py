"""The webhook app in-process, with test routers: answers, ordering, failures, draining.

The real process (Procfile, signals, exit codes) is covered in test_server_e2e.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from bot_process import webhook_headers
from fake_github.webhooks import sign
from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.config import Config
from bot.context import BotContext
from bot.queue import MemoryQueue, MemoryStore, Policy
from bot.web.delivery import installation_id, ordering_key
from bot.web.dispatch import Services, run_delivery
from bot.web.server import (
    ACCEPTING_KEY,
    MAX_BODY_BYTES,
    WebhookRejected,
    build_app,
    parse_delivery,
)

SECRET = "in-process-secret"
CONFIG = Config(webhook_secret=SECRET, app_id=None, private_key=None, token="t")


class FakeFactory:
    """Stands in for bot.github.GitHubFactory: records the installations asked for."""

    def __init__(self) -> None:
        self.installations: list[int | None] = []

    async def for_installation(self, installation: int | None) -> str:
        self.installations.append(installation)
        return f"client-for-{installation}"

    def for_app(self) -> str:
        self.installations.append(None)
        return "app-client"

    async def close(self) -> None:
        pass


def push(repo_id: int, n: int, installation: int | None = 7) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": f"{n:040x}",
        "repository": {"id": repo_id, "full_name": f"org/repo{repo_id}", "default_branch": "main"},
    }
    if installation is not None:
        data["installation"] = {"id": installation}
    return data


class App:
    """A test client for the app plus its queue, factory and router."""

    def __init__(self, client: TestClient[Any, Any], queue: MemoryQueue, factory: FakeFactory):
        self.client = client
        self.queue = queue
        self.factory = factory

    async def deliver(
        self, event: str, payload: Any, delivery_id: str | None = None
    ) -> tuple[int, Any]:
        body = json.dumps(payload).encode()
        headers = webhook_headers(event, body, delivery_id or str(uuid.uuid4()), SECRET)
        resp = await self.client.post("/webhook", data=body, headers=headers)
        return resp.status, await resp.json()

    async def settle(self) -> None:
        async with asyncio.timeout(5):
            while (stats := await self.queue.stats()).queued or stats.running:
                await asyncio.sleep(0.001)


#: One attempt each (a failure is dead at once) and a fast poll: what these tests look at.
POLICY = Policy(backoff=(), poll=0.001, grace=5.0)


async def make_app(router: Router, config: Config = CONFIG) -> AsyncIterator[App]:
    """The web app, and a worker on the same in-memory queue in this process."""
    queue = MemoryQueue(POLICY)
    factory = FakeFactory()
    services = Services(config, factory, MemoryStore(), router)  # type: ignore[arg-type]
    app = build_app(config, router, queue)
    stop = asyncio.Event()
    worker = asyncio.create_task(
        queue.work(lambda delivery: run_delivery(delivery, services), stop)
    )
    try:
        async with TestClient(TestServer(app)) as client:
            yield App(client, queue, factory)
    finally:
        stop.set()
        await worker


@pytest.fixture
async def recording() -> AsyncIterator[tuple[App, list[tuple[str, Any]]]]:
    """An app whose push handler records (phase, after-sha) with a short sleep between."""
    router = Router()
    seen: list[tuple[str, Any]] = []

    @router.register("push")
    async def on_push(event: Event, gh: Any, ctx: BotContext) -> None:
        seen.append(("start", event.data["after"]))
        # Later pushes sleep less: out-of-order processing would show.
        await asyncio.sleep(0.002 * (5 - int(event.data["after"], 16) % 5))
        assert ctx.delivery_id == event.delivery_id
        assert gh == f"client-for-{event.data['installation']['id']}"
        seen.append(("end", event.data["after"]))

    @router.register("issue_comment", action="created")
    async def on_comment(event: Event, gh: Any, ctx: BotContext) -> None:
        if event.data["comment"]["body"] == "explode":
            raise ValueError("a handler bug")
        seen.append(("comment", event.data["comment"]["body"]))

    async for app in make_app(router):
        yield app, seen


def test_parse_delivery_checks_the_signature_before_anything_else() -> None:
    body = b"not json"
    headers = {"content-type": "application/json", "x-hub-signature-256": "sha256=00"}
    with pytest.raises(WebhookRejected) as rejected:
        parse_delivery(headers, body, SECRET)
    assert rejected.value.status == 401
    with pytest.raises(WebhookRejected) as rejected:
        parse_delivery({"content-type": "application/json"}, body, SECRET)
    assert rejected.value.status == 401
    headers["x-hub-signature-256"] = sign(body, SECRET)
    with pytest.raises(WebhookRejected) as rejected:
        parse_delivery(headers, body, SECRET)
    assert (rejected.value.status, rejected.value.reason) == (400, "body is not JSON")


@pytest.mark.parametrize(
    ("body", "drop", "reason"),
    [
        (b"[1, 2]", None, "body is not a JSON object"),
        (b"", None, "body is not a JSON object"),
        (b"\xff\xfe{}", None, "body is not JSON"),
        (b"{}", "x-github-event", "missing header x-github-event"),
        (b"{}", "x-github-delivery", "missing header x-github-delivery"),
        (b"{}", "content-type", "content-type must be application/json"),
    ],
)
def test_parse_delivery_rejects_malformed_deliveries_with_400(
    body: bytes, drop: str | None, reason: str
) -> None:
    headers = {k.lower(): v for k, v in webhook_headers("push", body, "id-1", SECRET).items()}
    if drop:
        del headers[drop]
    with pytest.raises(WebhookRejected) as rejected:
        parse_delivery(headers, body, SECRET)
    assert (rejected.value.status, rejected.value.reason) == (400, reason)


def test_parse_delivery_accepts_a_signed_delivery() -> None:
    body = json.dumps(push(1, 1)).encode()
    headers = {k.lower(): v for k, v in webhook_headers("push", body, "id-2", SECRET).items()}
    event = parse_delivery(headers, body, SECRET)
    assert (event.event, event.delivery_id, event.data) == ("push", "id-2", push(1, 1))


def test_ordering_key_prefers_the_repository_then_the_installation() -> None:
    assert ordering_key(push(5, 0)) == "repo:5"
    assert ordering_key({"installation": {"id": 9}, "repositories": []}) == "installation:9"
    assert ordering_key({"zen": "hi"}) == "app"
    assert installation_id(push(5, 0, installation=11)) == 11
    assert installation_id(push(5, 0, installation=None)) is None


async def test_one_repository_in_order_others_concurrently(
    recording: tuple[App, list[tuple[str, Any]]],
) -> None:
    app, seen = recording
    answers = [await app.deliver("push", push(1, n)) for n in range(5)]
    answers += [await app.deliver("push", push(2, n)) for n in range(5, 10)]
    assert [status for status, _ in answers] == [202] * 10
    assert {body["status"] for _, body in answers} == {"accepted"}
    await app.settle()
    for repo_shas in ([f"{n:040x}" for n in range(5)], [f"{n:040x}" for n in range(5, 10)]):
        mine = [(phase, sha) for phase, sha in seen if sha in repo_shas]
        # Strictly start/end pairs in delivery order: never two of one repository at once.
        assert mine == [(phase, sha) for sha in repo_shas for phase in ("start", "end")]
    # The two repositories overlapped: repo2's first start came before repo1's last end.
    first_repo2 = seen.index(("start", f"{5:040x}"))
    last_repo1 = seen.index(("end", f"{4:040x}"))
    assert first_repo2 < last_repo1
    assert app.factory.installations == [7] * 10
    health = await (await app.client.get("/health")).json()
    assert (health["processed"], health["failed"], health["queued"], health["running"]) == (
        10,
        0,
        0,
        0,
    )


async def test_a_raising_handler_is_logged_and_the_server_continues(
    recording: tuple[App, list[tuple[str, Any]]], caplog: pytest.LogCaptureFixture
) -> None:
    app, seen = recording
    comment = {
        "action": "created",
        "repository": {"id": 3, "full_name": "org/repo3", "default_branch": "main"},
        "issue": {"number": 1},
        "installation": {"id": 7},
    }
    with caplog.at_level(logging.INFO):
        status, _ = await app.deliver(
            "issue_comment", {**comment, "comment": {"id": 1, "body": "explode"}}, "boom-1"
        )
        assert status == 202
        status, _ = await app.deliver(
            "issue_comment", {**comment, "comment": {"id": 2, "body": "fine"}}, "ok-1"
        )
        assert status == 202
        await app.settle()
    assert seen == [("comment", "fine")]
    health = await (await app.client.get("/health")).json()
    assert (health["processed"], health["failed"]) == (1, 1)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].getMessage().startswith("delivery=boom-1 issue_comment.created failed")
    assert errors[0].exc_info is not None


async def test_unhandled_events_and_actions_are_acknowledged_and_ignored(
    recording: tuple[App, list[tuple[str, Any]]],
) -> None:
    app, seen = recording
    assert await app.deliver("star", {"action": "created"}) == (200, {"status": "ignored"})
    edited = {"action": "edited", "comment": {"body": "x"}, "repository": {"id": 3}}
    assert await app.deliver("issue_comment", edited) == (200, {"status": "ignored"})
    assert await app.deliver("ping", {"zen": "Keep it logically awesome."}) == (
        200,
        {"status": "pong"},
    )
    await app.settle()
    assert seen == []
    assert app.factory.installations == []


async def test_duplicates_are_acknowledged_once_processed_once(
    recording: tuple[App, list[tuple[str, Any]]],
) -> None:
    app, seen = recording
    assert (await app.deliver("push", push(1, 1), "same"))[0] == 202
    assert await app.deliver("push", push(1, 1), "same") == (200, {"status": "duplicate"})
    await app.settle()
    assert await app.deliver("push", push(1, 1), "same") == (200, {"status": "duplicate"})
    await app.settle()
    assert seen == [("start", f"{1:040x}"), ("end", f"{1:040x}")]
    health = await (await app.client.get("/health")).json()
    assert (health["processed"], health["duplicates"]) == (1, 2)


async def test_bodies_over_25_mb_get_413_even_without_a_length() -> None:
    async for app in make_app(Router()):
        big = b"x" * (MAX_BODY_BYTES + 1)
        headers = webhook_headers("push", big, "big-1", SECRET)
        resp = await app.client.post("/webhook", data=big, headers=headers)
        assert resp.status == 413

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(26):
                yield b"x" * (1024 * 1024)

        resp = await app.client.post("/webhook", data=chunks(), headers=headers)
        assert resp.status == 413
        assert (await resp.json())["status"] == "too large"


async def test_stopping_refuses_new_deliveries_and_hands_running_work_back() -> None:
    router = Router()
    release = asyncio.Event()

    @router.register("push")
    async def slow(event: Event, gh: Any, ctx: BotContext) -> None:
        await release.wait()

    queue = MemoryQueue(Policy(backoff=(), poll=0.001, grace=0.05))
    services = Services(CONFIG, FakeFactory(), MemoryStore(), router)  # type: ignore[arg-type]
    app = build_app(CONFIG, router, queue)
    stop = asyncio.Event()
    worker = asyncio.create_task(
        queue.work(lambda delivery: run_delivery(delivery, services), stop)
    )
    async with TestClient(TestServer(app)) as client:
        client_app = App(client, queue, FakeFactory())
        assert (await client_app.deliver("push", push(1, 1)))[0] == 202
        assert (await client_app.deliver("push", push(1, 2)))[0] == 202
        async with asyncio.timeout(5):
            while (await queue.stats()).running == 0:
                await asyncio.sleep(0.001)
        app[ACCEPTING_KEY][0] = False  # what the server does on SIGTERM
        stop.set()
        await worker
        status, body = await client_app.deliver("push", push(1, 3))
        assert (status, body["status"]) == (503, "shutting down")
        resp = await client.get("/health")
        health = await resp.json()
        # Nothing was dropped: the running delivery is handed back, first in its line.
        assert (resp.status, health["status"], health["queued"], health["running"]) == (
            503,
            "stopping",
            2,
            0,
        )
        assert (health["processed"], health["failed"]) == (0, 0)


async def test_installation_events_get_the_app_client_in_app_mode() -> None:
    """A deleted or suspended installation has no token: its events must not need one."""
    router = Router()
    clients: list[tuple[str, Any]] = []

    @router.register("installation")
    @router.register("push")
    async def record(event: Event, gh: Any, ctx: BotContext) -> None:
        clients.append((event.event, gh))

    app_config = Config(webhook_secret=SECRET, app_id="1", private_key="pem", token=None)
    async for app in make_app(router, app_config):
        deleted = {"action": "deleted", "installation": {"id": 7, "account": {"login": "o"}}}
        assert (await app.deliver("installation", deleted))[0] == 202
        await app.settle()
        assert (await app.deliver("push", push(1, 1, installation=7)))[0] == 202
        await app.settle()
    assert clients == [("installation", "app-client"), ("push", "client-for-7")]


async def test_form_encoded_deliveries_are_accepted_too(
    recording: tuple[App, list[tuple[str, Any]]],
) -> None:
    """GitHub can be set to send ``application/x-www-form-urlencoded``; gidgethub decodes it."""
    app, seen = recording
    body = urlencode({"payload": json.dumps(push(4, 4))}).encode()
    headers = webhook_headers("push", body, "form-1", SECRET)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    resp = await app.client.post("/webhook", data=body, headers=headers)
    assert resp.status == 202
    await app.settle()
    assert seen == [("start", f"{4:040x}"), ("end", f"{4:040x}")]
