"""What a route handler returns or raises, and GitHub's pagination."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

DOCS_URL = "https://docs.github.com/rest"

T = TypeVar("T")


@dataclass
class Reply:
    """A JSON (or raw text) answer: status, body and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None
    content_type: str = "application/json; charset=utf-8"
    #: The serialised body, computed once (for the ETag and the answer).
    encoded: bytes | None = None


class ApiError(Exception):
    """A GitHub error answer: ``{"message", "documentation_url"[, "errors"]}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        documentation_url: str = DOCS_URL,
    ) -> None:
        super().__init__(f"{status} {message}" + (f" {errors}" if errors else ""))
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = dict(headers or {})
        self.documentation_url = documentation_url

    def reply(self) -> Reply:
        """The answer GitHub would send for this error."""
        body: dict[str, Any] = {
            "message": self.message,
            "documentation_url": self.documentation_url,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        body["status"] = str(self.status)
        return Reply(self.status, body, dict(self.headers))


def not_found(message: str = "Not Found") -> ApiError:
    """GitHub's 404, also its answer for things a token may not see."""
    return ApiError(404, message)


def invalid(resource: str, field_name: str, code: str, **extra: Any) -> ApiError:
    """GitHub's 422 "Validation Failed" with one error entry."""
    entry: dict[str, Any] = {"resource": resource, "field": field_name, "code": code, **extra}
    return ApiError(422, "Validation Failed", errors=[entry])


def paginate(
    items: Sequence[T],
    query: Mapping[str, str],
    page_url: Callable[[int], str],
    *,
    default_per_page: int = 30,
    max_per_page: int = 100,
) -> tuple[list[T], dict[str, str]]:
    """One page of ``items`` and the ``Link`` header pointing at its neighbours."""
    per_page = min(max(int(query.get("per_page", default_per_page)), 1), max_per_page)
    page = max(int(query.get("page", 1)), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = list(items[(page - 1) * per_page : page * per_page])
    links: list[str] = []
    if page < last:
        links += [f'<{page_url(page + 1)}>; rel="next"', f'<{page_url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{page_url(1)}>; rel="first"', f'<{page_url(page - 1)}>; rel="prev"']
    return chunk, ({"Link": ", ".join(links)} if links else {})
