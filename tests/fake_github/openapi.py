"""GitHub's OpenAPI description, trimmed to what the fake needs: match, check requests and replies.

The description is parsed once per process (tests start many fakes). When the file is absent
the fake still serves every route but checks nothing against the description.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .schema import resolve, validate

#: Where the shared corpus keeps the description, relative to the project root.
DEFAULT_SPEC_PATH = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "github-openapi-subset.json"
)


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


@dataclass(frozen=True)
class Spec:
    """A parsed description: the raw document (for ``$ref``) and its operations by route."""

    document: Mapping[str, Any]
    operations: dict[tuple[str, str], Operation] = field(default_factory=dict)

    def operation(self, method: str, template: str) -> Operation | None:
        """The documented operation for a route of the fake, if the description has it."""
        return self.operations.get((method.upper(), template))

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


@functools.lru_cache(maxsize=4)
def load_spec(path: Path) -> Spec:
    """Parse the description at ``path`` (cached: later fakes reuse the first parse)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    spec = Spec(document=document)
    for template, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method == "parameters":
                continue
            params: dict[str, Parameter] = {}
            for raw in [*shared, *op.get("parameters", [])]:
                param = resolve(raw, document)
                params[param["name"]] = Parameter(
                    param["name"], param["in"], param.get("schema", {"type": "string"})
                )
            body = op.get("requestBody")
            body_schema = None
            if body is not None:
                body = resolve(body, document)
                json_body = body.get("content", {}).get("application/json", {})
                body_schema = json_body.get("schema")
            spec.operations[(method.upper(), template)] = Operation(
                method=method.upper(),
                template=template,
                operation_id=op.get("operationId", f"{method} {template}"),
                parameters=params,
                body_schema=body_schema,
                body_required=bool(body and body.get("required")),
                responses=op.get("responses", {}),
            )
    return spec
