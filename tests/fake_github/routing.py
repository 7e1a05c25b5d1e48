"""Route table: the documented path templates the fake serves, matched against raw paths."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .replies import Reply

if TYPE_CHECKING:
    from .accounts import Actor, User
    from .repo import FakeRepo
    from .server import FakeGitHub

#: Parameters that may span several path segments (``x-multi-segment`` in GitHub's description).
MULTI_SEGMENT = frozenset({"path", "ref", "commit_sha"})
#: Parameters GitHub declares as integers: matching only digits keeps ``/issues/comments/1``
#: from being read as issue number "comments".
INTEGER_PARAMS = frozenset(
    {"issue_number", "comment_id", "installation_id", "pull_number", "check_run_id", "delivery_id"}
)


@dataclass
class Context:
    """Everything a handler needs about one authenticated request."""

    fake: FakeGitHub
    actor: Actor
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    path: str
    repo: FakeRepo | None = None

    @property
    def the_repo(self) -> FakeRepo:
        """The repository named in the path (routes under ``/repos`` always have one)."""
        assert self.repo is not None
        return self.repo

    def number(self, name: str) -> int:
        """An integer path parameter."""
        return int(self.params[name])

    def actor_user(self) -> User:
        """The account the caller acts as (the app's bot for installation tokens)."""
        return self.fake.accounts.ensure_user(
            self.actor.login, type="Bot" if self.actor.kind != "user" else "User"
        )

    def page_url(self, page: int) -> str:
        """This request's address with ``page`` replaced (for ``Link`` headers)."""
        from urllib.parse import urlencode

        return f"{self.fake.url}{self.path}?{urlencode({**self.query, 'page': str(page)})}"


Handler = Callable[[Context], Reply]


@dataclass
class Route:
    """One operation: method, documented template, handler and how callers authenticate."""

    method: str
    template: str
    handler: Handler
    auth: str = "token"  # "token" (installation or personal) or "jwt" (the app itself)
    #: GitHub's operation id (permissions are looked up by it; tests check it against the
    #: description, so it also names the operation when the description is absent).
    operation_id: str = ""
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.pattern = compile_template(self.template)

    def match(self, method: str, raw_path: str) -> dict[str, str] | None:
        """The decoded path parameters when this route serves the request."""
        if method.upper() != self.method:
            return None
        found = self.pattern.fullmatch(raw_path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}


def compile_template(template: str) -> re.Pattern[str]:
    """A regex for a template such as ``/repos/{owner}/{repo}/compare/{base}...{head}``."""
    parts: list[str] = []
    position = 0
    for found in re.finditer(r"\{(\w+)\}", template):
        parts.append(re.escape(template[position : found.start()]))
        name = found.group(1)
        if name in INTEGER_PARAMS:
            parts.append(rf"(?P<{name}>\d+)")
        elif name in MULTI_SEGMENT:
            parts.append(rf"(?P<{name}>.*)")
        elif name in ("base", "head"):
            parts.append(rf"(?P<{name}>.+?)")
        else:
            parts.append(rf"(?P<{name}>[^/]+)")
        position = found.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts))


def find_route(
    routes: list[Route], method: str, raw_path: str
) -> tuple[Route, dict[str, str]] | None:
    """The first route serving ``method raw_path`` and its parameters."""
    for route in routes:
        params = route.match(method, raw_path)
        if params is not None:
            return route, params
    return None
