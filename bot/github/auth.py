"""Credentials for GitHub requests: a fixed token, the App's JWT, or installation tokens.

Installation tokens live about an hour. :class:`InstallationTokens` keeps one per installation
in a cachetools time-aware cache, drops it a few minutes before it expires so the next request
fetches a fresh one, and lets only one fetch per installation run at a time, so fifty deliveries
arriving together make one token request.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cachetools import TLRUCache
from gidgethub.apps import get_jwt

log = logging.getLogger(__name__)

Clock = Callable[[], float]

#: Renew an installation token this long before GitHub says it expires.
RENEW_MARGIN = 5 * 60.0
#: GitHub caps a JWT at 10 minutes and gidgethub backdates it by one; make a new one well before.
JWT_REFRESH_AFTER = 7 * 60.0


class Credentials(Protocol):
    """Something that can authorise a request; consulted before every attempt."""

    async def authorization(self) -> str:
        """The value of the ``Authorization`` header to send now."""

    def invalidate(self) -> None:
        """Forget the current credential (GitHub answered 401 to it)."""


@dataclass(frozen=True)
class InstallationToken:
    """An installation access token and when to stop using it (epoch seconds)."""

    token: str
    expires_at: float
    renew_at: float


def parse_github_time(value: str) -> float:
    """Epoch seconds from GitHub's ISO 8601 timestamps (``2016-07-11T22:14:10Z``)."""
    when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when.timestamp()


def renewal_time(issued_at: float, expires_at: float, margin: float = RENEW_MARGIN) -> float:
    """When to replace a token: ``margin`` before it expires, but not before half its life.

    The second bound keeps a short-lived token (a test server's, or a skewed clock's) usable
    for a while instead of making every request fetch a new one.
    """
    lifetime = max(0.0, expires_at - issued_at)
    return expires_at - min(margin, lifetime / 2)


def token_from_response(
    data: Mapping[str, Any], issued_at: float, margin: float = RENEW_MARGIN
) -> InstallationToken:
    """Read GitHub's answer to ``POST /app/installations/{id}/access_tokens``."""
    expires_at = parse_github_time(str(data["expires_at"]))
    return InstallationToken(
        token=str(data["token"]),
        expires_at=expires_at,
        renew_at=renewal_time(issued_at, expires_at, margin),
    )


class StaticToken:
    """A personal or GITHUB_TOKEN-style token used as it is."""

    def __init__(self, token: str) -> None:
        self._header = f"token {token}"

    async def authorization(self) -> str:
        """The fixed token."""
        return self._header

    def invalidate(self) -> None:
        """Nothing to renew: a rejected fixed token stays rejected."""


class AppJWT:
    """The GitHub App's own identity: a JWT signed with its private key, remade every 7 minutes."""

    def __init__(self, app_id: str, private_key: str, *, clock: Clock = time.time) -> None:
        self.app_id = app_id
        self.private_key = private_key
        self._clock = clock
        self._jwt: str | None = None
        self._made_at = 0.0

    def current(self) -> str:
        """A JWT valid for a few more minutes at least."""
        now = self._clock()
        if self._jwt is None or now - self._made_at >= JWT_REFRESH_AFTER:
            self._jwt = get_jwt(app_id=self.app_id, private_key=self.private_key)
            self._made_at = now
        return self._jwt

    async def authorization(self) -> str:
        """``bearer <jwt>``."""
        return f"bearer {self.current()}"

    def invalidate(self) -> None:
        """Make a new JWT next time (the last one was refused, perhaps for clock skew)."""
        self._jwt = None


FetchToken = Callable[[int], Awaitable[InstallationToken]]


class InstallationTokens:
    """Installation tokens by installation id: cached, renewed early, fetched one at a time."""

    def __init__(self, fetch: FetchToken, *, clock: Clock = time.time, maxsize: int = 4096) -> None:
        self._fetch = fetch
        self._clock = clock
        self._cache: TLRUCache[int, InstallationToken] = TLRUCache(
            maxsize=maxsize, ttu=lambda _id, token, _now: token.renew_at, timer=clock
        )
        self._locks: dict[int, asyncio.Lock] = {}
        #: Token requests made, for tests and logs.
        self.fetches = 0

    async def token(self, installation_id: int) -> str:
        """A token for the installation that is good for a few more minutes."""
        cached = self._cache.get(installation_id)
        if cached is not None:
            return cached.token
        lock = self._locks.setdefault(installation_id, asyncio.Lock())
        async with lock:
            # Another caller may have fetched it while this one waited for the lock.
            cached = self._cache.get(installation_id)
            if cached is not None:
                return cached.token
            self.fetches += 1
            fresh = await self._fetch(installation_id)
            log.debug(
                "installation %s: new token, renewing in %.0f s",
                installation_id,
                fresh.renew_at - self._clock(),
            )
            self._cache[installation_id] = fresh
            return fresh.token

    def invalidate(self, installation_id: int) -> None:
        """Forget the installation's token (GitHub refused it)."""
        self._cache.pop(installation_id, None)

    def credentials(self, installation_id: int) -> InstallationCredentials:
        """The credentials of one installation, for a client."""
        return InstallationCredentials(self, installation_id)


class InstallationCredentials:
    """One installation's token, as :class:`Credentials`."""

    def __init__(self, tokens: InstallationTokens, installation_id: int) -> None:
        self._tokens = tokens
        self.installation_id = installation_id

    async def authorization(self) -> str:
        """``token <installation token>``, renewed when due."""
        return f"token {await self._tokens.token(self.installation_id)}"

    def invalidate(self) -> None:
        """Fetch a new token next time."""
        self._tokens.invalidate(self.installation_id)
