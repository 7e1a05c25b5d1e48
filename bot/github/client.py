"""Authenticated GitHub REST clients built on gidgethub's aiohttp adapter.

:class:`GitHubFactory` owns the process's one aiohttp session, the installation tokens, the
conditional-request cache and each installation's pacer; it hands out cheap
:class:`GitHubClient` objects, one per installation (or for the single token), each with its own
request counters. Every attempt goes through :class:`_Transport`, which adds the current
credentials, paces and serialises mutations, retries as :mod:`bot.github.retry` decides, and logs
the request at DEBUG.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, NoReturn

import aiohttp
import gidgethub
import gidgethub.aiohttp
from cachetools import LRUCache, TTLCache
from gidgethub import sansio
from gidgethub.apps import get_installation_access_token

from bot.config import Config
from bot.github.auth import (
    AppJWT,
    Credentials,
    InstallationToken,
    InstallationTokens,
    StaticToken,
    token_from_response,
)
from bot.github.pacing import Clock, InstallationPacer, Sleep
from bot.github.retry import (
    Failure,
    RetryPolicy,
    classify_response,
    is_idempotent,
    is_mutation,
    plan_error_retry,
    plan_response_retry,
)

log = logging.getLogger(__name__)

USER_AGENT = "meeting-todo-bot"
DEFAULT_TIMEOUT = 30.0
#: Bytes of response JSON kept for conditional requests, across all installations.
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
#: How long answers that rarely change (assignable users, labels, installation ids) are trusted.
DEFAULT_MEMO_TTL = 10 * 60.0
DEFAULT_PER_PAGE = 100
#: GitHub's media type and the REST API version the bot is written against. gidgethub's
#: default (``application/vnd.github.v3+json``) names neither the version nor today's type:
#: without the version header GitHub answers with whatever it now defaults to.
ACCEPT = "application/vnd.github+json"
API_VERSION = "2022-11-28"
_LEGACY_ACCEPT = sansio.accept_format()


class GitHubError(Exception):
    """A request that failed for good.

    ``status`` is the HTTP status (None when no response came back). ``maybe_applied`` is True
    when a non-repeatable mutation failed in a way that does not say whether GitHub applied it
    (a 5xx or a timeout after sending): the caller should re-read before trying again.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        method: str,
        url: str,
        maybe_applied: bool = False,
        errors: Any = None,
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.url = url
        self.maybe_applied = maybe_applied
        #: GitHub's ``errors`` list for a 422, when it sent one.
        self.errors = errors
        super().__init__(str(self))

    def __str__(self) -> str:
        status = "no response" if self.status is None else str(self.status)
        path = urllib.parse.urlsplit(self.url).path or self.url
        hint = " (it may have been applied; re-check before retrying)" if self.maybe_applied else ""
        return f"GitHub {self.method} {path} failed: {status}: {self.message}{hint}"


@dataclass
class RequestStats:
    """Counters of HTTP attempts, for logs and benchmarks."""

    requests: int = 0
    reads: int = 0
    writes: int = 0
    not_modified: int = 0
    retries: int = 0
    waited: float = 0.0

    def count(self, method: str, status: int | None) -> None:
        """Count one attempt and its outcome."""
        self.requests += 1
        if is_mutation(method):
            self.writes += 1
        else:
            self.reads += 1
        if status == 304:
            self.not_modified += 1


# gidgethub's cache entries: etag, last-modified, decoded body, next-page URL.
CacheEntry = tuple[str | None, str | None, Any, str | None]
_StoredEntry = tuple[str | None, str | None, str, str | None]


