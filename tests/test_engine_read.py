"""Reading notes bytes: one bad byte costs one character, never the file."""

from __future__ import annotations

from bot.github.api import decode_text
from bot.notes import read_notes


def test_invalid_utf8_is_replaced_reported_and_the_rest_read() -> None:
    raw = "# Sync\n\n## Action items\n- TODO: book the café\n- TODO: order badges\n".encode()
    broken = raw.replace("é".encode(), b"\xe9")  # Latin-1 where UTF-8 was meant
    read = decode_text(broken, "notes/sync.md")
    assert "\ufffd" in read.text
    assert read.problems == ("notes/sync.md: 1 invalid UTF-8 sequences, read as U+FFFD",)
    titles = [item.title for item in read_notes(read.text, "notes/sync.md").items]
    assert len(titles) == 2
    assert titles[1].endswith("order badges")


def test_valid_utf8_reports_nothing_and_drops_the_byte_order_mark() -> None:
    read = decode_text("\ufeff- TODO: café\n".encode(), "a.md")
    assert (read.text, read.problems) == ("- TODO: café\n", ())
