"""Credentials: token expiry maths, the installation token cache, the App JWT."""

from __future__ import annotations

import asyncio
import datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gidgethub.apps import get_jwt

from bot.github.auth import (
    JWT_REFRESH_AFTER,
    AppJWT,
    FetchToken,
    InstallationToken,
    InstallationTokens,
    StaticToken,
    parse_github_time,
    renewal_time,
    token_from_response,
)


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_parse_github_time_reads_utc_timestamps() -> None:
    expected = datetime.datetime(2016, 7, 11, 22, 14, 10, tzinfo=datetime.UTC).timestamp()
    assert parse_github_time("2016-07-11T22:14:10Z") == expected
    assert parse_github_time("2016-07-11T23:14:10+01:00") == expected


def test_renewal_is_five_minutes_before_expiry_for_an_hour_token() -> None:
    assert renewal_time(1000.0, 1000.0 + 3600) == 1000.0 + 3600 - 300


def test_renewal_of_a_short_token_waits_half_its_life() -> None:
    # A 4-minute token renewed 5 minutes early would be thrown away at once.
    assert renewal_time(1000.0, 1240.0) == 1120.0
    assert renewal_time(1000.0, 900.0) == 900.0  # already expired: renew now


def test_token_from_response_uses_issue_time_and_expiry() -> None:
    issued = parse_github_time("2024-05-01T10:00:00Z")
    token = token_from_response({"token": "ghs_x", "expires_at": "2024-05-01T11:00:00Z"}, issued)
    assert token.token == "ghs_x"
    assert token.expires_at == issued + 3600
    assert token.renew_at == issued + 3300


def _fetcher(
    clock: ManualClock, lifetime: float, calls: list[int], delay: float = 0.0
) -> FetchToken:
    async def fetch(installation_id: int) -> InstallationToken:
        calls.append(installation_id)
        await asyncio.sleep(delay)
        issued = clock()
        return InstallationToken(
            token=f"t{installation_id}-{len(calls)}",
            expires_at=issued + lifetime,
            renew_at=renewal_time(issued, issued + lifetime),
        )

    return fetch


async def test_fifty_concurrent_callers_share_one_fetch() -> None:
    clock = ManualClock()
    calls: list[int] = []
    tokens = InstallationTokens(_fetcher(clock, 3600, calls, delay=0.01), clock=clock)
    got = await asyncio.gather(*(tokens.token(7) for _ in range(50)))
    assert calls == [7]
    assert set(got) == {"t7-1"}
    assert tokens.fetches == 1


async def test_installations_do_not_wait_for_each_other() -> None:
    clock = ManualClock()
    calls: list[int] = []
    tokens = InstallationTokens(_fetcher(clock, 3600, calls, delay=0.01), clock=clock)
    got = await asyncio.gather(tokens.token(1), tokens.token(2), tokens.token(1))
    assert sorted(calls) == [1, 2]
    assert got[0] == got[2] != got[1]


async def test_token_is_renewed_five_minutes_before_expiry() -> None:
    clock = ManualClock()
    calls: list[int] = []
    tokens = InstallationTokens(_fetcher(clock, 3600, calls), clock=clock)
    first = await tokens.token(3)
    clock.now += 3600 - 301  # just before the renewal point
    assert await tokens.token(3) == first
    clock.now += 2  # inside the last five minutes: renewed although still valid
    second = await tokens.token(3)
    assert second != first
    assert calls == [3, 3]


async def test_invalidate_forces_a_new_token() -> None:
    clock = ManualClock()
    calls: list[int] = []
    tokens = InstallationTokens(_fetcher(clock, 3600, calls), clock=clock)
    first = await tokens.token(5)
    tokens.invalidate(5)
    assert await tokens.credentials(5).authorization() == f"token {'t5-2'}"
    assert first == "t5-1"


async def test_failed_fetch_is_not_cached_and_releases_the_lock() -> None:
    clock = ManualClock()
    attempts: list[int] = []

    async def flaky(installation_id: int) -> InstallationToken:
        attempts.append(installation_id)
        if len(attempts) == 1:
            raise RuntimeError("GitHub down")
        return InstallationToken("ok", clock() + 3600, clock() + 3300)

    tokens = InstallationTokens(flaky, clock=clock)
    with pytest.raises(RuntimeError):
        await tokens.token(9)
    assert await tokens.token(9) == "ok"
    assert attempts == [9, 9]


async def test_static_token_header() -> None:
    creds = StaticToken("abc")
    creds.invalidate()
    assert await creds.authorization() == "token abc"


@pytest.fixture(scope="module")
def rsa_pem() -> tuple[str, rsa.RSAPublicKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


async def test_app_jwt_is_signed_by_the_app_and_reused_until_refresh(
    rsa_pem: tuple[str, rsa.RSAPublicKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    pem, public = rsa_pem
    made: list[str] = []

    def counting_get_jwt(*, app_id: str, private_key: str) -> str:
        made.append(app_id)
        return get_jwt(app_id=app_id, private_key=private_key)

    monkeypatch.setattr("bot.github.auth.get_jwt", counting_get_jwt)
    clock = ManualClock()
    app = AppJWT("4242", pem, clock=clock)
    header = await app.authorization()
    assert header.startswith("bearer ")
    claims = jwt.decode(header.removeprefix("bearer "), public, algorithms=["RS256"])
    assert claims["iss"] == "4242"
    assert claims["exp"] - claims["iat"] <= 600  # GitHub's maximum
    clock.now += JWT_REFRESH_AFTER - 1
    assert await app.authorization() == header
    assert len(made) == 1
    clock.now += 1
    await app.authorization()
    assert len(made) == 2
    app.invalidate()
    await app.authorization()
    assert len(made) == 3
