"""Who is calling: users, the pre-registered app, installations, tokens and app JWTs."""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .permissions import default_permissions, narrowed
from .replies import ApiError

#: GitHub refuses app JWTs that live longer than ten minutes.
MAX_JWT_LIFETIME = 600
#: Seconds of clock drift GitHub tolerates on ``iat``.
CLOCK_SKEW = 60


@functools.lru_cache(maxsize=1)
def app_key_pair() -> tuple[str, Any]:
    """One RSA key per test process (generating a key costs ~0.1 s; fakes are many)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")
    return pem, key.public_key()


@dataclass
class User:
    """An account: a person (``User``), an app's bot (``Bot``) or an ``Organization``."""

    login: str
    id: int
    type: str = "User"


@dataclass
class Installation:
    """The app installed on an account, for some of its repositories (lower-case names)."""

    id: int
    account: str
    repos: set[str] = field(default_factory=set)
    #: What the owner granted the app (default: the manifest's ``default_permissions``).
    permissions: dict[str, str] = field(default_factory=default_permissions)


@dataclass
class Token:
    """A bearer token: an installation's (scoped, expiring) or a person's (everything)."""

    value: str
    login: str
    installation_id: int | None = None
    repos: frozenset[str] | None = None
    expires_at: float | None = None
    #: An installation token's permissions, fixed when it was minted (``None``: a person's).
    permissions: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Actor:
    """The authenticated caller of one request."""

    login: str
    kind: str  # "app" (JWT), "installation" or "user"
    installation_id: int | None = None
    repos: frozenset[str] | None = None
    #: Installation tokens only: the app permissions the token carries.
    permissions: Mapping[str, str] | None = None

    def can_see(self, full_name: str) -> bool:
        """Whether this caller's token reaches the repository."""
        return self.repos is None or full_name.lower() in self.repos


class Accounts:
    """Users, the app and its installations, and the tokens that act for them."""

    def __init__(self, app_id: int, app_slug: str, clock: Callable[[], float]) -> None:
        self.app_id = app_id
        self.app_slug = app_slug
        self.private_key_pem, self._public_key = app_key_pair()
        self.users: dict[str, User] = {}
        self.installations: dict[int, Installation] = {}
        self.tokens: dict[str, Token] = {}
        self._clock = clock
        self._next_user_id = 1000
        self.ensure_user(self.bot_login, type="Bot")

    @property
    def bot_login(self) -> str:
        """The login of the app's bot account, the author of what the app writes."""
        return f"{self.app_slug}[bot]"

    def user(self, login: str) -> User | None:
        """The account with this login (logins are case-insensitive), if any."""
        return self.users.get(login.lower())

    def ensure_user(self, login: str, *, type: str = "User") -> User:
        """The account with this login, registered on first mention."""
        existing = self.users.get(login.lower())
        if existing is not None:
            return existing
        self._next_user_id += 1
        created = User(login=login, id=self._next_user_id, type=type)
        self.users[login.lower()] = created
        return created

    def issue_installation_token(
        self,
        installation: Installation,
        lifetime: float,
        only: list[str] | None = None,
        permissions: Mapping[str, str] | None = None,
    ) -> Token:
        """A new ``ghs_`` token for the installation, optionally narrowed to some repositories
        and to some of the granted ``permissions``."""
        repos = frozenset(installation.repos)
        if only is not None:
            wanted = {f"{installation.account}/{name}".lower() for name in only}
            if not wanted <= repos:
                raise ApiError(
                    422,
                    "There is at least one repository that does not exist or is "
                    "not accessible to the parent installation.",
                )
            repos = frozenset(wanted)
        token = Token(
            value="ghs_" + secrets.token_hex(18),
            login=self.bot_login,
            installation_id=installation.id,
            repos=repos,
            expires_at=self._clock() + lifetime,
            permissions=(
                narrowed(installation.permissions, permissions)
                if permissions is not None
                else dict(installation.permissions)
            ),
        )
        self.tokens[token.value] = token
        return token

    def authenticate(self, authorization: str | None, scheme: str) -> Actor:
        """The caller behind an ``Authorization`` header; ``scheme`` is "jwt" or "token"."""
        if not authorization:
            raise ApiError(401, "Requires authentication")
        kind, _, credential = authorization.partition(" ")
        credential = credential.strip()
        if kind.lower() not in ("bearer", "token") or not credential:
            raise ApiError(401, "Bad credentials")
        if scheme == "jwt":
            if kind.lower() != "bearer":
                raise ApiError(401, "A JSON web token could not be decoded")
            return self._verify_jwt(credential)
        token = self.tokens.get(credential)
        if token is None:
            if credential.count(".") == 2:
                raise ApiError(
                    403,
                    "Resource not accessible by integration: an app JWT cannot call this "
                    "endpoint, use an installation token",
                )
            raise ApiError(401, "Bad credentials")
        if token.expires_at is not None and self._clock() >= token.expires_at:
            raise ApiError(401, "Bad credentials")
        return Actor(
            login=token.login,
            kind="installation" if token.installation_id is not None else "user",
            installation_id=token.installation_id,
            repos=token.repos,
            permissions=token.permissions,
        )

    def _verify_jwt(self, token: str) -> Actor:
        now = time.time()  # the bot signs with real time, whatever the fake's clock says
        try:
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"], "verify_iat": False},
                leeway=0,
            )
        except jwt.ExpiredSignatureError as exc:
            raise ApiError(
                401,
                "'Expiration time' claim ('exp') must be a numeric value "
                "representing the future time at which the assertion expires",
            ) from exc
        except jwt.PyJWTError as exc:
            raise ApiError(401, f"A JSON web token could not be decoded ({exc})") from exc
        if str(claims["iss"]) != str(self.app_id):
            raise ApiError(401, "'Issuer' claim ('iss') must be an Integer")
        if float(claims["iat"]) > now + CLOCK_SKEW:
            raise ApiError(
                401,
                "'Issued at' claim ('iat') must be an Integer representing "
                "the time that the assertion was issued",
            )
        if float(claims["exp"]) > now + MAX_JWT_LIFETIME + CLOCK_SKEW:
            raise ApiError(401, "'Expiration time' claim ('exp') is too far in the future")
        return Actor(login=self.bot_login, kind="app")
