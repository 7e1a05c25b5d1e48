"""The body of the ``fake_github`` pytest fixture, importable by other conftests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .server import SHARED_SPEC, FakeGitHub


def violation_report(violations: list[str]) -> str:
    """The teardown failure message listing every recorded violation."""
    lines = "\n".join(f"  - {violation}" for violation in violations)
    return (
        f"the client broke GitHub's contract {len(violations)} time(s):\n{lines}\n"
        "(a test that provokes violations on purpose calls fake.clear_violations())"
    )


def running_fake(
    openapi_path: Path | None = SHARED_SPEC, *, strict_headers: bool = True
) -> Iterator[FakeGitHub]:
    """Serve a fake for one test; fail the test at teardown if any violation was recorded.

    ``strict_headers``: a request without GitHub's media type and API version is a violation
    (on by default: the bot is the client; tests of the fake itself send what they like).
    """
    with FakeGitHub(openapi_path) as fake:
        fake.strict_headers = strict_headers
        yield fake
    if fake.violations:
        pytest.fail(violation_report(fake.violations), pytrace=False)
