"""Signed mutations of GitHub's example payloads, delivered to the real app and features.

Whatever a correctly signed delivery holds, the answer is never a 5xx; a delivery refused
(400) or ignored (200) costs no GitHub request at all (not even a token, so certainly no
write); one accepted fails, if at all, on what GitHub answered, never on a payload's type.
The examples come from ../shared/corpus/webhooks (the test skips without it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from bot_process import WEBHOOK_CORPUS, webhook_headers
from fake_github import FakeGitHub
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inprocess_worker import worker_for

from bot.config import Config
from bot.features import router
from bot.github import GitHubFactory
from bot.github.retry import RetryPolicy
from bot.web.payloads import SCHEMAS
from bot.web.server import build_app

SECRET = "fuzz-secret"
EVENTS = (*SCHEMAS, "ping", "issues")
TRAVERSAL = ("../../../../etc", "../../x/y", "..", "a/../../b", "%2e%2e/%2e%2e", "/etc/passwd")
#: Exceptions that mean a handler read a payload field it had not been promised.
TYPE_BUGS = (TypeError, AttributeError, KeyError, IndexError, ValueError)


def corpus() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for event in EVENTS:
        for path in sorted((WEBHOOK_CORPUS / event).glob("*.json")):
            payload = json.loads(path.read_text())
            if isinstance(payload, dict):
                found.append((event, path.name, payload))
    return found


EXAMPLES = corpus() if WEBHOOK_CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(not EXAMPLES, reason=f"shared corpus absent: {WEBHOOK_CORPUS}")


def places(value: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (dict keys and list indexes)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*here, key)
            yield from places(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            yield (*here, index)
            yield from places(item, (*here, index))


def read_paths() -> dict[str, list[tuple[Any, ...]]]:
    """Per event, the places the features read (weighted up: most mutations elsewhere are
    harmless by construction)."""
    read: dict[str, list[tuple[Any, ...]]] = {}
    for event, fields in SCHEMAS.items():
        read[event] = []
        for field in fields:
            place: list[Any] = []
            for part in field.path.split("."):
                place += [part[:-2], 0] if part.endswith("[]") else [part]
            read[event].append(tuple(place))
    return read


READ = read_paths()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(TRAVERSAL),
    st.sampled_from(("0" * 40, "f" * 40, "refs/heads/master", "master", "/todo close", "Bot")),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def mutate(payload: dict[str, Any], place: tuple[Any, ...], delete: bool, value: Any) -> None:
    parent: Any = payload
    for step in place[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return
    last = place[-1]
    if isinstance(parent, dict):
        if delete:
            parent.pop(last, None)
        else:
            parent[last] = value
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        if delete:
            del parent[last]
        else:
            parent[last] = value


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    event, name, example = draw(st.sampled_from(EXAMPLES))
    payload = json.loads(json.dumps(example))
    for _ in range(draw(st.integers(1, 3))):
        candidates = [*READ.get(event, []), *places(payload)]
        if not candidates:
            break
        mutate(payload, draw(st.sampled_from(candidates)), draw(st.booleans()), draw(values))
    return event, name, payload


class ServedApp:
    """The app on a loopback port, served from its own thread and event loop."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.url = self.call(self._start())

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    async def _start(self) -> str:
        config = Config(
            webhook_secret=SECRET,
            app_id=str(self.fake.app_id),
            private_key=self.fake.private_key_pem,
            token=None,
            api_url=self.fake.url,
            bot_login=self.fake.bot_login,
            mutation_interval=0.0,
            request_timeout=5.0,
        )
        self.factory = GitHubFactory(config, retry=RetryPolicy(backoff_scale=0.001))
        self.worker = worker_for(config, self.factory, router)
        self.queue = await self.worker.__aenter__()
        app = build_app(config, router, self.queue)
        self.runner = aiohttp.web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = aiohttp.web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.session = aiohttp.ClientSession()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}/webhook"

    async def _post(self, event: str, body: bytes) -> int:
        headers = webhook_headers(event, body, str(uuid.uuid4()), SECRET)
        async with self.session.post(self.url, data=body, headers=headers) as resp:
            await resp.read()
            status = resp.status
        async with asyncio.timeout(30):
            while (stats := await self.queue.stats()).queued or stats.running:
                await asyncio.sleep(0.002)
        return status

    def deliver(self, event: str, payload: dict[str, Any]) -> int:
        return int(self.call(self._post(event, json.dumps(payload).encode())))

    async def _stop(self) -> None:
        await self.session.close()
        await self.runner.cleanup()
        await self.worker.__aexit__(None, None, None)
        await self.factory.close()

    def stop(self) -> None:
        self.call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class Failures(logging.Handler):
    """The exceptions the bot logged with a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.seen.append(record.exc_info[1])


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ServedApp, Failures]]:
    with FakeGitHub() as fake:
        fake.strict_headers = True  # the bot is the client
        notes = "# Sync 2024-05-01\n\n- **TODO**: write it\n"
        # The corpus's repository, installed as installation 1 (as several examples say).
        fake.add_repo(
            "Codertocat/Hello-World",
            default_branch="master",
            installation_id=1,
            files={"meetings/2024-05-01.md": notes},
        )
        failures = Failures()
        bot_logger = logging.getLogger("bot")
        bot_logger.addHandler(failures)
        app = ServedApp(fake)
        try:
            yield app, failures
        finally:
            app.stop()
            bot_logger.removeHandler(failures)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(delivery=deliveries())
def test_signed_mutations_never_5xx_and_refused_ones_cost_no_request(
    served: tuple[ServedApp, Failures], delivery: tuple[str, str, dict[str, Any]]
) -> None:
    app, failures = served
    event, name, payload = delivery
    fake = app.fake
    with fake.lock:
        before = len(fake.requests)
    failures.seen.clear()
    status = app.deliver(event, payload)
    assert status < 500, (event, name, payload)
    with fake.lock:
        made = fake.requests[before:]
    if status != 202:
        # Refused or ignored: not a token, not a read, not a write.
        assert made == [], (event, name, status, [(r.method, r.path) for r in made])
    type_bugs = [exc for exc in failures.seen if isinstance(exc, TYPE_BUGS)]
    assert type_bugs == [], (event, name, payload, type_bugs)


def test_the_corpus_examples_themselves_are_not_refused(
    served: tuple[ServedApp, Failures],
) -> None:
    """The control: GitHub's own examples are never answered 400 (what the bot does not act
    on, such as a tag push or a repository webhook without an installation, is ignored)."""
    app, _ = served
    answers = {name: app.deliver(event, payload) for event, name, payload in EXAMPLES}
    assert all(status in (200, 202) for status in answers.values()), answers
