"""Project-wide pytest fixtures. Feature-specific fixtures belong in their own test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_github import FakeGitHub
from fake_github.fixture import running_fake

pytest_plugins = ["pytester"]  # lets tests run an inner pytest session (fixture behaviour)


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A started fake GitHub; the test fails at teardown if the client broke the contract."""
    yield from running_fake()
