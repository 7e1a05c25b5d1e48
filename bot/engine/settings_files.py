"""Finding and reading the settings files of a repository: its own, the ones its ``_extends``
name, and its owner's defaults in the owner's ``.github`` repository.

The layers, lowest first (docs/settings.md, "Settings for a whole organisation"):

1. the built-in defaults;
2. ``OWNER/.github:.github/meeting-todo-bot.yml`` at that repository's default branch, and the
   files its ``_extends`` chain names below it;
3. the repository's own ``.github/meeting-todo-bot.yml`` at the commit being handled, and the
   files its ``_extends`` chain names below it.

Checking and merging the files is pure (:mod:`bot.settings`); this module only reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NoReturn

from bot.github import GitHubClient, api
from bot.github.client import GitHubError
from bot.settings import (
    EXTENDS_KEY,
    SETTINGS_PATH,
    Extends,
    Settings,
    SettingsError,
    SettingsFile,
    merge_settings,
    parse_settings_file,
)

log = logging.getLogger(__name__)

#: The repository whose settings file gives every repository of its owner their defaults.
DEFAULTS_REPO = ".github"
#: How many ``_extends`` one chain follows: enough to layer a team's file over a shared one,
#: few enough that a mistake costs a handful of reads.
MAX_EXTENDS_DEPTH = 3

# Owners whose defaults could not be read, already logged: a 404 on every push is normal for
# an owner without the file, and one line per process says enough.
_logged_owners: set[str] = set()
_MAX_LOGGED_OWNERS = 10_000


@dataclass(frozen=True)
class _Location:
    """A settings file: which repository, which path, at which commit (None: default branch)."""

    repo: str
    path: str
    ref: str | None
    #: How messages name it.
    source: str

    @property
    def key(self) -> tuple[str, str]:
        return self.repo.lower(), self.path


_Chain = list[tuple[_Location, SettingsFile]]


async def load_settings_layers(gh: GitHubClient, repo: str, ref: str) -> Settings:
    """The settings of ``repo`` at ``ref``: its own file over its owner's defaults.

    Raises :class:`SettingsError` when a file that exists is wrong, or an ``_extends`` names a
    file that cannot be read, goes round in a circle or goes deeper than
    :data:`MAX_EXTENDS_DEPTH`; each problem names its file.
    """
    own = _Location(repo, SETTINGS_PATH, ref, SETTINGS_PATH)
    chain = await _follow(gh, own, await api.read_file(gh, repo, SETTINGS_PATH, ref), repo, ref)
    owner = repo.partition("/")[0]
    defaults_repo = f"{owner}/{DEFAULTS_REPO}"
    defaults = _Location(defaults_repo, SETTINGS_PATH, None, f"{defaults_repo}:{SETTINGS_PATH}")
    # The .github repository's own file is its defaults (read at the commit handled); a chain
    # that names the defaults already has them.
    if all(location.key != defaults.key for location, _ in chain):
        text = await _read_defaults(gh, defaults)
        chain += await _follow(gh, defaults, text, repo, ref)
    return merge_settings(file for _, file in reversed(chain))


async def _read_defaults(gh: GitHubClient, defaults: _Location) -> str | None:
    try:
        text = await api.read_file_on_default_branch(gh, defaults.repo, defaults.path)
    except GitHubError as exc:
        if exc.status != 403:
            raise
        _log_once(
            defaults,
            logging.WARNING,
            "%s is not readable (403): no defaults taken from it; the app's installation "
            "must include %s",
        )
        return None
    if text is None:
        _log_once(
            defaults,
            logging.INFO,
            "%s: no defaults there (absent, or the app's installation does not include %s)",
        )
    return text


def _log_once(defaults: _Location, level: int, message: str) -> None:
    owner = defaults.repo.lower()
    if owner in _logged_owners:
        return
    if len(_logged_owners) >= _MAX_LOGGED_OWNERS:
        _logged_owners.clear()
    _logged_owners.add(owner)
    log.log(level, message, defaults.source, defaults.repo)


async def _follow(
    gh: GitHubClient, start: _Location, text: str | None, home: str, home_ref: str
) -> _Chain:
    """``start`` (whose text was read; None: absent) and the files its ``_extends`` name,
    highest first."""
    if text is None:
        return []
    chain: _Chain = [(start, parse_settings_file(text, start.source))]
    while True:
        named_by, file = chain[-1]
        if file.extends is None:
            return chain
        base = _resolve(file.extends, named_by, home, home_ref)
        sources = [location.source for location, _ in chain] + [base.source]
        if any(location.key == base.key for location, _ in chain):
            _refuse(
                named_by,
                file.extends,
                f"{base.source} is already in the chain, which "
                f"would never end: {' → '.join(sources)}",
            )
        if len(chain) > MAX_EXTENDS_DEPTH:
            _refuse(
                named_by,
                file.extends,
                f"expected at most {MAX_EXTENDS_DEPTH} `{EXTENDS_KEY}` in a row, got a longer "
                f"chain: {' → '.join(sources)}",
            )
        base_text = await _read_base(gh, base)
        if base_text is None:
            _refuse(
                named_by,
                file.extends,
                f"{base.source} does not exist, or the app cannot read it (its installation "
                f"must include {base.repo})",
            )
        chain.append((base, parse_settings_file(base_text, base.source)))


def _resolve(extends: Extends, named_by: _Location, home: str, home_ref: str) -> _Location:
    owner = extends.owner or named_by.repo.partition("/")[0]
    repo = f"{owner}/{extends.repo}"
    # A file of the repository being handled is read at the same commit as its own settings,
    # so a pull request or a push changes them together; any other at its default branch.
    ref = home_ref if repo.lower() == home.lower() else None
    return _Location(repo, extends.path, ref, f"{repo}:{extends.path}")


async def _read_base(gh: GitHubClient, base: _Location) -> str | None:
    try:
        if base.ref is not None:
            return await api.read_file(gh, base.repo, base.path, base.ref)
        return await api.read_file_on_default_branch(gh, base.repo, base.path)
    except GitHubError as exc:
        if exc.status == 403:
            return None  # told to the people as a base that cannot be read
        raise


def _refuse(named_by: _Location, extends: Extends, problem: str) -> NoReturn:
    at = f" line {extends.line}:" if extends.line else ""
    raise SettingsError([f"{named_by.source}:{at} key `{EXTENDS_KEY}`: {problem}"])
