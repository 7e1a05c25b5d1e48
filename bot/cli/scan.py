"""The offline ``scan`` command: list the action items in notes files and folders.

Finding files and reading them (:func:`scan_paths`) is kept apart from writing the
report (:func:`plain_report`, :func:`json_lines`); :func:`run_scan` is the thin shell
the command line calls.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TextIO

from bot.notes import NotesError, read_notes
from bot.notes.model import ActionItem, NotesFile
from bot.settings import (
    DEFAULT_SETTINGS,
    Settings,
    SettingsError,
    load_settings,
    matches_globs,
)

EXIT_OK = 0
EXIT_UNREADABLE = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class NotesSource:
    """A file to read: where it is on disk, and the path that names it in the report."""

    location: Path
    shown: str


@dataclass(frozen=True)
class ScanReport:
    """What a scan found: the files read (sorted by path), and one message per failure."""

    files: tuple[NotesFile, ...] = ()
    errors: tuple[str, ...] = ()
    #: Folders in which the settings matched no notes file (a hint, not a failure).
    empty_folders: tuple[str, ...] = field(default=())


def find_notes_files(
    paths: Sequence[str], settings: Settings
) -> tuple[list[NotesSource], list[str], list[str]]:
    """The files to read for ``paths``, sorted by shown path, without duplicates.

    A file named explicitly is always taken. In a folder, a file is taken when the settings
    call it notes: its path relative to the folder, or to the folder's parent (so that the
    folder's own name counts), matches a ``notes`` glob, and neither matches an ``exclude``
    glob. Hidden files and folders (``.git``) are skipped. Returns the files, the
    problems (nonexistent paths, unreadable folders) and the folders that held no notes.
    """
    found: dict[str, NotesSource] = {}
    problems: list[str] = []
    empty: list[str] = []
    for raw in paths:
        given = Path(raw)
        shown = PurePath(raw).as_posix()
        if given.is_dir():
            known_problems = len(problems)
            in_folder = list(_walk_notes(given, shown, settings, problems))
            if not in_folder and len(problems) == known_problems:
                empty.append(shown)
            for source in in_folder:
                found.setdefault(_identity(source.location), source)
        elif given.exists() or given.is_symlink():
            found.setdefault(_identity(given), NotesSource(given, shown))
        else:
            problems.append(f"{shown}: no such file or folder")
    # By path segments, so that a folder's files stay together ("a/b.md" before "a-b.md").
    return sorted(found.values(), key=lambda s: s.shown.split("/")), problems, empty


def _walk_notes(
    folder: Path, shown: str, settings: Settings, problems: list[str]
) -> Iterator[NotesSource]:
    folder_name = folder.resolve().name

    def report(error: OSError) -> None:
        where = PurePath(error.filename or folder).as_posix()
        problems.append(f"{where}: cannot read the folder ({error.strerror or error})")

    for dirpath, dirnames, filenames in os.walk(folder, onerror=report):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        relative_dir = PurePath(dirpath).relative_to(folder)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            relative = (relative_dir / name).as_posix()
            if _is_notes_in_folder(relative, folder_name, settings):
                yield NotesSource(
                    Path(dirpath, name), relative if shown == "." else f"{shown}/{relative}"
                )


def _is_notes_in_folder(relative: str, folder_name: str, settings: Settings) -> bool:
    views = [relative, f"{folder_name}/{relative}"] if folder_name else [relative]
    return any(matches_globs(v, settings.notes) for v in views) and not any(
        matches_globs(v, settings.exclude) for v in views
    )


def _identity(path: Path) -> str:
    return os.path.realpath(path)


class UnreadableFile(Exception):
    """A file could not be read; the message says why, for a person."""


def read_source(source: NotesSource, settings: Settings) -> NotesFile:
    """Read one notes file; raises :class:`UnreadableFile` with the reason."""
    try:
        if not stat.S_ISREG(os.stat(source.location).st_mode):
            # A FIFO would block the scan forever, a device never end.
            raise UnreadableFile("not a regular file")
        data = source.location.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file ({exc.strerror or exc})") from exc
    try:
        return read_notes(data, source.shown, settings)
    except NotesError as exc:
        raise UnreadableFile(str(exc)) from exc


def scan_paths(paths: Sequence[str], settings: Settings = DEFAULT_SETTINGS) -> ScanReport:
    """Find the notes files under ``paths`` and read them all (the whole work of ``scan``)."""
    sources, problems, empty = find_notes_files(paths, settings)
    files: list[NotesFile] = []
    for source in sources:
        try:
            files.append(read_source(source, settings))
        except UnreadableFile as exc:
            problems.append(f"{source.shown}: {exc}")
    return ScanReport(tuple(files), tuple(problems), tuple(empty))


# --- reports -------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """Text safe for a terminal: control characters (escape sequences) made visible."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def file_header(notes: NotesFile) -> str:
    """``path — title · date · N items``; no date when the title already carries it."""
    title = notes.meeting.title
    date = notes.meeting.date
    parts = [title] if not date or date in title else [title, date]
    parts.append(_plural(len(notes.items), "item") if notes.items else "no action items")
    return _printable(f"{notes.path} — {' · '.join(parts)}")


