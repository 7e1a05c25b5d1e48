"""A validator for the subset of OpenAPI 3.0 schemas that GitHub's description uses.

Supported keywords: ``type``, ``properties``, ``required``, ``items``, ``enum``, ``nullable``,
``oneOf``/``anyOf``/``allOf``, ``additionalProperties``, ``minItems``/``maxItems``,
``minLength``/``maxLength``, ``minimum``/``maximum`` and ``$ref`` into the same document.
Formats and discriminators are ignored (GitHub's payloads do not need them to be told apart).

``closed=True`` treats every object schema that declares ``properties`` as if it also said
``additionalProperties: false``. GitHub ignores unknown request fields, so a misspelt field
would be dropped without a word; the fake checks requests closed to catch that bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Schema = Mapping[str, Any]

_MAX_ERRORS = 12

_TYPE_CHECKS: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


def resolve(schema: Schema, document: Mapping[str, Any]) -> Schema:
    """Follow ``$ref`` pointers (``#/a/b/c``) until a schema without one is reached."""
    seen = 0
    while "$ref" in schema:
        ref = str(schema["$ref"])
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref are supported, not {ref}")
        node: Any = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = node
        seen += 1
        if seen > 64:
            raise ValueError(f"$ref loop at {ref}")
    return schema


def validate(
    instance: Any, schema: Schema, document: Mapping[str, Any], *, closed: bool = False
) -> list[str]:
    """Return the ways ``instance`` breaks ``schema`` (empty when it conforms)."""
    errors: list[str] = []
    _check(instance, schema, document, "$", closed, errors)
    return errors[:_MAX_ERRORS]


def _check(
    value: Any, schema: Schema, doc: Mapping[str, Any], at: str, closed: bool, errors: list[str]
) -> None:
    schema = resolve(schema, doc)
    if value is None and schema.get("nullable"):
        return
    for sub in schema.get("allOf", ()):
        _check(value, sub, doc, at, False, errors)
    if "oneOf" in schema or "anyOf" in schema:
        _check_alternatives(value, schema, doc, at, closed, errors)
    kind = schema.get("type")
    if kind is not None:
        if not _TYPE_CHECKS[kind](value):
            errors.append(f"{at}: expected {kind}, got {_describe(value)}")
            return
    elif value is None and _declares_shape(schema, doc):
        errors.append(f"{at}: null is not allowed")
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        _check_object(value, schema, doc, at, closed, errors)
    elif isinstance(value, list):
        _check_array(value, schema, doc, at, closed, errors)
    elif isinstance(value, str):
        _check_bounds(len(value), schema, "minLength", "maxLength", at, "length", errors)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _check_bounds(value, schema, "minimum", "maximum", at, "value", errors)


def _check_alternatives(
    value: Any, schema: Schema, doc: Mapping[str, Any], at: str, closed: bool, errors: list[str]
) -> None:
    keyword = "oneOf" if "oneOf" in schema else "anyOf"
    failures: list[list[str]] = []
    for option in schema[keyword]:
        option_errors: list[str] = []
        _check(value, option, doc, at, closed, option_errors)
        failures.append(option_errors)
    matches = sum(1 for failure in failures if not failure)
    if keyword == "oneOf" and matches > 1:
        errors.append(f"{at}: matches {matches} oneOf alternatives, expected exactly one")
    elif matches == 0:
        nearest = min(failures, key=len)
        errors.append(f"{at}: matches no {keyword} alternative (nearest: {'; '.join(nearest)})")


def _check_object(
    value: dict[str, Any],
    schema: Schema,
    doc: Mapping[str, Any],
    at: str,
    closed: bool,
    errors: list[str],
) -> None:
    for name in schema.get("required", ()):
        if name not in value:
            errors.append(f"{at}: missing required property {name!r}")
    properties: Mapping[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", None)
    declared = _declared_properties(schema, doc)
    for name, item in value.items():
        if name in properties:
            _check(item, properties[name], doc, f"{at}.{name}", closed, errors)
        elif isinstance(extra, dict):
            _check(item, extra, doc, f"{at}.{name}", closed, errors)
        elif name in declared:
            continue  # checked through the allOf part that declares it
        elif extra is False or (closed and declared and extra is None):
            errors.append(f"{at}: unknown property {name!r}")


def _check_array(
    value: list[Any],
    schema: Schema,
    doc: Mapping[str, Any],
    at: str,
    closed: bool,
    errors: list[str],
) -> None:
    _check_bounds(len(value), schema, "minItems", "maxItems", at, "item count", errors)
    if "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], doc, f"{at}[{index}]", closed, errors)


def _check_bounds(
    amount: float, schema: Schema, low: str, high: str, at: str, what: str, errors: list[str]
) -> None:
    if low in schema and amount < schema[low]:
        errors.append(f"{at}: {what} {amount} is below {low} {schema[low]}")
    if high in schema and amount > schema[high]:
        errors.append(f"{at}: {what} {amount} is above {high} {schema[high]}")


def _declared_properties(schema: Schema, doc: Mapping[str, Any]) -> set[str]:
    names = set(schema.get("properties", {}))
    for sub in schema.get("allOf", ()):
        names |= _declared_properties(resolve(sub, doc), doc)
    return names


def _declares_shape(schema: Schema, doc: Mapping[str, Any]) -> bool:
    """True when the schema constrains values at all (a bare ``{}`` accepts null)."""
    return any(key in schema for key in ("properties", "items", "enum", "allOf"))


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}"
