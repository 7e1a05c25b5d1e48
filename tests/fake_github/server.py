"""The fake GitHub: a real aiohttp server on 127.0.0.1 in its own thread and event loop.

Each request goes through, in order: recording, injected faults, route matching (unknown
operation: 404 and a violation), authentication, the primary rate limit, the repository
scope of the token, request checks against GitHub's OpenAPI description (422 and a
violation), the secondary limit for writes, the handler, ETag/304, reply checks.
"""

from __future__ import annotations

import asyncio
import hashlib
import http
import itertools
import json
import re
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from . import routes_apps, routes_comments, routes_git, routes_issues, routes_pulls
from .accounts import Accounts, Actor, Installation, Token, User
from .limits import (
    PASS_THROUGH,
    SECONDARY_LIMIT_DOCS,
    SECONDARY_LIMIT_MESSAGE,
    Fault,
    Faults,
    PrimaryLimit,
    SecondaryLimit,
)
from .openapi import Operation, default_spec_path, load_spec
from .replies import ApiError, Reply
from .repo import FakeRepo
from .routing import Context, Route, find_route
from .shapes import integration_json, iso, user_json

ROUTES: list[Route] = [
    *routes_apps.ROUTES,
    *routes_git.ROUTES,
    *routes_issues.ROUTES,
    *routes_comments.ROUTES,
    *routes_pulls.ROUTES,
]
#: The shared description when present (the default for every fake).
SHARED_SPEC = default_spec_path()


