"""Process settings from the environment (the GitHub App's identity and the server's knobs).

Repository settings live in ``.github/meeting-todo-bot.yml`` instead (see :mod:`bot.settings`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_BOT_LOGIN = "meeting-todo-bot[bot]"


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
        except ValueError as exc:
            raise ConfigError(
                "PORT, GITHUB_MUTATION_INTERVAL, GITHUB_RETRY_BACKOFF_SCALE and "
                f"GITHUB_REQUEST_TIMEOUT must be numbers ({exc})"
            ) from exc
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
        )

    def require_credentials(self) -> None:
        """Raise :class:`ConfigError` unless an app identity or a token is configured."""
        if not self.uses_app and self.token is None:
            raise ConfigError(
                "no GitHub credentials: set GITHUB_APP_ID with GITHUB_PRIVATE_KEY "
                "(or GITHUB_PRIVATE_KEY_PATH), or GITHUB_TOKEN"
            )
