"""How the fake answers one request, in GitHub's order of checks.

Recording, injected faults, route matching (an unknown operation: 404 and a violation),
authentication, the primary rate limit, the token's repository scope, checks against GitHub's
OpenAPI description (422 and a violation), the secondary limit for writes, the handler,
ETag/304, and finally checks of the fake's own reply against the description.
"""

from __future__ import annotations

import asyncio
import hashlib
import http
import json
import re
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from . import (
    coverage,
    permissions,
    routes_apps,
    routes_checks,
    routes_comments,
    routes_git,
    routes_issues,
    routes_pulls,
    routes_trees,
)
from .accounts import Actor
from .limits import PASS_THROUGH, SECONDARY_LIMIT_DOCS, SECONDARY_LIMIT_MESSAGE, Fault
from .openapi import Operation
from .replies import DOCS_URL, ApiError, Reply
from .routing import Context, Route, find_route

if TYPE_CHECKING:
    from .server import FakeGitHub

ROUTES: list[Route] = [
    *routes_apps.ROUTES,
    *routes_checks.ROUTES,  # before routes_git: commits/{ref} would take .../check-runs
    *routes_git.ROUTES,
    *routes_issues.ROUTES,
    *routes_comments.ROUTES,
    *routes_pulls.ROUTES,
    *routes_trees.ROUTES,
]


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


class Pipeline:
    """Turns HTTP requests into replies against one fake's state."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one HTTP request (the aiohttp handler for every path)."""
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
        with self.fake.lock:
            self.fake.requests.append(record)
            if self.fake.strict_headers:
                self.fake.violations += _header_problems(record)
            fault = self.fake.faults.take(request.method, record.path)
        if fault is not None and fault.status != PASS_THROUGH:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            reply = self._fault_reply(fault)
        else:
            with self.fake.lock:
                reply = self._serve(record, raw_path, bool(raw.strip()), bad_json)
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
        record.status = reply.status
        return self._to_response(reply)

    def _fault_reply(self, fault: Fault) -> Reply:
        body = fault.body
        if body is None and fault.status not in (204, 304):
            body = {"message": http.HTTPStatus(fault.status).phrase}
        with self.fake.lock:
            headers = {**self.fake.primary.headers(self.fake.clock()), **fault.headers}
        if isinstance(body, str | bytes):
            text = body.decode() if isinstance(body, bytes) else body
            return Reply(fault.status, headers=headers, raw=text, content_type="text/plain")
        return Reply(fault.status, body, headers)

    def _serve(
        self, record: RecordedRequest, raw_path: str, has_body: bool, bad_json: bool
    ) -> Reply:
        found = find_route(ROUTES, record.method, raw_path)
        if found is None:
            documented = (
                self.fake.spec.match(record.method, record.path) if self.fake.spec else None
            )
            if documented is not None:
                record.operation = documented.operation_id
                self.fake.violations.append(
                    f"{record.method} {record.path}: {documented.operation_id} is GitHub's but "
                    "the fake does not serve it (add a route)"
                )
            else:
                self.fake.violations.append(
                    f"{record.method} {record.path}: no such GitHub operation"
                )
            return self._finish(ApiError(404, "Not Found").reply(), record, None, counted=False)
        route, params = found
        operation = (
            self.fake.spec.operation(route.method, route.template) if self.fake.spec else None
        )
        record.operation = route.operation_id or route.template
        coverage.record(
            record.operation, route.method, route.template, record.headers.get("user-agent", "")
        )
        if self.fake.spec is not None and operation is None:
            self.fake.violations.append(f"{route.method} {route.template}: not in the description")
        now = self.fake.clock()
        try:
            actor = self.fake.accounts.authenticate(record.headers.get("authorization"), route.auth)
        except ApiError as error:
            return self._finish(error.reply(), record, operation, counted=False)
        record.actor = actor.login
        if self.fake.primary.exhausted(now):
            return self._finish(self._rate_limited(actor).reply(), record, operation, False)
        try:
            reply = self._dispatch(route, params, actor, record, raw_path, has_body, bad_json)
        except ApiError as error:
            reply = error.reply()
        except Exception:  # a bug in the fake: fail the test loudly, not the bot
            self.fake.violations.append(
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
        operation = (
            self.fake.spec.operation(route.method, route.template) if self.fake.spec else None
        )
        repo = None
        if "owner" in params and "repo" in params:
            repo = self.fake.repos.get(f"{params['owner']}/{params['repo']}".lower())
            if repo is None or not actor.can_see(repo.full_name):
                raise ApiError(404, "Not Found")
        if actor.permissions is not None:  # installation tokens; a person's token is not an app
            permissions.check(
                route.operation_id,
                actor.permissions,
                operation.docs_url if operation is not None else DOCS_URL,
            )
        if bad_json:
            self.fake.violations.append(f"{record.method} {record.path}: the body is not JSON")
            raise ApiError(400, "Problems parsing JSON")
        if operation is not None and self.fake.spec is not None:
            problems = self.fake.spec.check_request(
                operation, params, record.query, record.body, has_body
            )
            if problems:
                self.fake.violations += [f"{operation.operation_id}: {p}" for p in problems]
                raise ApiError(422, "Invalid request.\n\n" + "\n".join(problems))
        if record.method != "GET":
            wait = self.fake.secondary.retry_after(self.fake.clock())
            if wait is not None:
                raise ApiError(
                    403,
                    SECONDARY_LIMIT_MESSAGE,
                    headers={"retry-after": str(wait)},
                    documentation_url=SECONDARY_LIMIT_DOCS,
                )
        ctx = Context(
            fake=self.fake,
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
        now = self.fake.clock()
        if record.method == "GET" and reply.status == 200:
            etag = 'W/"' + hashlib.sha256(self._payload(reply)).hexdigest()[:40] + '"'
            reply.headers["ETag"] = etag
            if _etag_matches(record.headers.get("if-none-match"), etag):
                reply = Reply(304, headers={"ETag": etag})
                counted = False  # GitHub: a 304 does not count against the budget
        if counted:
            self.fake.primary.spend(now)
        if (
            operation is not None
            and self.fake.spec is not None
            and self.fake.validate_responses
            and reply.raw is None
        ):
            problems = self.fake.spec.check_response(operation, reply.status, reply.body)
            self.fake.violations += [
                f"fake reply to {operation.operation_id} ({reply.status}): {p}" for p in problems
            ]
        reply.headers = {
            **self.fake.primary.headers(now),
            "x-github-media-type": "github.v3; format=json",
            "x-github-request-id": f"FAKE:{len(self.fake.requests):06d}",
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


API_VERSION = "2022-11-28"
#: ``application/vnd.github+json`` or one of GitHub's documented custom media types; the
#: legacy ``vnd.github.v3`` form is what the check is for.
_ACCEPT = re.compile(
    r"application/vnd\.github(\.(raw|html|text|full|object|diff|patch|sha|base64))?(\+json)?"
)


def _header_problems(record: RecordedRequest) -> list[str]:
    where = f"{record.method} {record.path}"
    problems = []
    version = record.headers.get("x-github-api-version")
    if version != API_VERSION:
        problems.append(f"{where}: X-GitHub-Api-Version is {version!r}, not {API_VERSION!r}")
    accept = record.headers.get("accept", "")
    if not any(_ACCEPT.fullmatch(part.strip()) for part in accept.split(",")):
        problems.append(f"{where}: Accept is {accept!r}, not 'application/vnd.github+json'")
    return problems


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False
