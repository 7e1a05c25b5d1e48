"""The shape of every payload field a feature reads, checked before any feature sees it.

A signature proves who sent a delivery, not that it makes sense: a correctly signed delivery
with an object for ``action``, a commit named ``main`` or a repository named ``../../x/y``
used to reach the handlers (a 500, GitHub writes, a refused request path with a traceback).
Each event the features handle declares here the fields they read, with the types GitHub's
webhook description gives them (``tests/test_payloads.py`` holds the two side by side);
a delivery that breaks one is refused at the edge, by its first problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True)
class Kind:
    """What one field must be: ``says`` completes "must be …" in a refusal."""

    says: str
    test: Callable[[Any], bool]
    #: ``null`` is allowed where GitHub sends it (and read as absent by the features).
    nullable: bool = False


def _is_int(value: Any) -> bool:
    # GitHub's ids and numbers are positive int64s; bool is an int to Python.
    return type(value) is int and 0 < value < 2**63


#: A git branch or ref name, as ``git check-ref-format`` allows it: no ``..``, no component
#: that starts with ``.``, no control characters and none of `` ~^:?*[\``.
_REF_FORBIDDEN = re.compile(r"\.\.|@\{|//|/\.|^\.|^/|/$|\.lock$|\.$|[\x00-\x20\x7f~^:?*\[\\]")
#: GitHub's owner names are letters, digits and single inner hyphens (up to 39); repository
#: names letters, digits, ``.``, ``-`` and ``_`` (up to 100), never ``.`` or ``..``.
_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
_REPO_NAME = re.compile(rf"{_OWNER}/(?!\.\.?$)[A-Za-z0-9._-]{{1,100}}")
_SHA = re.compile(r"[0-9a-f]{40}")


def _is_ref(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255 and not _REF_FORBIDDEN.search(value)


STRING: Final = Kind("a string", lambda v: isinstance(v, str))
TEXT: Final = Kind("a string or null", lambda v: isinstance(v, str), nullable=True)
ID: Final = Kind("a positive integer", _is_int)
BOOL: Final = Kind("true or false", lambda v: isinstance(v, bool))
MAYBE_BOOL: Final = Kind("true, false or null", lambda v: isinstance(v, bool), nullable=True)
OBJECT: Final = Kind("an object", lambda v: isinstance(v, dict))
MAYBE_OBJECT: Final = Kind("an object or null", lambda v: isinstance(v, dict), nullable=True)
LIST: Final = Kind("a list", lambda v: isinstance(v, list))
SHA: Final = Kind(
    "a 40-hex commit id", lambda v: isinstance(v, str) and _SHA.fullmatch(v) is not None
)
MAYBE_SHA: Final = Kind(SHA.says + " or null", SHA.test, nullable=True)
REF: Final = Kind("a git ref name", _is_ref)
REPOSITORY: Final = Kind(
    "OWNER/NAME", lambda v: isinstance(v, str) and _REPO_NAME.fullmatch(v) is not None
)

REQUIRED: Final = True
OPTIONAL: Final = False


@dataclass(frozen=True)
class Field:
    """``path`` is dotted; ``name[]`` walks every element of a list. A required field must be
    present (and not null unless its kind allows it) wherever its parent is present."""

    path: str
    kind: Kind
    required: bool = REQUIRED


_REPOSITORY: Final = (
    Field("repository", OBJECT),
    Field("repository.id", ID),
    Field("repository.full_name", REPOSITORY),
    Field("repository.default_branch", REF),
    Field("repository.master_branch", REF, OPTIONAL),
    Field("repository.html_url", STRING, OPTIONAL),
)
_INSTALLATION: Final = (
    Field("installation", OBJECT, OPTIONAL),
    Field("installation.id", ID),
)
_SENDER: Final = (
    Field("sender", OBJECT, OPTIONAL),
    Field("sender.login", STRING),
    Field("sender.type", STRING, OPTIONAL),
)
_ACTION: Final = (Field("action", STRING),)

#: Per event, every field the features read (see ``bot/*/router.py`` and ``preview/keep.py``).
SCHEMAS: Final[Mapping[str, tuple[Field, ...]]] = {
    "push": (
        *_REPOSITORY,
        *_INSTALLATION,
        *_SENDER,
        Field("ref", REF),
        Field("before", SHA),
        Field("after", SHA),
        Field("deleted", BOOL, OPTIONAL),
        Field("commits", LIST, OPTIONAL),
        Field("commits[]", OBJECT),
        Field("commits[].id", SHA),
        Field("commits[].message", STRING),
    ),
    "pull_request": (
        *_ACTION,
        *_REPOSITORY,
        *_INSTALLATION,
        *_SENDER,
        Field("number", ID, OPTIONAL),
        Field("changes", OBJECT, OPTIONAL),
        Field("pull_request", OBJECT),
        Field("pull_request.number", ID),
        Field("pull_request.state", STRING),
        Field("pull_request.merged", MAYBE_BOOL, OPTIONAL),
        Field("pull_request.merge_commit_sha", MAYBE_SHA, OPTIONAL),
        Field("pull_request.head", OBJECT),
        Field("pull_request.head.sha", SHA),
        Field("pull_request.base", OBJECT),
        Field("pull_request.base.ref", REF),
        Field("pull_request.base.sha", SHA),
    ),
    "issue_comment": (
        *_ACTION,
        *_REPOSITORY,
        *_INSTALLATION,
        *_SENDER,
        Field("comment", OBJECT),
        Field("comment.id", ID),
        Field("comment.body", STRING),
        Field("comment.user", MAYBE_OBJECT, OPTIONAL),
        Field("comment.user.login", STRING),
        Field("comment.user.type", STRING, OPTIONAL),
        Field("issue", OBJECT),
        Field("issue.number", ID),
        Field("issue.state", STRING, OPTIONAL),
        Field("issue.user", MAYBE_OBJECT, OPTIONAL),
        Field("issue.user.login", STRING, OPTIONAL),
        Field("issue.pull_request", OBJECT, OPTIONAL),
        Field("issue.pull_request.merged_at", TEXT, OPTIONAL),
    ),
    "installation": (
        *_ACTION,
        *_SENDER,
        Field("installation", OBJECT),
        Field("installation.id", ID),
        Field("installation.account", MAYBE_OBJECT, OPTIONAL),
        Field("installation.account.login", STRING, OPTIONAL),
        Field("repositories", LIST, OPTIONAL),
        Field("repositories[]", OBJECT),
        Field("repositories[].full_name", STRING),
    ),
    "installation_repositories": (
        *_ACTION,
        *_SENDER,
        Field("installation", OBJECT),
        Field("installation.id", ID),
        Field("installation.account", MAYBE_OBJECT, OPTIONAL),
        Field("installation.account.login", STRING, OPTIONAL),
        Field("repositories_added", LIST, OPTIONAL),
        Field("repositories_added[]", OBJECT),
        Field("repositories_added[].full_name", STRING),
        Field("repositories_removed", LIST, OPTIONAL),
        Field("repositories_removed[]", OBJECT),
        Field("repositories_removed[].full_name", STRING, OPTIONAL),
    ),
}


def action_problem(payload: Mapping[str, Any]) -> str | None:
    """Routing looks ``action`` up in a table: anything but a string (when present) is refused
    before it does, whatever the event."""
    action = payload.get("action")
    if action is None or isinstance(action, str):
        return None
    return "action must be a string"


def problem(event: str, payload: Mapping[str, Any]) -> str | None:
    """The first field of ``payload`` that is not what the features reading ``event`` expect,
    as a short sentence for the answer and the log; None when every field is fine (and for
    events no feature reads)."""
    found = action_problem(payload)
    if found is not None:
        return found
    for field in SCHEMAS.get(event, ()):
        for where, present, value in _walk(payload, field.path):
            if not present or value is None:
                if field.required and not (present and field.kind.nullable):
                    return f"{where} is missing"
            elif not field.kind.test(value):
                return f"{where} must be {field.kind.says}"
    return None


def _walk(payload: Mapping[str, Any], path: str) -> Iterator[tuple[str, bool, Any]]:
    """(where, present, value) for each place ``path`` names whose parent is present; a
    parent of the wrong type is reported by its own field, declared before its children."""
    places: list[tuple[str, Any]] = [("", payload)]
    parts = path.split(".")
    for depth, part in enumerate(parts):
        name, each = part.removesuffix("[]"), part.endswith("[]")
        last = depth == len(parts) - 1
        following: list[tuple[str, Any]] = []
        for where, parent in places:
            if not isinstance(parent, dict):
                continue
            here = f"{where}.{name}" if where else name
            present = name in parent
            value = parent.get(name)
            if each:
                if not isinstance(value, list):
                    continue
                items = [(f"{here}[{i}]", item) for i, item in enumerate(value)]
                if last:
                    yield from ((w, True, item) for w, item in items)
                else:
                    following.extend(items)
            elif last:
                yield here, present, value
            elif present and value is not None:
                following.append((here, value))
        places = following
