"""Per-repository settings, read from ``.github/meeting-todo-bot.yml``.

Every key is optional; :class:`Settings` holds the documented defaults.
(Loading and validation: ``load_settings``, to be written.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

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


DEFAULT_SETTINGS = Settings()
