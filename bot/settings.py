"""Per-repository settings, read from ``.github/meeting-todo-bot.yml``.

Every key is optional; :class:`Settings` holds the documented defaults (docs/settings.md).
:func:`load_settings` turns the file's text into :class:`Settings` or raises
:class:`SettingsError` listing every problem for a person; :func:`is_notes_path` says
which files the settings call meeting notes.

Settings may come in layers (an organisation's defaults, the files named by ``_extends``, the
repository's own file): :func:`parse_settings_file` checks one file on its own, so every problem
names the file it is in, and :func:`merge_settings` lays the checked files over each other.
Finding and reading the files is I/O, in :mod:`bot.engine.settings_files`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal, get_args

import yaml

SETTINGS_PATH = ".github/meeting-todo-bot.yml"

#: Markdown files in a folder, or with a name, containing "meeting" or "minutes" (any case).
DEFAULT_NOTES_GLOBS: tuple[str, ...] = (
    "**/*meeting*/**/*.md",
    "**/*minutes*/**/*.md",
    "**/*meeting*.md",
    "**/*minutes*.md",
)
#: Templates carry placeholder action items; they are not meetings.
DEFAULT_EXCLUDE_GLOBS: tuple[str, ...] = ("**/*template*", "**/*template*/**")

RemovedItemPolicy = Literal["comment", "close", "ignore"]


def _empty_map() -> Mapping[str, str]:
    return MappingProxyType({})


def _empty_label_map() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Settings:
    """A repository's settings; the defaults are what a repository without the file gets."""

    notes: tuple[str, ...] = DEFAULT_NOTES_GLOBS
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE_GLOBS
    markers: tuple[str, ...] = ()
    action_headings: tuple[str, ...] = ()
    task_boxes_anywhere: bool = False
    labels: tuple[str, ...] = ("action-item",)
    section_labels: Mapping[str, tuple[str, ...]] = field(default_factory=_empty_label_map)
    people: Mapping[str, str] = field(default_factory=_empty_map)
    removed_items: RemovedItemPolicy = "comment"
    reopen_carried_over: bool = True
    max_new_issues_per_push: int = 20
    max_destructive_per_push: int = 10


DEFAULT_SETTINGS = Settings()

SETTING_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Settings))
REMOVED_ITEM_POLICIES: tuple[str, ...] = get_args(RemovedItemPolicy)
#: GitHub refuses longer label names.
MAX_LABEL_LENGTH = 50
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")

#: The key that names the file a settings file is laid over.
EXTENDS_KEY = "_extends"
#: Settings that are mappings: a file laid over another adds to them entry by entry (its own
#: entry winning) instead of replacing them, so an organisation's directory of people is not
#: lost when a repository adds one name.
MERGED_MAPPINGS = frozenset({"people", "section_labels"})
_EXTENDS = re.compile(
    r"(?:(?P<owner>[A-Za-z0-9][A-Za-z0-9-]{0,38})/)?(?P<repo>[A-Za-z0-9._-]{1,100})"
    r"(?::(?P<path>\S.*))?"
)

# libyaml parses a settings file about 25 times faster than the pure-Python parser; both build
# the same nodes, with the same marks, so line numbers and duplicate checks do not change.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SettingsError(Exception):
    """The settings file cannot be used; ``problems`` holds one line per problem, for a person."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- globs ---------------------------------------------------------------------------------


def glob_to_regex(pattern: str) -> str:
    """The regular expression (source) matching the paths that ``pattern`` matches.

    A pattern matches a whole POSIX path. ``**`` as a whole segment matches any number of
    folders, none included (at the end, or after a trailing ``/``: everything below);
    ``*`` matches within one segment, ``?`` one character of a segment, ``[abc]``/``[!abc]``
    a character class, ``\\x`` a literal ``x``. Raises ``ValueError`` on a class without
    its closing ``]``.
    """
    pattern = pattern.strip().removeprefix("./")
    if pattern.endswith("/"):
        pattern += "**"  # "docs/old/" names a folder: everything below it
    segments = [s for s in pattern.split("/") if s]
    if not segments:
        raise ValueError("the pattern is empty")
    parts: list[str] = []
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == "**":
            # "a/**/b" also matches "a/b", so the folder run carries its own slashes.
            parts.append("(?:[^/]+/)*" if index < last else "[^/]+(?:/[^/]+)*")
        else:
            parts.append(_segment_to_regex(segment) + ("/" if index < last else ""))
    return "".join(parts)


def _segment_to_regex(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1  # "a**b" is "a*b", as in .gitignore
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            start = i + 1
            if segment[start : start + 1] in ("!", "^"):
                start += 1
            if segment[start : start + 1] == "]":
                start += 1  # a "]" right after the opening is a member, not the end
            end = segment.find("]", start)
            if end == -1:
                raise ValueError("`[` has no closing `]`")
            body = segment[i + 1 : end]
            negate = body[:1] in ("!", "^")
            members = re.sub(r"([\\\[\]^])", r"\\\1", body[1:] if negate else body)
            out.append(f"[^/{members}]" if negate else f"[{members}]")
            i = end
        elif char == "\\" and i + 1 < len(segment):
            i += 1
            out.append(re.escape(segment[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@lru_cache(maxsize=64)
def compile_globs(globs: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive regex matching a path that any of ``globs`` matches."""
    if not globs:
        return re.compile(r"(?!)")  # matches nothing
    alternatives = "|".join(f"(?:{glob_to_regex(g)})" for g in globs)
    return re.compile(f"(?:{alternatives})", re.IGNORECASE)