def item_lines(item: ActionItem, width: int) -> list[str]:
    """An item's line for a person, and a detail line when it has owners or a link."""
    box = "[x]" if item.done else "[ ]"
    lines = [_printable(f"  {item.line:>{width}}  {box} {item.title}")]
    details = []
    if item.assignees:
        details.append("assigned " + ", ".join(f"@{login}" for login in item.assignees))
    if item.unresolved:
        details.append("unresolved " + ", ".join(item.unresolved))
    if item.linked_issue is not None:
        details.append(f"linked #{item.linked_issue}")
    if details:
        lines.append(_printable(" " * (width + 8) + " · ".join(details)))
    return lines


def summary_line(report: ScanReport) -> str:
    """The closing count: files, items, done, linked and with unresolved owners."""
    items = [item for notes in report.files for item in notes.items]
    done = sum(item.done for item in items)
    linked = sum(item.linked_issue is not None for item in items)
    unresolved = sum(bool(item.unresolved) for item in items)
    line = (
        f"{_plural(len(report.files), 'file')}, {_plural(len(items), 'action item')}: "
        f"{done} done, {linked} linked to an issue, {unresolved} with unresolved owners"
    )
    if report.errors:
        line += f"; {_plural(len(report.errors), 'problem')} (see above)"
    return line


def plain_report(report: ScanReport) -> Iterator[str]:
    """The report for a person, line by line: per file its items (the closing count apart)."""
    for notes in report.files:
        yield file_header(notes)
        if not notes.items:
            continue
        width = max(len(str(item.line)) for item in notes.items)
        for item in notes.items:
            yield from item_lines(item, width)
        yield ""


def json_lines(report: ScanReport) -> Iterator[str]:
    """One JSON object per item, with exactly the item's fields."""
    for notes in report.files:
        for item in notes.items:
            yield json.dumps(item.as_json(), ensure_ascii=False)


def warning_lines(report: ScanReport) -> Iterator[str]:
    """The reader's warnings, each prefixed with its file's path."""
    for notes in report.files:
        for warning in notes.warnings:
            yield _printable(f"{notes.path}: warning: {warning}")


# --- the command ---------------------------------------------------------------------------


def load_config(config: str | None) -> Settings:
    """The settings for ``scan --config FILE`` (the defaults without it)."""
    if config is None:
        return DEFAULT_SETTINGS
    try:
        text = Path(config).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SettingsError(
            [f"{config}: cannot read the settings file ({exc.strerror or exc})"]
        ) from exc
    except UnicodeDecodeError as exc:
        raise SettingsError(
            [f"{config}: the settings file is not UTF-8 text (byte {exc.start})"]
        ) from exc
    return load_settings(text, source=config)


def run_scan(paths: Sequence[str], *, config: str | None = None, as_json: bool = False) -> int:
    """``python -m bot scan``: print the report; returns the exit status (0, 1 or 2)."""
    out, err = _tolerant(sys.stdout), _tolerant(sys.stderr)
    try:
        settings = load_config(config)
    except SettingsError as exc:
        _write(err, exc.problems)
        return EXIT_USAGE
    report = scan_paths(paths, settings)
    try:
        # Problems go between the items and the closing count, where a person looks.
        _write(out, json_lines(report) if as_json else plain_report(report))
        out.flush()
        _write(err, warning_lines(report))
        _write(err, report.errors)
        _write(
            err,
            (
                f"{f}: no notes files here (see `notes` in the settings)"
                for f in report.empty_folders
            ),
        )
        err.flush()
        if not as_json:
            _write(out, [summary_line(report)])
            out.flush()
    except BrokenPipeError:
        # The reader of our output left (`scan … | head`): stop quietly, as a filter should.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        return EXIT_UNREADABLE
    return EXIT_UNREADABLE if report.errors else EXIT_OK


def _write(stream: TextIO, lines: Iterable[str]) -> None:
    for line in lines:
        stream.write(line + "\n")


def _tolerant(stream: TextIO) -> TextIO:
    """The stream, set to replace what its encoding cannot show rather than fail on it."""
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors="backslashreplace")
    return stream
