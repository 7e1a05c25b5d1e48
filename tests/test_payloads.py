"""The per-event payload schemas: what they refuse, and that they agree with GitHub's webhook
description (../shared/corpus/github-openapi/webhooks.api.github.com.json, when present)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.web.payloads import (
    BOOL,
    ID,
    LIST,
    MAYBE_BOOL,
    MAYBE_OBJECT,
    OBJECT,
    SCHEMAS,
    Field,
    Kind,
    problem,
)

DESCRIPTION = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "corpus"
    / "github-openapi"
    / "webhooks.api.github.com.json"
)
#: The webhooks of the description whose deliveries the features act on.
HANDLED = {
    "push": ["push"],
    "pull_request": [
        f"pull-request-{a}" for a in ("opened", "reopened", "synchronize", "edited", "closed")
    ],
    "issue_comment": ["issue-comment-created"],
    "installation": [
        f"installation-{a}"
        for a in ("created", "deleted", "new-permissions-accepted", "suspend", "unsuspend")
    ],
    "installation_repositories": [
        "installation-repositories-added",
        "installation-repositories-removed",
    ],
}
SHA = "a" * 40


def push() -> dict[str, Any]:
    return {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": SHA,
        "commits": [{"id": SHA, "message": "Notes"}],
        "repository": {"id": 1, "full_name": "acme/notes", "default_branch": "main"},
        "installation": {"id": 7},
        "sender": {"login": "alice", "type": "User"},
    }


def test_a_well_formed_push_has_no_problem() -> None:
    assert problem("push", push()) is None
    assert problem("star", {"anything": [1, {"goes": None}]}) is None


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("acme/notes", True),
        ("a-b/c.d_e-f", True),
        ("acme/.github", True),
        ("acme/..", False),
        ("acme/.", False),
        ("../../x/y", False),
        ("acme/notes/extra", False),
        ("-acme/notes", False),
        ("ac--me/notes", False),
        ("acme/no tes", False),
        ("acme/notes%2F..", False),
        ("a" * 40 + "/notes", False),
        ("acme/" + "n" * 101, False),
    ],
)
def test_repository_names_are_owner_slash_name(name: str, ok: bool) -> None:
    payload = push()
    payload["repository"]["full_name"] = name
    assert (problem("push", payload) is None) is ok


@pytest.mark.parametrize(
    ("branch", "ok"),
    [
        ("main", True),
        ("release/2024.05", True),
        ("../../main", False),
        ("a/../b", False),
        (".hidden", False),
        ("main.lock", False),
        ("ma in", False),
        ("main\n", False),
        ("a@{1}", False),
        ("", False),
    ],
)
def test_branches_follow_gits_ref_rules(branch: str, ok: bool) -> None:
    payload = push()
    payload["repository"]["default_branch"] = branch
    assert (problem("push", payload) is None) is ok


@pytest.mark.parametrize(
    ("place", "value", "says"),
    [
        (("action",), {"opened": True}, "action must be a string"),
        (("before",), "../../../../etc", "before must be a 40-hex commit id"),
        (("after",), SHA.upper(), "after must be a 40-hex commit id"),
        (("commits", 0, "id"), 1, "commits[0].id must be a 40-hex commit id"),
        (("commits", 0), "x", "commits[0] must be an object"),
        (("repository", "id"), True, "repository.id must be a positive integer"),
        (("repository", "id"), 2**63, "repository.id must be a positive integer"),
        (("installation", "id"), None, "installation.id is missing"),
        (("repository",), None, "repository is missing"),
        (("sender", "login"), ["alice"], "sender.login must be a string"),
    ],
)
def test_the_first_problem_is_named(place: tuple[Any, ...], value: Any, says: str) -> None:
    payload: Any = push()
    target = payload
    for step in place[:-1]:
        target = target[step]
    target[place[-1]] = value
    assert problem("push", payload) == says


def test_an_optional_parent_may_be_absent_but_not_malformed() -> None:
    payload = push()
    del payload["installation"]
    assert problem("push", payload) is None
    payload["installation"] = "7"
    assert problem("push", payload) == "installation must be an object"


# -- against GitHub's description ---------------------------------------------------------


@functools.cache
def _described() -> Described | None:
    if not DESCRIPTION.is_file():
        return None
    return Described(json.loads(DESCRIPTION.read_text()))


class Described:
    """Schemas of the description, with ``$ref``, ``allOf`` and ``anyOf``/``oneOf`` unfolded."""

    def __init__(self, description: dict[str, Any]) -> None:
        self.components: dict[str, Any] = description["components"]["schemas"]
        self.webhooks: dict[str, Any] = description["webhooks"]

    def body(self, webhook: str) -> dict[str, Any]:
        content = self.webhooks[webhook]["post"]["requestBody"]["content"]
        schema: dict[str, Any] = content["application/json"]["schema"]
        return schema

    def alternatives(self, schema: dict[str, Any]) -> list[dict[str, Any]]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return [alt for option in schema[key] for alt in self.alternatives(option)]
        if "allOf" in schema:
            merged: dict[str, Any] = {"properties": {}, "required": []}
            for part in schema["allOf"]:
                for alt in self.alternatives(part):
                    merged["properties"].update(alt.get("properties", {}))
                    merged["required"] += alt.get("required", [])
                    merged.update({k: alt[k] for k in ("type", "nullable") if k in alt})
            return [merged]
        return [schema]

    def places(self, schema: dict[str, Any], path: str) -> Iterator[tuple[dict[str, Any], bool]]:
        """(schema, required in its parent) for each place ``path`` can name."""
        steps: list[str] = []
        for part in path.split("."):
            steps += [part[:-2], "[]"] if part.endswith("[]") else [part]
        current = [(schema, True)]
        for step in steps:
            following = []
            for here, _ in current:
                for alt in self.alternatives(here):
                    if step == "[]" and "items" in alt:
                        following.append((alt["items"], True))
                    elif step in alt.get("properties", {}):
                        following.append((alt["properties"][step], step in alt.get("required", [])))
            current = following
        yield from current

    def types(self, schema: dict[str, Any]) -> set[str]:
        found: set[str] = set()
        for alt in self.alternatives(schema):
            kind = alt.get("type")
            found |= set(kind) if isinstance(kind, list) else {kind} if kind else set()
            if "type" not in alt and "properties" in alt:
                found.add("object")
            if alt.get("nullable") or None in alt.get("enum", ()):
                found.add("null")
        return found


def json_type(kind: Kind) -> str:
    if kind is ID:
        return "integer"
    if kind in (BOOL, MAYBE_BOOL):
        return "boolean"
    if kind in (OBJECT, MAYBE_OBJECT):
        return "object"
    if kind is LIST:
        return "array"
    return "string"


def fields() -> list[tuple[str, Field]]:
    return [(event, field) for event, declared in SCHEMAS.items() for field in declared]


def test_every_event_the_features_handle_has_a_schema() -> None:
    from bot.features import router

    routed = {event for event in router._shallow_routes} | set(router._deep_routes)
    assert routed - set(SCHEMAS) == {"meeting_todo_bot_catch_up"}
    assert set(HANDLED) == set(SCHEMAS)


@pytest.mark.parametrize(("event", "field"), fields(), ids=lambda v: getattr(v, "path", v))
def test_each_field_agrees_with_githubs_description(event: str, field: Field) -> None:
    """Where GitHub describes the field (every handled webhook that has it), it has the type
    the schema checks; the schema requires it only where GitHub always sends it, and accepts
    null wherever GitHub may send null for it."""
    described = _described()
    if described is None:
        pytest.skip(f"shared corpus absent: {DESCRIPTION}")
    seen = 0
    for webhook in HANDLED[event]:
        for schema, required in described.places(described.body(webhook), field.path):
            seen += 1
            types = described.types(schema)
            assert types - {"null"} <= {json_type(field.kind)}, (webhook, types)
            if field.required:
                assert required, f"{webhook} does not always send {field.path}"
                assert "null" not in types or field.kind.nullable, (webhook, types)
    assert seen, f"no handled webhook of {event} describes {field.path}"