@dataclass
class RecordedRequest:
    """One request as the fake saw it, and the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int = 0
    actor: str | None = None
    operation: str | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        """Whether the answer was a success (2xx)."""
        return 200 <= self.status < 300


class FakeGitHub:
    """A stateful GitHub REST API for tests. See ``tests/fake_github/__init__.py``."""

    def __init__(
        self,
        openapi_path: Path | None = SHARED_SPEC,
        *,
        app_id: int = 4242,
        app_slug: str = "meeting-todo-bot",
    ) -> None:
        self.spec = load_spec(openapi_path) if openapi_path is not None else None
        self.lock = threading.RLock()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.web_url = "https://github.com"
        self.app_id = app_id
        self.app_slug = app_slug
        self._clock_offset = 0.0
        self.accounts = Accounts(app_id, app_slug, self.clock)
        self.private_key_pem = self.accounts.private_key_pem
        self.app_owner = self.accounts.ensure_user("octocat")
        self.repos: dict[str, FakeRepo] = {}
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        #: Lifetime of new installation tokens, in seconds (GitHub: one hour).
        self.token_lifetime = 3600.0
        #: Check the fake's own replies against the description (cheap; on by default).
        self.validate_responses = True
        self.primary = PrimaryLimit()
        self.secondary = SecondaryLimit()
        self.faults = Faults()
        self._ids = itertools.count(100001)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Serve on ``self.url`` from a background thread; returns once it accepts requests."""
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve_forever, args=(ready, failure), name="fake-github", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if failure:
            raise RuntimeError("the fake GitHub did not start") from failure[0]

    def stop(self) -> None:
        """Stop serving (in-flight delayed answers are cut short)."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = None
        self._thread = None

    def __enter__(self) -> FakeGitHub:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve_forever(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        try:
            loop.run_until_complete(runner.setup())
            site = web.SockSite(runner, self._socket)
            loop.run_until_complete(site.start())
        except BaseException as exc:  # reported to start() in the test thread
            failure.append(exc)
            ready.set()
            return
        self._loop = loop
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    # -- test API -----------------------------------------------------------------------------

    def clock(self) -> float:
        """The fake's time (epoch seconds): real time plus :meth:`advance_clock` jumps."""
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Let time pass for the fake: tokens expire, rate-limit windows reset."""
        with self.lock:
            self._clock_offset += seconds

    def timestamp(self) -> str:
        """The fake's current time as GitHub writes it."""
        return iso(datetime.fromtimestamp(self.clock(), UTC))

    def next_id(self, kind: str) -> int:
        """A fresh database id (one sequence for every kind of object)."""
        del kind  # ids only need to be unique
        return next(self._ids)

    def user_json(self, user: User) -> dict[str, Any]:
        """An account as ``simple-user``."""
        return user_json(self.url, self.web_url, user)

    def app_json(self) -> dict[str, Any]:
        """The app as ``performed_via_github_app``."""
        return integration_json(self.url, self.web_url, self.app_id, self.app_slug, self.app_owner)

    @property
    def bot_login(self) -> str:
        """``<app-slug>[bot]``: who the app's writes are by."""
        return self.accounts.bot_login

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        installation_id: int | None = 1,
        files: dict[str, str] | None = None,
    ) -> FakeRepo:
        """A repository with an initial commit of ``files``, the app installed as told."""
        with self.lock:
            owner = full_name.split("/", 1)[0]
            self.accounts.ensure_user(owner, type="Organization")
            repo = FakeRepo(
                self,
                full_name,
                repo_id=self.next_id("repo"),
                default_branch=default_branch,
                installation_id=installation_id,
            )
            if installation_id is not None:
                installation = self.accounts.installations.setdefault(
                    installation_id, Installation(installation_id, owner)
                )
                installation.repos.add(full_name.lower())
            repo.push(files or {}, message="Initial commit", author=owner)
            self.repos[full_name.lower()] = repo
            return repo

    def repo(self, full_name: str) -> FakeRepo:
        """A repository added with :meth:`add_repo`."""
        return self.repos[full_name.lower()]

    def add_user(self, login: str, *, type: str = "User") -> None:
        """Register an account (``type``: User, Bot or Organization)."""
        with self.lock:
            user = self.accounts.ensure_user(login, type=type)
            user.type = type

    def add_token(self, token: str, login: str) -> None:
        """A personal token acting as ``login`` on every repository."""
        with self.lock:
            self.accounts.ensure_user(login)
            self.accounts.tokens[token] = Token(value=token, login=login)

    def installation_token(self, installation_id: int = 1) -> str:
        """Mint an installation token directly (tests that do not exercise the JWT dance)."""
        with self.lock:
            installation = self.accounts.installations[installation_id]
            return self.accounts.issue_installation_token(installation, self.token_lifetime).value

    def set_rate_limit(self, remaining: int, reset_in: float = 60.0) -> None:
        """Leave ``remaining`` requests in the budget until ``reset_in`` seconds from now."""
        with self.lock:
            self.primary.set(remaining, reset_in, self.clock())

    def set_secondary_limit(self, per_minute: int | None, *, window: float = 60.0) -> None:
        """Cap content-creating requests at ``per_minute`` per ``window`` s (``None``: off)."""
        with self.lock:
            self.secondary.configure(per_minute, window)

    def inject_fault(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        delay: float = 0.0,
    ) -> None:
        """The next ``times`` requests whose path matches answer ``status`` after ``delay`` s.

        ``status=PASS_THROUGH`` (0) serves the request for real and only delays the answer.
        ``method`` may be ``"*"``; ``path_regex`` is searched in the decoded path.
        """
        fault = Fault(
            method.upper(), re.compile(path_regex), status, times, dict(headers or {}), body, delay
        )
        with self.lock:
            self.faults.add(fault)

    def writes(self) -> list[RecordedRequest]:
        """The non-GET requests that succeeded, in arrival order."""
        with self.lock:
            return [r for r in self.requests if r.method != "GET" and r.ok]

    def record_violation(self, message: str) -> None:
        """Note a way the client broke GitHub's contract (fails the test at teardown)."""
        with self.lock:
            self.violations.append(message)

    def clear_violations(self) -> list[str]:
        """Forget recorded violations (a test that provoked them on purpose); returns them."""
        with self.lock:
            found = list(self.violations)
            self.violations.clear()
            return found

    # -- request pipeline ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        raw_path = request.rel_url.raw_path
        headers = {key.lower(): value for key, value in request.headers.items()}
        query = dict(request.rel_url.query.items())
        body: Any = None
        bad_json = False
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        record = RecordedRequest(request.method, unquote(raw_path), query, body, headers)
        with self.lock:
            self.requests.append(record)
            fault = self.faults.take(request.method, record.path)
        if fault is not None and fault.status != PASS_THROUGH:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            reply = self._fault_reply(fault)
        else:
            with self.lock:
                reply = self._serve(record, raw_path, bool(raw.strip()), bad_json)
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
        record.status = reply.status
        return self._to_response(reply)

    def _fault_reply(self, fault: Fault) -> Reply:
        body = fault.body
        if body is None and fault.status not in (204, 304):
            body = {"message": http.HTTPStatus(fault.status).phrase}
        with self.lock:
            headers = {**self.primary.headers(self.clock()), **fault.headers}
        if isinstance(body, str | bytes):
            text = body.decode() if isinstance(body, bytes) else body
            return Reply(fault.status, headers=headers, raw=text, content_type="text/plain")
        return Reply(fault.status, body, headers)

    def _serve(
        self, record: RecordedRequest, raw_path: str, has_body: bool, bad_json: bool
    ) -> Reply:
        found = find_route(ROUTES, record.method, raw_path)
        if found is None:
            self.violations.append(f"{record.method} {record.path}: no such GitHub operation")
            return self._finish(ApiError(404, "Not Found").reply(), record, None, counted=False)
        route, params = found
        operation = self.spec.operation(route.method, route.template) if self.spec else None
        record.operation = operation.operation_id if operation else route.template
        if self.spec is not None and operation is None:
            self.violations.append(f"{route.method} {route.template}: not in the description")
        now = self.clock()
        try:
            actor = self.accounts.authenticate(record.headers.get("authorization"), route.auth)
        except ApiError as error:
            return self._finish(error.reply(), record, operation, counted=False)
        record.actor = actor.login
        if self.primary.exhausted(now):
            return self._finish(self._rate_limited(actor).reply(), record, operation, False)
        try:
            reply = self._dispatch(route, params, actor, record, raw_path, has_body, bad_json)
        except ApiError as error:
            reply = error.reply()
        except Exception:  # a bug in the fake: fail the test loudly, not the bot
            self.violations.append(
                f"the fake crashed on {record.method} {record.path}:\n{traceback.format_exc()}"
            )
            reply = ApiError(500, "fake GitHub crashed").reply()
        return self._finish(reply, record, operation, counted=True)

    def _dispatch(
        self,
        route: Route,
        params: dict[str, str],
        actor: Actor,
        record: RecordedRequest,
        raw_path: str,
        has_body: bool,
        bad_json: bool,
    ) -> Reply:
        operation = self.spec.operation(route.method, route.template) if self.spec else None
        repo = None
        if "owner" in params and "repo" in params:
            repo = self.repos.get(f"{params['owner']}/{params['repo']}".lower())
            if repo is None or not actor.can_see(repo.full_name):
                raise ApiError(404, "Not Found")
        if bad_json:
            self.violations.append(f"{record.method} {record.path}: the body is not JSON")
            raise ApiError(400, "Problems parsing JSON")
        if operation is not None and self.spec is not None:
            problems = self.spec.check_request(
                operation, params, record.query, record.body, has_body
            )
            if problems:
                self.violations += [f"{operation.operation_id}: {p}" for p in problems]
                raise ApiError(422, "Invalid request.\n\n" + "\n".join(problems))
        if record.method != "GET":
            wait = self.secondary.retry_after(self.clock())
            if wait is not None:
                raise ApiError(
                    403,
                    SECONDARY_LIMIT_MESSAGE,
                    headers={"retry-after": str(wait)},
                    documentation_url=SECONDARY_LIMIT_DOCS,
                )
        ctx = Context(
            fake=self,
            actor=actor,
            params=params,
            query=record.query,
            body=record.body if record.body is not None else {},
            headers=record.headers,
            path=raw_path,
            repo=repo,
        )
        return route.handler(ctx)

    def _rate_limited(self, actor: Actor) -> ApiError:
        who = (
            f"installation ID {actor.installation_id}"
            if actor.installation_id is not None
            else f"user {actor.login}"
        )
        return ApiError(403, f"API rate limit exceeded for {who}.")

    def _finish(
        self, reply: Reply, record: RecordedRequest, operation: Operation | None, counted: bool
    ) -> Reply:
        now = self.clock()
        if record.method == "GET" and reply.status == 200:
            etag = 'W/"' + hashlib.sha256(self._payload(reply)).hexdigest()[:40] + '"'
            reply.headers["ETag"] = etag
            if _etag_matches(record.headers.get("if-none-match"), etag):
                reply = Reply(304, headers={"ETag": etag})
                counted = False  # GitHub: a 304 does not count against the budget
        if counted:
            self.primary.spend(now)
        if (
            operation is not None
            and self.spec is not None
            and self.validate_responses
            and reply.raw is None
        ):
            problems = self.spec.check_response(operation, reply.status, reply.body)
            self.violations += [
                f"fake reply to {operation.operation_id} ({reply.status}): {p}" for p in problems
            ]
        reply.headers = {
            **self.primary.headers(now),
            "x-github-media-type": "github.v3; format=json",
            "x-github-request-id": f"FAKE:{len(self.requests):06d}",
            **reply.headers,
        }
        return reply

    @staticmethod
    def _payload(reply: Reply) -> bytes:
        if reply.encoded is None:
            if reply.raw is not None:
                reply.encoded = reply.raw.encode("utf-8")
            elif reply.body is None:
                reply.encoded = b""
            else:
                reply.encoded = json.dumps(reply.body).encode("utf-8")
        return reply.encoded

    def _to_response(self, reply: Reply) -> web.Response:
        if reply.status in (204, 304):
            return web.Response(status=reply.status, headers=reply.headers)
        return web.Response(
            status=reply.status,
            body=self._payload(reply),
            headers={**reply.headers, "Content-Type": reply.content_type},
        )


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False
