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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "session_last: run after every other test (it checks what the session did)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move ``session_last`` tests to the end, keeping the order of the others."""
    items.sort(key=lambda item: item.get_closest_marker("session_last") is not None)
