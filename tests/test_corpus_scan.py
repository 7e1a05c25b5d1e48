"""Read every real notes file in ../shared with the reader (skipped when ../shared is absent).

No file may make the reader fail, and every item's line must be a line a maintainer
would agree is about an action: its text has a marker word, or it sits under an
action heading or a header (``Action items:``) — which the item's context line, or
a header line above it, shows.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from bot.notes import read_notes
from bot.notes.model import NotesFile

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
CORPUS = SHARED / "corpus" / "notes"
SEEDS = SHARED / "seeds"
MARKER = re.compile(r"todo|action|\bAI\b", re.IGNORECASE)
HEADER_LINE = re.compile(
    r"^[\W_\d]*(?:action items?|action points?|actions?|next actions?|todos?|ai)\W*$",
    re.IGNORECASE,
)


def _files() -> list[Path]:
    if not CORPUS.is_dir() or not SEEDS.is_dir():
        return []
    return sorted(p for p in [*CORPUS.rglob("*"), *SEEDS.rglob("*")] if p.is_file())


FILES = _files()
needs_shared = pytest.mark.skipif(not FILES, reason="../shared (the notes corpus) is absent")


@cache
def _read(path: Path) -> NotesFile:
    """Each file is read once for all the tests here (the corpus is 5.6 MB)."""
    return read_notes(path.read_bytes(), str(path))


def _under_a_header(lines: list[str], line: int) -> bool:
    return any(HEADER_LINE.match(text.strip()) for text in lines[max(0, line - 200) : line])


@needs_shared
def test_every_file_reads_and_every_line_is_about_an_action() -> None:
    total = 0
    for path in FILES:
        text = path.read_bytes()
        notes = _read(path)
        lines = re.split(r"\r\n?|\n", text.decode("utf-8", errors="replace"))
        for item in notes.items:
            assert 1 <= item.line <= len(lines), (path, item.line)
            source = lines[item.line - 1]
            context = item.body.rpartition("\n\nContext: ")[2]
            assert (
                MARKER.search(source)
                or MARKER.search(context)
                or _under_a_header(lines, item.line - 1)
            ), (path, item.line, source, item.title)
            assert item.title
            total += 1
    assert total > 500


@needs_shared
@pytest.mark.parametrize(
    "folder",
    [
        "geojupyter-team-compass",
        "jupyterhub-team-compass",
        "kubernetes-community",
        "numpy-archive",
        "webassembly-meetings",
    ],
)
def test_each_corpus_has_items_done_and_owned_ones(folder: str) -> None:
    items = [item for path in sorted((CORPUS / folder).rglob("*.md")) for item in _read(path).items]
    assert len(items) >= 20
    assert any(item.owners for item in items)


@needs_shared
def test_seeds_find_the_todo_items_and_next_actions() -> None:
    found = {}
    for path in sorted(SEEDS.iterdir()):
        found[path.name[:3]] = _read(path).items
    assert len(found["000"]) == 8
    assert [item.title for item in found["001"]][:1] == [
        "Please add yourself to the Team Organization list"
    ]
    assert found["002"][2].assignees == ("betatim",)
    assert len(found["003"]) == 1
    assert found["004"] == ()