class ResponseCache:
    """The conditional-request cache behind every client, bounded in bytes (LRU).

    Bodies are stored as JSON text and decoded on each hit, so no caller can alter a cached
    answer by mutating what it was given, and memory is counted honestly.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self._entries: LRUCache[tuple[str, str], _StoredEntry] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda entry: len(entry[2]) + 256
        )

    def view(self, namespace: str) -> MutableMapping[str, CacheEntry]:
        """The part of the cache one credential sees (GitHub answers depend on who asks)."""
        return _CacheView(self._entries, namespace)

    def __len__(self) -> int:
        return len(self._entries)


class _CacheView(MutableMapping[str, CacheEntry]):
    def __init__(self, entries: LRUCache[tuple[str, str], _StoredEntry], namespace: str) -> None:
        self._entries = entries
        self._namespace = namespace

    def __getitem__(self, url: str) -> CacheEntry:
        etag, modified, text, more = self._entries[(self._namespace, url)]
        return etag, modified, json.loads(text), more

    def __setitem__(self, url: str, entry: CacheEntry) -> None:
        etag, modified, data, more = entry
        stored = (etag, modified, json.dumps(data, separators=(",", ":")), more)
        # cachetools refuses an entry larger than the whole cache; then it is simply not kept.
        with contextlib.suppress(ValueError):
            self._entries[(self._namespace, url)] = stored

    def __delitem__(self, url: str) -> None:
        del self._entries[(self._namespace, url)]

    def __iter__(self) -> Iterator[str]:
        return (url for ns, url in list(self._entries) if ns == self._namespace)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Transport(gidgethub.aiohttp.GitHubAPI):
    """gidgethub's aiohttp adapter with credentials, pacing, retries, timeouts and logging."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        credentials: Credentials,
        pacer: InstallationPacer | None,
        cache: MutableMapping[str, CacheEntry],
        policy: RetryPolicy,
        timeout: float,
        sleep: Sleep,
        clock: Clock,
        stats: tuple[RequestStats, ...],
    ) -> None:
        super().__init__(session, USER_AGENT, cache=cache, base_url=base_url)
        self._credentials = credentials
        self._pacer = pacer
        self._policy = policy
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._sleep_for = sleep
        self._clock = clock
        self._stats = stats

    async def sleep(self, seconds: float) -> None:
        """gidgethub's sleep hook: the injected sleep."""
        await self._sleep_for(seconds)

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        if self._pacer is not None and is_mutation(method):
            # Held across retries too: mutations of one installation never overlap or reorder.
            async with self._pacer.mutation_lock:
                return await self._attempts(method, url, headers, body)
        return await self._attempts(method, url, headers, body)

    async def _attempts(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, Mapping[str, str], bytes]:
        path = urllib.parse.urlsplit(url).path
        failures = {Failure.RATE_LIMITED: 0, Failure.TRANSIENT: 0}
        reauthorised = False
        while True:
            if self._pacer is not None:
                self._add_wait(await self._pacer.wait_if_paused())
            request_headers = github_headers(headers)
            # Always the credential of this client (fresh on every attempt, so a long wait
            # cannot leave an expired token in the retry), even if gidgethub set one itself.
            request_headers["authorization"] = await self._credentials.authorization()
            try:
                status, response_headers, response_body = await self._send(
                    method, url, request_headers, body
                )
            except (aiohttp.ClientError, TimeoutError) as exc:
                sent = not isinstance(exc, aiohttp.ClientConnectorError)
                failures[Failure.TRANSIENT] += 1
                plan = plan_error_retry(
                    method=method,
                    path=path,
                    sent=sent,
                    failures=failures[Failure.TRANSIENT],
                    policy=self._policy,
                )
                reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
                log.warning("GitHub %s %s: %s", method, path, reason)
                if not plan.retry:
                    raise GitHubError(
                        reason,
                        status=None,
                        method=method,
                        url=url,
                        maybe_applied=sent and not is_idempotent(method, path),
                    ) from exc
                await self._retry_after(plan.delay)
                continue
            if status == 401 and not reauthorised:
                # A revoked or expired credential: get a new one and try once more.
                reauthorised = True
                self._credentials.invalidate()
                continue
            kind = classify_response(status, response_headers, response_body)
            if kind is None:
                return status, response_headers, response_body
            failures[kind] += 1
            plan = plan_response_retry(
                method=method,
                path=path,
                status=status,
                headers=response_headers,
                body=response_body,
                failures=failures[kind],
                now=self._clock(),
                policy=self._policy,
            )
            if plan.give_up is not None:
                raise GitHubError(plan.give_up, status=status, method=method, url=url)
            if not plan.retry:
                return status, response_headers, response_body
            log.warning("GitHub %s %s: %s, retrying in %.1f s", method, path, status, plan.delay)
            if plan.throttle and self._pacer is not None:
                # Everyone on this installation waits, this request included (at the loop top).
                self._pacer.pause(plan.delay)
                await self._retry_after(0.0)
            else:
                await self._retry_after(plan.delay)

    async def _retry_after(self, delay: float) -> None:
        for stats in self._stats:
            stats.retries += 1
        if delay > 0:
            self._add_wait(delay)
            await self._sleep_for(delay)

    def _add_wait(self, seconds: float) -> None:
        for stats in self._stats:
            stats.waited += seconds

    async def _send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, Mapping[str, str], bytes]:
        mutation = self._pacer is not None and is_mutation(method)
        if mutation:
            assert self._pacer is not None
            await self._pacer.before_mutation()
        started = time.perf_counter()
        status: int | None = None
        remaining = "?"
        try:
            async with self._session.request(
                method, url, headers=headers, data=body, timeout=self._timeout
            ) as response:
                status = response.status
                remaining = response.headers.get("x-ratelimit-remaining", "?")
                return status, response.headers, await response.read()
        finally:
            if mutation:
                assert self._pacer is not None
                self._pacer.after_mutation()
            for stats in self._stats:
                stats.count(method, status)
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "%s %s -> %s in %.0f ms (rate limit remaining %s)",
                    method,
                    urllib.parse.urlsplit(url).path,
                    status if status is not None else "no response",
                    (time.perf_counter() - started) * 1000,
                    remaining,
                )

    async def get_page(self, url: str) -> tuple[Any, str | None]:
        """One GET (conditional) and the URL of the next page, if any."""
        data, more, _status = await self._make_request("GET", url, None, b"", ACCEPT)
        return data, more