def matches_globs(path: str, globs: tuple[str, ...]) -> bool:
    """True when the POSIX ``path`` matches one of ``globs`` (case-insensitive)."""
    return compile_globs(globs).fullmatch(_normalise_path(path)) is not None


def is_notes_path(path: str, settings: Settings) -> bool:
    """True when the repository-relative POSIX ``path`` is a notes file under ``settings``.

    It must match a ``notes`` glob, no ``exclude`` glob, and lie in no hidden folder
    (a name starting with a dot, like ``.github``): those hold templates and tooling.
    """
    clean = _normalise_path(path)
    if any(part.startswith(".") for part in clean.split("/")):
        return False
    return matches_globs(clean, settings.notes) and not matches_globs(clean, settings.exclude)


def _normalise_path(path: str) -> str:
    clean = path.replace("\\", "/")
    while clean.startswith("./"):
        clean = clean[2:]
    return clean.lstrip("/")


# --- loading -------------------------------------------------------------------------------


class _Problems:
    """Collects problems, each prefixed with the file (and the key's line when known)."""

    def __init__(self, source: str, key_lines: Mapping[tuple[str, str], int]) -> None:
        self.source = source
        self.key_lines = key_lines
        self.lines: list[str] = []

    def add(self, key: str, message: str, *, where: str = "", entry: object = "") -> None:
        """Record a problem with ``key`` (``entry``: the name in a mapping value, for its line)."""
        line = self.key_lines.get((key, str(entry))) or self.key_lines.get((key, ""))
        at = f"{self.source}: line {line}: " if line else f"{self.source}: "
        self.lines.append(f"{at}key `{key}`{where}: {message}")


@dataclass(frozen=True)
class Extends:
    """What ``_extends`` names: a file in a repository (``owner`` None: the same owner's)."""

    owner: str | None
    repo: str
    path: str
    #: The line of ``_extends`` in the file that names it (for messages).
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SettingsFile:
    """One settings file, checked on its own: the keys it sets, and what it is laid over."""

    source: str
    values: Mapping[str, Any] = field(default_factory=_empty_map)
    extends: Extends | None = None


def load_settings(text: str, source: str = SETTINGS_PATH) -> Settings:
    """Parse and validate a settings file's text; empty or blank text gives the defaults.

    ``source`` names the file in messages. Raises :class:`SettingsError` listing every
    problem found (broken YAML, a top level that is not a mapping, unknown keys, wrong types).
    The file is taken alone: an ``_extends`` in it is checked, not followed.
    """
    return merge_settings([parse_settings_file(text, source)])


def merge_settings(files: Iterable[SettingsFile]) -> Settings:
    """The settings of ``files`` laid over each other and over the defaults, lowest first.

    A key a file sets replaces the one below, except :data:`MERGED_MAPPINGS`, whose entries
    are added to those below (an entry of the same name replaced).
    """
    values: dict[str, Any] = {}
    for file in files:
        for key, value in file.values.items():
            below = values.get(key)
            if key in MERGED_MAPPINGS and below is not None:
                value = MappingProxyType({**below, **value})
            values[key] = value
    return Settings(**values) if values else DEFAULT_SETTINGS


