"""GitHub's OpenAPI description: match requests to operations, check requests and replies.

The full description (``api.github.com.json``, 13 MB) is parsed once per process, on the first
request a fake checks, and each operation is prepared only when first used: tests start many
fakes and most of them touch a handful of the 1,200 operations. When the file is absent the fake
still serves every route but checks nothing against the description.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from .schema import resolve, validate

#: The shared corpus, relative to the project root.
SHARED_CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
#: GitHub's complete REST description: what the fake checks against.
DEFAULT_SPEC_PATH = SHARED_CORPUS / "github-openapi" / "api.github.com.json"
#: GitHub Enterprise Server 3.19's description: what the bot must also work against.
GHES_SPEC_PATH = SHARED_CORPUS / "github-openapi" / "ghes-3.19.json"


def default_spec_path() -> Path | None:
    """The shared description when it exists, else ``None`` (checks are then skipped)."""
    return DEFAULT_SPEC_PATH if DEFAULT_SPEC_PATH.is_file() else None


@dataclass(frozen=True)
class Parameter:
    """One declared path or query parameter."""

    name: str
    location: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Operation:
    """One documented operation: its identity, parameters, body schema and replies."""

    method: str
    template: str
    operation_id: str
    parameters: dict[str, Parameter]
    body_schema: Mapping[str, Any] | None
    body_required: bool
    responses: Mapping[str, Any]
    #: Where GitHub's error answers for this operation point (``documentation_url``).
    docs_url: str = "https://docs.github.com/rest"


class Spec:
    """A parsed description: the raw document (for ``$ref``) and its operations, prepared
    on first use."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._operations: dict[tuple[str, str], Operation | None] = {}
        self._patterns: list[tuple[re.Pattern[str], str]] | None = None
        self._lock = threading.Lock()

    def operation(self, method: str, template: str) -> Operation | None:
        """The documented operation for ``method template``, if the description has it."""
        key = (method.upper(), template)
        with self._lock:
            if key not in self._operations:
                self._operations[key] = _build_operation(self.document, *key)
            return self._operations[key]

    def operation_ids(self) -> dict[tuple[str, str], str]:
        """Every documented ``(method, template)`` and its operation id."""
        return {
            (method.upper(), template): op.get("operationId", f"{method} {template}")
            for template, item in self.document.get("paths", {}).items()
            for method, op in item.items()
            if method in _METHODS
        }

    def match(self, method: str, path: str) -> Operation | None:
        """The documented operation a request names (for requests the fake does not serve)."""
        with self._lock:
            if self._patterns is None:
                self._patterns = sorted(
                    (
                        (_template_regex(template), template)
                        for template in self.document.get("paths", {})
                    ),
                    # literal segments beat parameters: /issues/comments before /issues/{n}
                    key=lambda pair: (pair[1].count("{"), -len(pair[1])),
                )
            patterns = self._patterns
        for pattern, template in patterns:
            if pattern.fullmatch(path) and method.lower() in self.document["paths"][template]:
                return self.operation(method, template)
        return None

    def check_request(
        self,
        operation: Operation,
        path_params: Mapping[str, str],
        query: Mapping[str, str],
        body: Any,
        has_body: bool,
    ) -> list[str]:
        """Problems with a request: undeclared or ill-typed parameters, a body off-schema."""
        problems: list[str] = []
        for name, raw in path_params.items():
            param = operation.parameters.get(name)
            if param is not None:
                problems += _check_parameter(param, raw, self.document)
        for name, raw in query.items():
            param = operation.parameters.get(name)
            if param is None or param.location != "query":
                problems.append(f"query parameter {name!r} is not declared")
            else:
                problems += _check_parameter(param, raw, self.document)
        if operation.body_schema is None:
            if has_body and body not in (None, {}, ""):
                problems.append("a request body is sent but none is declared")
        elif not has_body:
            if operation.body_required:
                problems.append("the required request body is missing")
        else:
            problems += [
                f"body {error}"
                for error in validate(body, operation.body_schema, self.document, closed=True)
            ]
        return problems

    def check_response(self, operation: Operation, status: int, body: Any) -> list[str]:
        """Problems with one of the fake's own JSON replies against the documented shape."""
        reply = operation.responses.get(str(status))
        if reply is None:
            if 200 <= status < 300:
                return [f"status {status} is not documented"]
            return []  # errors such as 401/403/5xx can come from anywhere in front of GitHub
        reply = resolve(reply, self.document)
        content = reply.get("content", {}).get("application/json")
        if content is None or "schema" not in content or body is None:
            return []
        return [f"reply {error}" for error in validate(body, content["schema"], self.document)]


def _check_parameter(param: Parameter, raw: str, document: Mapping[str, Any]) -> list[str]:
    schema = resolve(param.schema, document)
    kind = schema.get("type", "string")
    value: Any = raw
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            return [f"parameter {param.name!r}={raw!r} is not an integer"]
        value = int(raw)
    elif kind == "boolean":
        if raw not in ("true", "false"):
            return [f"parameter {param.name!r}={raw!r} is not a boolean"]
        value = raw == "true"
    if schema.get("format") == "date-time" and not _is_timestamp(raw):
        return [f"parameter {param.name!r}={raw!r} is not an ISO 8601 timestamp"]
    return [f"parameter {error}" for error in validate(value, schema, document)]


def _is_timestamp(raw: str) -> bool:
    try:
        datetime.fromisoformat(raw)
    except ValueError:
        return False
    return True


_METHODS = frozenset({"get", "put", "post", "patch", "delete", "head", "options"})
_LOAD_LOCK = threading.Lock()


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    return re.compile(
        "".join(
            (".+" if part in ("{path}", "{ref}") else "[^/]+")
            if part.startswith("{")
            else re.escape(part)
            for part in parts
        )
    )


def _build_operation(document: Mapping[str, Any], method: str, template: str) -> Operation | None:
    item = document.get("paths", {}).get(template)
    if item is None or method.lower() not in item:
        return None
    op = item[method.lower()]
    params: dict[str, Parameter] = {}
    for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
        param = resolve(raw, document)
        params[param["name"]] = Parameter(
            param["name"], param["in"], param.get("schema", {"type": "string"})
        )
    body = op.get("requestBody")
    body_schema = None
    if body is not None:
        body = resolve(body, document)
        body_schema = body.get("content", {}).get("application/json", {}).get("schema")
    return Operation(
        method=method,
        template=template,
        operation_id=op.get("operationId", f"{method} {template}"),
        parameters=params,
        body_schema=body_schema,
        body_required=bool(body and body.get("required")),
        responses=op.get("responses", {}),
        docs_url=op.get("externalDocs", {}).get("url", "https://docs.github.com/rest"),
    )


def load_spec(path: Path) -> Spec:
    """Parse the description at ``path`` once per process (later fakes reuse the parse)."""
    with _LOAD_LOCK:  # fakes serve from their own threads: parse once, not once each
        return _parse(path)


@functools.lru_cache(maxsize=4)
def _parse(path: Path) -> Spec:
    return Spec(orjson.loads(path.read_bytes()))
