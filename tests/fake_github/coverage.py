"""Which operations the fakes of this test session served, and to whom: every fake adds to
one process-wide record, so a test (or a session hook) can check them against another
description such as GitHub Enterprise Server 3.19's."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from .openapi import GHES_SPEC_PATH, load_spec

#: operation id -> the ``User-Agent`` values of the clients it was served to.
SERVED: dict[str, set[str]] = {}
#: ``(method, template)`` of each operation id recorded in :data:`SERVED`.
TEMPLATES: dict[str, tuple[str, str]] = {}
_LOCK = threading.Lock()


def record(operation_id: str, method: str, template: str, user_agent: str) -> None:
    """Note that a fake served ``operation_id`` to a client calling itself ``user_agent``."""
    with _LOCK:
        SERVED.setdefault(operation_id, set()).add(user_agent)
        TEMPLATES[operation_id] = (method, template)


def served_to(user_agent_prefix: str) -> dict[str, tuple[str, str]]:
    """The operations served to clients whose ``User-Agent`` starts with the prefix."""
    with _LOCK:
        return {
            op: TEMPLATES[op]
            for op, agents in SERVED.items()
            if any(agent.startswith(user_agent_prefix) for agent in agents)
        }


def missing_from(
    operations: Iterable[tuple[str, str]], description: Path = GHES_SPEC_PATH
) -> list[tuple[str, str]]:
    """The ``(method, template)`` pairs a description (default: GHES 3.19) does not have."""
    spec = load_spec(description)
    return sorted(
        (method, template)
        for method, template in operations
        if spec.operation(method, template) is None
    )
