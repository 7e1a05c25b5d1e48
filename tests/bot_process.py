"""Run the real webhook server as a subprocess, started exactly as the ``Procfile`` says.

End-to-end tests use the ``bot_server`` fixture (import it into the test module)::

    from bot_process import StartBot, bot_server_fixture  # noqa: F401

    async def test_something(bot_server):
        bot = await bot_server(api_url=fake.url, token="t")
        answer = await bot.deliver("push", payload)
        await bot.wait_idle()
        assert await bot.stop() == 0

The benchmark script uses :func:`start_bot` directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fake_github.deliveries import AppHook
from fake_github.webhooks import delivery_headers

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
WEBHOOK_CORPUS = SHARED / "corpus" / "webhooks"
DEFAULT_SECRET = "e2e-webhook-secret"
HOOK_ID = "424242"
APP_TARGET_ID = "12345"


def procfile_command(root: Path = ROOT) -> str:
    """The command of the ``web:`` process in the project's Procfile."""
    for line in (root / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() == "web":
            return command.strip()
    raise AssertionError("the Procfile has no web: process")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_headers(
    event: str, body: bytes, delivery_id: str, secret: str | None
) -> dict[str, str]:
    """Headers shaped like a GitHub App delivery's (see corpus/webhooks/HEADERS.md), with the
    legacy SHA-1 signature GitHub also sends; ``secret=None`` sends no signature."""
    headers = delivery_headers(event, body, secret or "", delivery_id=delivery_id)
    headers["X-GitHub-Hook-ID"] = HOOK_ID
    headers["X-GitHub-Hook-Installation-Target-ID"] = APP_TARGET_ID
    if secret is None:
        del headers["X-Hub-Signature-256"]
    else:
        sha1 = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
        headers["X-Hub-Signature"] = f"sha1={sha1}"
    return headers


def corpus_payload(relative: str) -> dict[str, Any]:
    """A payload from ../shared/corpus/webhooks; skips the test when the corpus is absent."""
    path = WEBHOOK_CORPUS / relative
    if not path.is_file():
        pytest.skip(f"shared corpus absent: {path}")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@dataclass(frozen=True)
class Answer:
    """The server's answer to one request."""

    status: int
    body: Any

    @property
    def state(self) -> str | None:
        """The ``status`` field of a JSON answer."""
        return self.body.get("status") if isinstance(self.body, dict) else None


class BotProcess:
    """A running ``python -m bot serve`` and a client for it."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        port: int,
        secret: str,
        stderr_path: Path,
        stdout_path: Path,
    ) -> None:
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.secret = secret
        self.stderr_path = stderr_path
        self.stdout_path = stdout_path
        self._session: aiohttp.ClientSession | None = None
        #: The fake GitHub's app webhook, once attached: deliveries then go through it and
        #: are remembered there (``GET /app/hook/deliveries``, redelivery).
        self.hook: AppHook | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=60), raise_for_status=False
            )
        return self._session

    def stderr(self) -> str:
        """What the server wrote to stderr so far (its log)."""
        return self.stderr_path.read_text(errors="replace")

    def stdout(self) -> str:
        """What the server wrote to stdout so far."""
        return self.stdout_path.read_text(errors="replace")

    @property
    def returncode(self) -> int | None:
        """The exit status, or None while it runs."""
        return self.proc.poll()

    async def post(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        """POST raw bytes to /webhook (through the attached fake's app hook, if any)."""
        if self.hook is not None and self.hook.url == f"{self.url}/webhook":
            event = dict(headers).get("X-GitHub-Event", "")
            sent = await self.hook.send(event, body, headers)
            if sent.status_code == 0:
                raise aiohttp.ClientConnectionError(sent.status)
            return Answer(sent.status_code, _decode(sent.answer))
        async with self.session.post(f"{self.url}/webhook", data=body, headers=headers) as resp:
            return Answer(resp.status, await _body(resp))

    async def deliver(
        self,
        event: str,
        payload: Mapping[str, Any] | bytes,
        delivery_id: str | None = None,
        secret: str | None = None,
        *,
        signed: bool = True,
        headers: Mapping[str, str | None] | None = None,
    ) -> Answer:
        """Sign and deliver a webhook like GitHub does.

        ``secret`` defaults to the server's; ``signed=False`` sends no signature;
        ``headers`` adds or (with None) removes headers after signing.
        """
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        all_headers: dict[str, str] = webhook_headers(
            event,
            body,
            delivery_id or str(uuid.uuid4()),
            (secret or self.secret) if signed else None,
        )
        for name, value in (headers or {}).items():
            all_headers.pop(name, None)
            if value is not None:
                all_headers[name] = value
        return await self.post(body, all_headers)

    async def health(self) -> Answer:
        """GET /health."""
        async with self.session.get(f"{self.url}/health") as resp:
            return Answer(resp.status, await _body(resp))

    async def wait_idle(self, timeout: float = 30.0) -> dict[str, Any]:
        """Poll /health until nothing is queued or running; returns the last counters."""
        deadline = time.monotonic() + timeout
        while True:
            answer = await self.health()
            counters: dict[str, Any] = answer.body
            if counters["queued"] == 0 and counters["running"] == 0 and not counters["retrying"]:
                return counters
            if time.monotonic() > deadline:
                raise AssertionError(f"server not idle after {timeout} s: {counters}")
            await asyncio.sleep(0.02)

    async def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait until /health answers; fail with the server's log if it exits first."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.stderr()}")
            try:
                answer = await self.health()
            except aiohttp.ClientConnectionError:
                answer = None
            if answer is not None and answer.status == 200:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"server not ready after {timeout} s:\n{self.stderr()}")
            await asyncio.sleep(0.05)

    async def wait_exit(self, timeout: float = 40.0) -> int:
        """Wait for the process to exit; returns its status."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"server still running after {timeout} s")
            await asyncio.sleep(0.02)
        return int(self.proc.returncode)

    async def stop(self, timeout: float = 40.0) -> int:
        """SIGTERM (as Heroku does), wait for the exit, return the status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return await self.wait_exit(timeout)
        finally:
            await self.close_client()

    async def close_client(self) -> None:
        """Close the HTTP client session."""
        if self._session is not None:
            await self._session.close()

    async def kill(self) -> None:
        """Kill the process if it still runs (test teardown)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        await self.close_client()


async def _body(resp: aiohttp.ClientResponse) -> Any:
    return _decode(await resp.read())


def _decode(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def bot_env(
    *,
    port: int,
    secret: str | None,
    api_url: str | None,
    token: str | None,
    app_id: str | None,
    private_key: str | None,
    log_level: str,
    extra: Mapping[str, str | None] | None,
) -> dict[str, str]:
    """The server's environment: the caller's minus any GitHub settings, plus the test's."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("GITHUB_")
        and name not in {"PORT", "LOG_LEVEL", "QUEUE_URL", "REDIS_URL", "MEETING_TODO_BOT_PARENT"}
    }
    # `python` in the Procfile must be this venv's interpreter.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PORT"] = str(port)
    env["LOG_LEVEL"] = log_level
    env["PYTHONUNBUFFERED"] = "1"
    # Nothing may reach the real GitHub: by default point at a loopback port nobody serves.
    env["GITHUB_API_URL"] = api_url or f"http://127.0.0.1:{free_port()}"
    settings = {
        "GITHUB_WEBHOOK_SECRET": secret,
        "GITHUB_TOKEN": token,
        "GITHUB_APP_ID": app_id,
        "GITHUB_PRIVATE_KEY": private_key,
    }
    for name, value in {**settings, **(extra or {})}.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


