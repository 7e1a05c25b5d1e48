"""The ``Dockerfile``: what it promises (docs/deploy.md), and, where a Docker engine answers,
an image that builds and serves as a non-root user."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    joined = DOCKERFILE.read_text().replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_the_image_is_python_3_11_slim_as_a_non_root_user_serving() -> None:
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    users = [args for word, args in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    commands = [args for word, args in steps if word == "CMD"]
    assert commands and json.loads(commands[-1]) == ["python", "-m", "bot", "serve"]
    assert any(word == "RUN" and "pip install" in args for word, args in steps)


def test_the_build_context_leaves_out_what_the_image_does_not_need() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored  # everything is out unless named: no .git, .venv, tests, secrets
    kept = {line[1:].rstrip("/") for line in ignored if line.startswith("!")}
    copied = {
        Path(part).name
        for word, args in instructions()
        if word == "COPY"
        for part in args.split()[:-1]
    }
    assert copied <= kept, copied - kept


def docker_engine() -> str | None:
    """The docker client when an engine answers it, else None (the build test skips)."""
    docker = shutil.which("docker")
    if docker is None:
        return None
    try:
        answer = subprocess.run([docker, "info"], capture_output=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return None
    return docker if answer.returncode == 0 else None


def test_the_image_builds_and_runs_as_a_non_root_user() -> None:
    docker = docker_engine()
    if docker is None:
        pytest.skip("no Docker engine answers `docker info`")
    tag = f"meeting-todo-bot-test:{uuid.uuid4().hex[:12]}"
    subprocess.run([docker, "build", "-t", tag, str(ROOT)], check=True, timeout=900)
    try:
        probe = subprocess.run(
            [
                docker,
                "run",
                "--rm",
                tag,
                "python",
                "-c",
                "import os, yaml, bot; print(os.getuid(), yaml.__with_libyaml__)",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        uid, libyaml = probe.stdout.split()
        assert uid != "0"
        assert libyaml == "True"
        # The default command: without a webhook secret the server refuses, with its one line.
        served = subprocess.run(
            [docker, "run", "--rm", tag], capture_output=True, text=True, timeout=120
        )
        assert served.returncode == 2
        assert "GITHUB_WEBHOOK_SECRET is not set" in served.stderr
    finally:
        subprocess.run([docker, "rmi", "-f", tag], capture_output=True, check=False)
