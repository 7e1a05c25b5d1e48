"""Process settings from the environment (the GitHub App's identity and the server's knobs).

Repository settings live in ``.github/meeting-todo-bot.yml`` instead (see :mod:`bot.settings`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.queue.model import Policy

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_BOT_LOGIN = "meeting-todo-bot[bot]"


#: The embedded default: a SQLite file beside the process (a volume in production).
DEFAULT_QUEUE_URL = "sqlite:///.meeting-todo-bot/queue.sqlite3"


#: 18 min 40 s of retries in all: a typical GitHub or network outage heals by itself.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


def _delays(value: str | None) -> tuple[float, ...]:
    """``10,30,60`` (seconds before each retry), or ``none``: no retry."""
    if value is None or not value.strip():
        return DEFAULT_RETRY_DELAYS
    if value.strip().lower() == "none":
        return ()
    return tuple(float(part) for part in value.split(","))


class ConfigError(Exception):
    """The environment does not describe a usable setup; the message is one line for a person."""


@dataclass(frozen=True)
class Config:
    """Everything the server and the CLI take from the environment."""

    webhook_secret: str | None
    app_id: str | None
    private_key: str | None
    token: str | None
    api_url: str = DEFAULT_API_URL
    bot_login: str = DEFAULT_BOT_LOGIN
    log_level: str = "INFO"
    #: ``text`` (one plain line per record) or ``json`` (one JSON object per line).
    log_format: str = "text"
    port: int = 8000
    #: Seconds between two mutating requests to one installation (GitHub's secondary
    #: limit is about 80 content-creating requests a minute).
    mutation_interval: float = 1.0
    #: Multiplies the 1, 2, 4 s backoff between retries of a failed request (tests use ~0).
    retry_backoff_scale: float = 1.0
    #: Seconds before one GitHub request counts as timed out.
    request_timeout: float = 30.0
    #: Where accepted deliveries wait (and what is shared between deliveries): a SQLite file
    #: by default, Redis when ``REDIS_URL`` is set (see docs/deploy.md).
    queue_url: str = DEFAULT_QUEUE_URL
    #: Deliveries one worker process runs at once (each of a different repository).
    worker_concurrency: int = 4
    #: Seconds between two sweeps for failed deliveries to redeliver (0: never).
    redelivery_interval: float = 300.0
    #: Seconds between two catch-ups of every installed repository (0: never).
    catch_up_interval: float = 86400.0
    #: Seconds to wait before each retry of a failed delivery; past the last it is dead.
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    #: Seconds a worker holds a repository without renewing before another takes over.
    lease_seconds: float = 30.0
    #: Seconds running deliveries may finish after SIGTERM before they are handed back.
    stop_grace: float = 20.0

    def queue_policy(self) -> Policy:
        """The delivery queue's timings from these settings."""
        from bot.queue.model import Policy  # the queue's package needs this module first

        return Policy(
            backoff=self.retry_delays,
            lease=self.lease_seconds,
            heartbeat=min(5.0, self.lease_seconds / 3),
            grace=self.stop_grace,
        )

    @property
    def shared_queue(self) -> bool:
        """True when other machines may share the queue (Redis): web processes then only
        verify and queue, and ``python -m bot worker`` processes do the work."""
        return self.queue_url.startswith(("redis://", "rediss://", "unix://"))

    @property
    def uses_app(self) -> bool:
        """True when authenticating as a GitHub App (else a single token)."""
        return self.app_id is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read the environment; raise :class:`ConfigError` on a setting that cannot work."""
        env = os.environ if environ is None else environ
        app_id = env.get("GITHUB_APP_ID") or None
        private_key = env.get("GITHUB_PRIVATE_KEY") or None
        key_path = env.get("GITHUB_PRIVATE_KEY_PATH") or None
        if private_key is None and key_path is not None:
            try:
                private_key = Path(key_path).read_text()
            except OSError as exc:
                raise ConfigError(
                    f"GITHUB_PRIVATE_KEY_PATH={key_path}: cannot read it ({exc.strerror})"
                ) from exc
        token = env.get("GITHUB_TOKEN") or None
        if app_id is not None and private_key is None:
            raise ConfigError(
                "GITHUB_APP_ID is set but neither GITHUB_PRIVATE_KEY nor GITHUB_PRIVATE_KEY_PATH is"
            )
        try:
            port = int(env.get("PORT", "8000"))
            interval = float(env.get("GITHUB_MUTATION_INTERVAL", "1.0"))
            backoff = float(env.get("GITHUB_RETRY_BACKOFF_SCALE", "1.0"))
            timeout = float(env.get("GITHUB_REQUEST_TIMEOUT", "30"))
            concurrency = int(env.get("WORKER_CONCURRENCY", "4"))
            redelivery = float(env.get("REDELIVERY_INTERVAL", "300"))
            catch_up = float(env.get("CATCH_UP_INTERVAL", "86400"))
            delays = _delays(env.get("DELIVERY_RETRY_DELAYS"))
            lease = float(env.get("DELIVERY_LEASE_SECONDS", "30"))
            grace = float(env.get("DELIVERY_STOP_GRACE", "20"))
        except ValueError as exc:
            raise ConfigError(
                "PORT, GITHUB_MUTATION_INTERVAL, GITHUB_RETRY_BACKOFF_SCALE, "
                "GITHUB_REQUEST_TIMEOUT, WORKER_CONCURRENCY, REDELIVERY_INTERVAL, "
                "CATCH_UP_INTERVAL, DELIVERY_LEASE_SECONDS, DELIVERY_STOP_GRACE and "
                "DELIVERY_RETRY_DELAYS (comma-"
                f"separated, or none) must be numbers ({exc})"
            ) from exc
        if (
            concurrency < 1
            or redelivery < 0
            or catch_up < 0
            or lease <= 0
            or min(delays, default=0) < 0
        ):
            raise ConfigError(
                "WORKER_CONCURRENCY must be 1 or more, DELIVERY_LEASE_SECONDS positive; "
                "REDELIVERY_INTERVAL, CATCH_UP_INTERVAL and retry delays not negative"
            )
        if interval < 0 or backoff < 0 or timeout <= 0:
            raise ConfigError(
                "GITHUB_MUTATION_INTERVAL and GITHUB_RETRY_BACKOFF_SCALE must not be negative, "
                "GITHUB_REQUEST_TIMEOUT must be positive"
            )
        return cls(
            webhook_secret=env.get("GITHUB_WEBHOOK_SECRET") or None,
            app_id=app_id,
            private_key=private_key,
            token=token,
            api_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            bot_login=env.get("GITHUB_BOT_LOGIN") or DEFAULT_BOT_LOGIN,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            log_format=(env.get("LOG_FORMAT") or "text").strip().lower(),
            port=port,
            mutation_interval=interval,
            retry_backoff_scale=backoff,
            request_timeout=timeout,
            queue_url=env.get("QUEUE_URL") or env.get("REDIS_URL") or DEFAULT_QUEUE_URL,
            worker_concurrency=concurrency,
            redelivery_interval=redelivery,
            catch_up_interval=catch_up,
            retry_delays=delays,
            lease_seconds=lease,
            stop_grace=grace,
        )

    def require_credentials(self) -> None:
        """Raise :class:`ConfigError` unless an app identity or a token is configured."""
        if not self.uses_app and self.token is None:
            raise ConfigError(
                "no GitHub credentials: set GITHUB_APP_ID with GITHUB_PRIVATE_KEY "
                "(or GITHUB_PRIVATE_KEY_PATH), or GITHUB_TOKEN"
            )