async def start_bot(
    log_dir: Path,
    *,
    secret: str | None = DEFAULT_SECRET,
    api_url: str | None = None,
    token: str | None = "e2e-token",
    app_id: str | None = None,
    private_key: str | None = None,
    log_level: str = "INFO",
    env: Mapping[str, str | None] | None = None,
    wait: bool = True,
) -> BotProcess:
    """Start the Procfile's ``web`` command through a shell on a free port.

    With ``wait`` (the default) it returns once ``/health`` answers; without, at once
    (for tests of a refused start). ``env`` adds variables, or removes them with None.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    environment = bot_env(
        port=port,
        secret=secret,
        api_url=api_url,
        token=token,
        app_id=app_id,
        private_key=private_key,
        log_level=log_level,
        extra=env,
    )
    # Each server its own queue file, and no sweeps unless a test asks for them: a sweep's
    # requests would land in other tests' request logs.
    environment.setdefault("QUEUE_URL", f"sqlite:///{log_dir / 'queue.sqlite3'}")
    environment.setdefault("REDELIVERY_INTERVAL", "0")
    environment.setdefault("CATCH_UP_INTERVAL", "0")
    # A failed delivery is dead at once unless a test asks for retries: a retry ten seconds
    # later would land in another test.
    environment.setdefault("DELIVERY_RETRY_DELAYS", "none")
    stderr_path = log_dir / "bot.stderr.log"
    stdout_path = log_dir / "bot.stdout.log"
    with stderr_path.open("wb") as err, stdout_path.open("wb") as out:
        # `exec` so that the signal the test sends reaches the server, not the shell,
        # as on Procfile platforms that signal every process of the dyno.
        proc = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {procfile_command()}"],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=err,
        )
    bot = BotProcess(proc, port, secret or "", stderr_path, stdout_path)
    if wait:
        try:
            await bot.wait_ready()
        except BaseException:
            await bot.kill()
            raise
    return bot


StartBot = Callable[..., Awaitable[BotProcess]]


@pytest.fixture(name="bot_server")
async def bot_server_fixture(tmp_path: Path) -> AsyncIterator[StartBot]:
    """A function that starts the real server (see :func:`start_bot`); all are killed after."""
    started: list[BotProcess] = []

    async def start(**options: Any) -> BotProcess:
        bot = await start_bot(tmp_path / f"bot{len(started)}", **options)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        await bot.kill()
