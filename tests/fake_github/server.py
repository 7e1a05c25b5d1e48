"""The fake GitHub: a real aiohttp server on 127.0.0.1 in its own thread and event loop,
and the API tests use to set it up and inspect it (requests are answered in
:mod:`.pipeline`)."""

from __future__ import annotations

import asyncio
import itertools
import re
import socket
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from .accounts import Accounts, Installation, Token, User
from .deliveries import AppHook, Delivery
from .limits import Fault, Faults, PrimaryLimit, SecondaryLimit
from .openapi import Spec, default_spec_path, load_spec
from .pipeline import Pipeline, RecordedRequest
from .repo import FakeRepo
from .shapes import integration_json, iso, user_json
from .webhooks import delivery_headers, encode

#: The shared description when present (the default for every fake).
SHARED_SPEC = default_spec_path()


class FakeGitHub:
    """A stateful GitHub REST API for tests (see the package docstring for an example)."""

    def __init__(
        self,
        openapi_path: Path | None = SHARED_SPEC,
        *,
        app_id: int = 4242,
        app_slug: str = "meeting-todo-bot",
    ) -> None:
        self._spec_path = openapi_path
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
        #: Entries of a recursive tree listing before GitHub cuts it (``truncated: true``).
        self.tree_entry_limit = 100_000
        #: Opt-in: flag requests without ``X-GitHub-Api-Version: 2022-11-28`` or without
        #: GitHub's ``Accept`` (``application/vnd.github+json`` or a documented media type).
        self.strict_headers = False
        #: Check the fake's own replies against the description (cheap; on by default).
        self.validate_responses = True
        self.primary = PrimaryLimit()
        self.secondary = SecondaryLimit()
        self.faults = Faults()
        #: The app's webhook: where deliveries go, and every attempt (see :mod:`.deliveries`).
        self.hook = AppHook(self)
        self._ids = itertools.count(100001)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def spec(self) -> Spec | None:
        """The description requests are checked against (parsed on first use, once per
        process: starting a fake stays cheap)."""
        return load_spec(self._spec_path) if self._spec_path is not None else None

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
        else:
            self._socket.close()  # never served: the reserved port is released here
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
        app.router.add_route("*", "/{tail:.*}", Pipeline(self).handle)
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
        permissions: Mapping[str, str] | None = None,
    ) -> FakeRepo:
        """A repository with an initial commit of ``files``, the app installed as told
        (``permissions``: the installation's grant, else the manifest's defaults)."""
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
                if permissions is not None:
                    installation.permissions = dict(permissions)
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

    def installation_token(
        self, installation_id: int = 1, *, permissions: Mapping[str, str] | None = None
    ) -> str:
        """Mint an installation token directly (tests that do not exercise the JWT dance),
        optionally with fewer ``permissions`` than the installation was granted."""
        with self.lock:
            installation = self.accounts.installations[installation_id]
            return self.accounts.issue_installation_token(
                installation, self.token_lifetime, permissions=permissions
            ).value

    def grant(self, installation_id: int = 1, **permissions: str | None) -> dict[str, str]:
        """Change what an installation is granted (``None`` revokes); returns the new grant.

        Like GitHub, tokens minted before keep the permissions they were minted with.
        """
        with self.lock:
            granted = self.accounts.installations[installation_id].permissions
            for name, level in permissions.items():
                if level is None:
                    granted.pop(name, None)
                else:
                    granted[name] = level
            return dict(granted)

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

    async def deliver(
        self,
        event: str,
        payload: Mapping[str, Any] | bytes,
        *,
        delivery_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Delivery:
        """Send a delivery to the configured webhook as GitHub would, signed with its secret
        (``headers`` replace the built ones), and remember it for ``/app/hook/deliveries``."""
        body = payload if isinstance(payload, bytes) else encode(dict(payload))
        sent = {
            **delivery_headers(event, body, self.hook.secret, delivery_id=delivery_id),
            "X-GitHub-Hook-Installation-Target-ID": str(self.app_id),
            **(headers or {}),
        }
        return await self.hook.send(event, body, sent)