def parse_settings_file(text: str, source: str = SETTINGS_PATH) -> SettingsFile:
    """Check one settings file's text; raises :class:`SettingsError` as :func:`load_settings`."""
    node, data = _parse_yaml(text, source)
    if data is None:
        return SettingsFile(source)
    if not isinstance(data, dict):
        raise SettingsError(
            [
                f"{source}: expected a mapping of settings (`key: value` lines) at the top level, "
                f"got {_describe(data)}"
            ]
        )
    key_lines = _key_lines(node)
    problems = _Problems(source, key_lines)
    problems.lines.extend(_duplicate_keys(node, source))
    values: dict[str, Any] = {}
    extends: Extends | None = None
    for key, value in data.items():
        if key == EXTENDS_KEY:
            if value is not None:
                extends = _check_extends(value, problems, key_lines.get((key, "")))
            continue
        if not isinstance(key, str):
            problems.lines.append(
                f"{source}: key `{key}`: expected a setting name, one of {_names(SETTING_KEYS)}"
            )
            continue
        if key not in _VALIDATORS:
            close = difflib.get_close_matches(key, SETTING_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            problems.add(key, f"unknown key{hint}; expected one of {_names(SETTING_KEYS)}")
            continue
        if value is None:
            continue  # `key:` with nothing after it keeps the default
        checked = _VALIDATORS[key](value, key, problems)
        if checked is not _INVALID:
            values[key] = checked
    if problems.lines:
        raise SettingsError(problems.lines)
    return SettingsFile(source, MappingProxyType(values), extends)


def _check_extends(value: Any, problems: _Problems, line: int | None) -> Extends | None:
    found = _EXTENDS.fullmatch(value.strip()) if isinstance(value, str) else None
    path = (found.group("path") or SETTINGS_PATH).strip().lstrip("/") if found else ""
    parts = path.split("/")
    if found is None or found.group("repo") in (".", "..") or not path or ".." in parts:
        problems.add(
            EXTENDS_KEY,
            "expected a repository to take settings from: `REPO` (same owner, same path), "
            f"`OWNER/REPO` or `OWNER/REPO:path/to/file.yml`, got {_describe(value)}",
        )
        return None
    return Extends(found.group("owner"), found.group("repo"), path, line)


def _parse_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    try:
        return _load_yaml(text, _FAST_LOADER)
    except yaml.YAMLError:
        pass
    # libyaml's messages leave out the character at fault ("found character that cannot
    # start any token"); the pure-Python parser names it, and errors are rare enough to
    # parse twice.
    try:
        return _load_yaml(text, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise SettingsError([_yaml_problem(exc, source)]) from exc
    except yaml.YAMLError as exc:
        raise SettingsError([f"{source}: not valid YAML: {exc}"]) from exc


def _load_yaml(text: str, loader_class: Any) -> tuple[yaml.Node | None, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def _yaml_problem(exc: yaml.MarkedYAMLError, source: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = exc.problem or exc.context or "cannot be parsed"
    message = f"{source}: {where}not valid YAML: {problem}"
    if "'@'" in problem or "'`'" in problem:
        message += ' (quote a value that starts with @ or `, like "@octocat")'
    elif "'\\t'" in problem:
        message += " (indent with spaces, not tabs)"
    return message


def _key_lines(node: yaml.Node | None) -> dict[tuple[str, str], int]:
    """The line of each top-level key, as (key, ""), and of each entry of a mapping value."""
    lines: dict[tuple[str, str], int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        lines.setdefault((str(key.value), ""), key.start_mark.line + 1)
        if isinstance(value, yaml.MappingNode):
            for entry, _ in value.value:
                if isinstance(entry, yaml.ScalarNode):
                    lines.setdefault((str(key.value), str(entry.value)), entry.start_mark.line + 1)
    return lines


def _duplicate_keys(node: yaml.Node | None, source: str) -> list[str]:
    """Keys written twice, at the top level or in a mapping value (YAML keeps the last)."""
    if not isinstance(node, yaml.MappingNode):
        return []
    problems: list[str] = []
    mappings: list[tuple[str, yaml.MappingNode]] = [("", node)]
    mappings += [
        (f"key `{k.value}`, ", v)
        for k, v in node.value
        if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.MappingNode)
    ]
    for prefix, mapping in mappings:
        seen: set[str] = set()
        for key, _ in mapping.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            if key.value in seen:
                line = key.start_mark.line + 1
                what = "entry" if prefix else "key"
                problems.append(
                    f"{source}: line {line}: {prefix}{what} `{key.value}` is written twice; "
                    "expected each once"
                )
            seen.add(key.value)
    return problems


# --- validators: each returns the checked value or _INVALID after adding a problem ----------

_INVALID: Any = object()
_Validator = Callable[[Any, str, _Problems], Any]
_TextCheck = Callable[[str], str | None]


def _check_text_list(
    value: Any,
    key: str,
    problems: _Problems,
    *,
    what: str,
    check: _TextCheck | None = None,
    at_least_one: str = "",
    where: str = "",
    entry: str = "",
) -> Any:
    """A list of one-line texts; a single text counts as a list of one."""
    single = isinstance(value, str)
    items = [value] if single else value
    if not isinstance(items, list):
        problems.add(
            key, f"expected a list of {what}, got {_describe(value)}", where=where, entry=entry
        )
        return _INVALID
    if at_least_one and not items:
        problems.add(key, f"expected at least one {at_least_one}, got an empty list")
        return _INVALID
    out: list[str] = []
    for number, item in enumerate(items, start=1):
        at = where if single else f"{where}, item {number}"
        text = item.strip() if isinstance(item, str) else ""
        problem = (
            f"expected one line of text, got {_describe(item)}"
            if not text or "\n" in text
            else (check(text) if check else None)
        )
        if problem:
            problems.add(key, problem, where=at, entry=entry)
        else:
            out.append(text)
    return tuple(out) if len(out) == len(items) else _INVALID


def _text_list(what: str, check: _TextCheck | None = None, *, at_least_one: str = "") -> _Validator:
    def validate(value: Any, key: str, problems: _Problems) -> Any:
        return _check_text_list(
            value, key, problems, what=what, check=check, at_least_one=at_least_one
        )

    return validate


@lru_cache(maxsize=256)  # the same few patterns come back in every file and every push
def _check_glob(pattern: str) -> str | None:
    try:
        re.compile(glob_to_regex(pattern))
    except (ValueError, re.error) as exc:
        return f"expected a glob pattern like `**/meetings/**/*.md`, got `{pattern}` ({exc})"
    return None


def _check_label(label: str) -> str | None:
    if len(label) > MAX_LABEL_LENGTH:
        return f"expected a label of at most {MAX_LABEL_LENGTH} characters, got {len(label)}"
    return None


def _validate_bool(value: Any, key: str, problems: _Problems) -> Any:
    if isinstance(value, bool):
        return value
    problems.add(key, f"expected true or false, got {_describe(value)}")
    return _INVALID


def _validate_count(value: Any, key: str, problems: _Problems) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    problems.add(key, f"expected a whole number, 0 or more, got {_describe(value)}")
    return _INVALID


def _validate_policy(value: Any, key: str, problems: _Problems) -> Any:
    if isinstance(value, str) and value.strip().lower() in REMOVED_ITEM_POLICIES:
        return value.strip().lower()
    problems.add(key, f"expected one of {_names(REMOVED_ITEM_POLICIES)}, got {_describe(value)}")
    return _INVALID


def _validate_section_labels(value: Any, key: str, problems: _Problems) -> Any:
    if not isinstance(value, dict):
        problems.add(
            key, f"expected a mapping from section heading to labels, got {_describe(value)}"
        )
        return _INVALID
    out: dict[str, tuple[str, ...]] = {}
    for heading, labels in value.items():
        if not isinstance(heading, str) or not heading.strip():
            problems.add(
                key, f"expected heading text (quote it), got {_describe(heading)}", entry=heading
            )
            continue
        where = f", heading `{heading.strip()}`"
        if labels is None:
            problems.add(key, "expected a list of labels, got nothing", where=where, entry=heading)
            continue
        checked = _check_text_list(
            labels, key, problems, what="labels", check=_check_label, where=where, entry=heading
        )
        if checked is not _INVALID:
            out[heading.strip()] = checked
    return MappingProxyType(out) if len(out) == len(value) else _INVALID


def _validate_people(value: Any, key: str, problems: _Problems) -> Any:
    if not isinstance(value, dict):
        problems.add(key, f"expected a mapping from name to GitHub login, got {_describe(value)}")
        return _INVALID
    out: dict[str, str] = {}
    for name, login in value.items():
        if not isinstance(name, str) or not name.strip():
            problems.add(
                key, f"expected a person's name (quote it), got {_describe(name)}", entry=name
            )
            continue
        handle = login.strip().removeprefix("@") if isinstance(login, str) else ""
        if not _LOGIN.fullmatch(handle):
            problems.add(
                key,
                f'expected a GitHub login like "@octocat", got {_describe(login)}',
                where=f", name `{name.strip()}`",
                entry=name,
            )
            continue
        out[name.strip()] = handle
    return MappingProxyType(out) if len(out) == len(value) else _INVALID


_VALIDATORS: dict[str, _Validator] = {
    "notes": _text_list("glob patterns", _check_glob),
    "exclude": _text_list("glob patterns", _check_glob),
    "markers": _text_list("marker words"),
    "action_headings": _text_list("heading texts"),
    "task_boxes_anywhere": _validate_bool,
    "labels": _text_list("labels", _check_label, at_least_one="label"),
    "section_labels": _validate_section_labels,
    "people": _validate_people,
    "removed_items": _validate_policy,
    "reopen_carried_over": _validate_bool,
    "max_new_issues_per_push": _validate_count,
    "max_destructive_per_push": _validate_count,
}


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _describe(value: Any) -> str:
    """A value as a person would recognise it in their file."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'"{shown}"' if shown.strip() else "empty text"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value}"  # dates and times YAML recognised
