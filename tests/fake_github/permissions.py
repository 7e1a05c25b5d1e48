"""What an installation token must have been granted to call each operation the fake serves.

GitHub's OpenAPI description does not say (its ``x-github`` extension only has
``enabledForGitHubApps``), so this is an explicit table written from GitHub's "Permissions
required for GitHub Apps" pages. A tuple lists alternatives: any one of them is enough (the
endpoints shared by issues and pull requests accept either permission). ``APP_JWT`` marks the
operations only the app itself may call, with its JWT.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path

from .replies import ApiError

APP_JWT = "app-jwt"
Need = tuple[tuple[str, str], ...]

_ISSUES_OR_PULLS_READ: Need = (("issues", "read"), ("pull_requests", "read"))
_ISSUES_OR_PULLS_WRITE: Need = (("issues", "write"), ("pull_requests", "write"))

#: operation id -> the permission alternatives an installation token needs.
REQUIRED: dict[str, Need | str] = {
    "apps/create-installation-access-token": APP_JWT,
    "apps/get-repo-installation": APP_JWT,
    "apps/list-webhook-deliveries": APP_JWT,
    "apps/redeliver-webhook-delivery": APP_JWT,
    "checks/create": (("checks", "write"),),
    "checks/update": (("checks", "write"),),
    "checks/list-for-ref": (("checks", "read"),),
    "git/get-blob": (("contents", "read"),),
    "git/get-tree": (("contents", "read"),),
    "issues/add-assignees": _ISSUES_OR_PULLS_WRITE,
    "issues/add-labels": _ISSUES_OR_PULLS_WRITE,
    "issues/check-user-can-be-assigned": _ISSUES_OR_PULLS_READ,
    "issues/create": (("issues", "write"),),
    "issues/create-comment": _ISSUES_OR_PULLS_WRITE,
    "issues/create-label": _ISSUES_OR_PULLS_WRITE,
    "issues/get": _ISSUES_OR_PULLS_READ,
    "issues/list-comments": _ISSUES_OR_PULLS_READ,
    "issues/list-for-repo": (("issues", "read"),),
    "issues/list-labels-for-repo": _ISSUES_OR_PULLS_READ,
    "issues/remove-assignees": _ISSUES_OR_PULLS_WRITE,
    "issues/remove-label": _ISSUES_OR_PULLS_WRITE,
    "issues/update": _ISSUES_OR_PULLS_WRITE,
    "issues/update-comment": _ISSUES_OR_PULLS_WRITE,
    "pulls/create-review-comment": (("pull_requests", "write"),),
    "pulls/get": (("pull_requests", "read"),),
    "pulls/list-files": (("pull_requests", "read"),),
    "reactions/create-for-issue-comment": _ISSUES_OR_PULLS_WRITE,
    "repos/compare-commits": (("contents", "read"),),
    # GitHub's table puts commit comments under Contents: posting one needs write access.
    "repos/create-commit-comment": (("contents", "write"),),
    "repos/get-collaborator-permission-level": (("metadata", "read"),),
    "repos/get-commit": (("contents", "read"),),
    "repos/get-content": (("contents", "read"),),
}

_LEVELS = {"read": 1, "write": 2, "admin": 3}
#: The app's manifest: what an installation is granted unless a test says otherwise.
MANIFEST = Path(__file__).resolve().parents[2] / "docs" / "app-manifest.json"


def default_permissions() -> dict[str, str]:
    """The manifest's ``default_permissions`` (a fresh copy each time)."""
    return dict(_manifest_permissions())


@functools.lru_cache(maxsize=1)
def _manifest_permissions() -> tuple[tuple[str, str], ...]:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return tuple(manifest["default_permissions"].items())


def allows(granted: Mapping[str, str], need: Need) -> bool:
    """Whether ``granted`` satisfies one of the alternatives in ``need``."""
    return any(_LEVELS.get(granted.get(name, ""), 0) >= _LEVELS[level] for name, level in need)


def check(operation_id: str, granted: Mapping[str, str], docs_url: str) -> None:
    """Raise GitHub's 403 when an installation token lacks the operation's permission."""
    need = REQUIRED.get(operation_id)
    if need is None:
        raise KeyError(f"no permission entry for {operation_id}: add it to REQUIRED")
    if need == APP_JWT or isinstance(need, str):
        return  # routed as "jwt": authentication already refused installation tokens
    if not allows(granted, need):
        raise ApiError(403, "Resource not accessible by integration", documentation_url=docs_url)


def narrowed(granted: Mapping[str, str], wanted: Mapping[str, str]) -> dict[str, str]:
    """The permissions of a token asked for with ``permissions`` (a subset of the grant)."""
    for name, level in wanted.items():
        if level not in _LEVELS or not allows(granted, ((name, level),)):
            raise ApiError(422, "The permissions requested are not granted to this installation.")
    return dict(wanted)
