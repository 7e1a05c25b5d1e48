"""Clause 6: titles — plain text, joined lines, marker and owners removed, at most ~100 chars."""

from __future__ import annotations

import pytest

from bot.notes import read_notes
from bot.notes.text import TITLE_LIMIT


def title(text: str) -> str:
    items = read_notes(text, "m.md").items
    assert len(items) == 1
    return items[0].title


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TODO: read [the guide](https://example.org/g) first", "read the guide first"),
        ("TODO: ping \\@minrk about `jupyterhub`", "ping @minrk about jupyterhub"),
        ("TODO: **bold** and *soft*\nwrapped", "bold and soft wrapped"),
        ("TODO(Sam, Kim): share the notes", "share the notes"),
        ("**Action item:** Luke to start a thread", "Luke to start a thread"),
        ("- [ ] **Chris:** TODO: connect people", "connect people"),
        ("TODO: fix &amp; ship <span>it</span>", "fix & ship it"),
        ("AI -- Derek -- amendment language", "amendment language"),
        ("TODO: see ![the diagram](d.png) below", "see the diagram below"),
    ],
)
def test_plain_text_titles(text: str, expected: str) -> None:
    assert title(text + "\n") == expected


def test_long_titles_are_cut_on_a_word_boundary() -> None:
    words = " ".join(f"word{n}" for n in range(60))
    cut = title(f"TODO: {words}\n")
    assert len(cut) <= TITLE_LIMIT
    assert cut.endswith("…")
    assert words.startswith(cut[:-1])
    assert cut[:-1].split()[-1] in words.split()


def test_a_title_at_the_limit_is_not_cut() -> None:
    text = "x" * (TITLE_LIMIT - 4)
    assert title(f"TODO: abc {text}\n") == f"abc {text}"


def test_one_huge_word_is_still_cut() -> None:
    cut = title("TODO: " + "a" * 500 + "\n")
    assert len(cut) <= TITLE_LIMIT
    assert cut.endswith("…")