def github_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` (lower-case, as gidgethub makes them) with GitHub's media type and API version.

    Set here, on every attempt, because gidgethub's own helpers (``post``, ``getstatus``, the
    installation token) fill in its legacy default; a media type asked for on purpose is kept.
    """
    sent = dict(headers)
    if sent.get("accept", _LEGACY_ACCEPT) == _LEGACY_ACCEPT:
        sent["accept"] = ACCEPT
    sent["x-github-api-version"] = API_VERSION
    return sent


def _with_params(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _raise_github_error(exc: gidgethub.HTTPException, method: str, url: str) -> NoReturn:
    status = int(exc.status_code)
    message = str(exc) or exc.status_code.phrase
    raise GitHubError(
        message,
        status=status,
        method=method,
        url=url,
        maybe_applied=status >= 500 and not is_idempotent(method, url),
        errors=getattr(exc, "errors", None),
    ) from exc


class GitHubClient:
    """One installation's (or the single token's) authenticated client.

    Reads are conditional (ETag) and run concurrently; mutations of one installation are sent
    one at a time, paced. Failures come out as :class:`GitHubError`.
    """

    def __init__(
        self,
        transport: _Transport,
        *,
        stats: RequestStats,
        memo: TTLCache[Any, Any],
        installation_id: int | None,
        derived: LRUCache[Any, Any] | None = None,
    ) -> None:
        self._transport = transport
        self.stats = stats
        #: Short-lived answers shared by the factory's clients (see :mod:`bot.github.api`).
        self.memo = memo
        #: Results computed from what GitHub sent (parsed notes), shared by the factory's
        #: clients: a pure function of their key, so a miss only costs time.
        self.derived: LRUCache[Any, Any] = LRUCache(maxsize=64) if derived is None else derived
        self.installation_id = installation_id

    @property
    def requests_made(self) -> int:
        """HTTP requests this client sent (retries included)."""
        return self.stats.requests

    @property
    def reads(self) -> int:
        """GET requests sent, 304s included."""
        return self.stats.reads

    @property
    def writes(self) -> int:
        """POST/PATCH/PUT/DELETE requests sent."""
        return self.stats.writes

    async def get(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET one resource (JSON), conditionally: an unchanged one is served from the cache."""
        full = _with_params(url, params)
        try:
            data, _more = await self._transport.get_page(full)
        except gidgethub.HTTPException as exc:
            _raise_github_error(exc, "GET", full)
        return data

    async def get_or_none(self, url: str, params: Mapping[str, Any] | None = None) -> Any | None:
        """Like :meth:`get`, but a 404 gives None."""
        try:
            return await self.get(url, params)
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise

    async def exists(self, url: str) -> bool:
        """True for a 2xx (or cached) answer, False for a 404 (check endpoints answer 204/404)."""
        try:
            status = await self._transport.getstatus(url, None)
        except gidgethub.HTTPException as exc:  # pragma: no cover - getstatus catches these
            _raise_github_error(exc, "GET", url)
        if status == 404:
            return False
        if 200 <= status < 300 or status == 304:
            return True
        raise GitHubError(f"unexpected answer {status}", status=int(status), method="GET", url=url)

    async def pages(self, url: str, params: Mapping[str, Any] | None = None) -> AsyncIterator[Any]:
        """Each page's JSON, following ``Link: rel="next"``; every page conditional."""
        current: str | None = _with_params(url, params)
        while current is not None:
            page_url = current
            try:
                data, current = await self._transport.get_page(page_url)
            except gidgethub.HTTPException as exc:
                _raise_github_error(exc, "GET", page_url)
            yield data

    async def getiter(
        self, url: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Any]:
        """Every item of a list endpoint, all pages (``per_page=100`` unless given)."""
        query = dict(params or {})
        if "per_page" not in query and "per_page=" not in url:
            query["per_page"] = DEFAULT_PER_PAGE
        async for page in self.pages(url, query):
            items = page["items"] if isinstance(page, dict) and "items" in page else page
            for item in items or ():
                yield item

    async def post(self, url: str, data: Any) -> Any:
        """POST JSON; returns GitHub's JSON answer."""
        try:
            return await self._transport.post(url, None, data=data)
        except gidgethub.HTTPException as exc:
            _raise_github_error(exc, "POST", url)

    async def patch(self, url: str, data: Any) -> Any:
        """PATCH JSON; returns GitHub's JSON answer."""
        try:
            return await self._transport.patch(url, None, data=data)
        except gidgethub.HTTPException as exc:
            _raise_github_error(exc, "PATCH", url)

    async def delete(self, url: str, data: Any = None) -> Any:
        """DELETE (with a JSON body when ``data`` is given); returns GitHub's JSON answer, if any.

        Through ``_make_request``: gidgethub's ``delete`` drops the answer, and some DELETEs
        (``issues/remove-assignees``) answer with the resource as it now is.
        """
        try:
            answer, _more, _status = await self._transport._make_request(
                "DELETE", url, None, b"" if data is None else data, ACCEPT
            )
        except gidgethub.HTTPException as exc:
            _raise_github_error(exc, "DELETE", url)
        return answer


class GitHubFactory:
    """Makes :class:`GitHubClient` objects; owns the session, tokens, cache and pacers.

    Create one at startup and :meth:`close` it at shutdown. In token mode (``GITHUB_TOKEN``)
    every client uses the token; in app mode each installation gets its own token.
    """

    def __init__(
        self,
        config: Config,
        session: aiohttp.ClientSession | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.time,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        memo_ttl: float = DEFAULT_MEMO_TTL,
    ) -> None:
        config.require_credentials()
        self.config = config
        self._session = session
        self._owns_session = session is None
        self._sleep = sleep
        self._clock = clock
        self._policy = retry or RetryPolicy(backoff_scale=config.retry_backoff_scale)
        self._timeout = config.request_timeout if timeout is None else timeout
        self._cache = ResponseCache(cache_bytes)
        self._pacers: dict[str, InstallationPacer] = {}
        #: Counters over every client this factory made.
        self.stats = RequestStats()
        self.memo: TTLCache[Any, Any] = TTLCache(maxsize=8192, ttl=memo_ttl)
        # A push's notes "after" are the next push's "before": parsing a yearly notes file
        # takes a tenth of a second, so the last few results are kept.
        self.derived: LRUCache[Any, Any] = LRUCache(maxsize=64)
        self._jwt: AppJWT | None = None
        self.tokens: InstallationTokens | None = None
        if config.uses_app:
            assert config.app_id is not None and config.private_key is not None
            self._jwt = AppJWT(config.app_id, config.private_key, clock=clock)
            self.tokens = InstallationTokens(self._fetch_token, clock=clock)

    def session(self) -> aiohttp.ClientSession:
        """The process's HTTP session (made on first use, inside the running loop)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Stop pauses in progress and close the session if this factory made it."""
        for pacer in self._pacers.values():
            pacer.close()
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    def _client(
        self, key: str, credentials: Credentials, installation_id: int | None, paced: bool
    ) -> GitHubClient:
        stats = RequestStats()
        transport = self._transport(key, credentials, paced, stats)
        return GitHubClient(
            transport,
            stats=stats,
            memo=self.memo,
            installation_id=installation_id,
            derived=self.derived,
        )

    def _transport(
        self, key: str, credentials: Credentials, paced: bool, stats: RequestStats
    ) -> _Transport:
        pacer = None
        if paced:
            pacer = self._pacers.get(key)
            if pacer is None:
                pacer = InstallationPacer(self.config.mutation_interval, sleep=self._sleep)
                self._pacers[key] = pacer
        return _Transport(
            self.session(),
            base_url=self.config.api_url,
            credentials=credentials,
            pacer=pacer,
            cache=self._cache.view(key),
            policy=self._policy,
            timeout=self._timeout,
            sleep=self._sleep,
            clock=self._clock,
            stats=(stats, self.stats),
        )

    def for_app(self) -> GitHubClient:
        """A client authenticated as the App itself (JWT); only for app-level endpoints."""
        if self._jwt is None:
            raise RuntimeError("for_app needs GITHUB_APP_ID and a private key")
        # Not paced: the App's own requests (tokens, lookups) are not content-creating.
        return self._client("app", self._jwt, None, paced=False)

    async def _fetch_token(self, installation_id: int) -> InstallationToken:
        assert self._jwt is not None
        app = self._transport("app", self._jwt, False, RequestStats())
        issued_at = self._clock()
        url = f"/app/installations/{installation_id}/access_tokens"
        try:
            data = await get_installation_access_token(
                app,
                installation_id=str(installation_id),
                app_id=self._jwt.app_id,
                private_key=self._jwt.private_key,
            )
        except gidgethub.HTTPException as exc:
            _raise_github_error(exc, "POST", url)
        return token_from_response(data, issued_at)

    async def for_installation(self, installation_id: int | None) -> GitHubClient:
        """The client of one installation (token mode: the token's client, whatever the id).

        In app mode this makes sure a token is at hand, so a removed installation fails here.
        """
        if self.tokens is None:
            assert self.config.token is not None
            return self._client("token", StaticToken(self.config.token), None, paced=True)
        if installation_id is None:
            raise ValueError("app mode needs an installation id")
        await self.tokens.token(installation_id)
        return self._client(
            f"installation:{installation_id}",
            self.tokens.credentials(installation_id),
            installation_id,
            paced=True,
        )

    async def installation_id(self, full_name: str) -> int:
        """The id of the App's installation on a repository (remembered for a while)."""
        key = ("installation", full_name.lower())
        cached = self.memo.get(key)
        if cached is not None:
            return int(cached)
        data = await self.for_app().get(f"/repos/{full_name}/installation")
        installation_id = int(data["id"])
        self.memo[key] = installation_id
        return installation_id

    async def for_repo(self, full_name: str) -> GitHubClient:
        """The client that can act on ``owner/repo``."""
        if self.tokens is None:
            return await self.for_installation(None)
        remembered = ("installation", full_name.lower()) in self.memo
        try:
            return await self.for_installation(await self.installation_id(full_name))
        except GitHubError as exc:
            if exc.status != 404 or not remembered:
                raise
        # The App was reinstalled since the id was remembered: look it up again.
        self.memo.pop(("installation", full_name.lower()), None)
        return await self.for_installation(await self.installation_id(full_name))
