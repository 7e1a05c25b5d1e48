"""Turn a notes file's bytes (or text) into text the reader can trust."""

from __future__ import annotations

import re

#: Control characters the reader uses internally as formatting sentinels (see ``inline``).
_RESERVED = re.compile("[\x01-\x05\x0e\x0f\x1a]")
_NEWLINES = re.compile(r"\r\n?")


class NotesError(Exception):
    """The content cannot be read as notes at all (for example a binary file).

    The message says why, for a person; callers add the file's path.
    """


def decode_notes(source: str | bytes) -> tuple[str, list[str]]:
    """The text of ``source`` with newlines normalised, and warnings for a person.

    Bytes with a NUL byte are binary: :class:`NotesError`. Invalid UTF-8 is decoded
    with U+FFFD replacement characters and a warning (the rest of the file is still
    worth reading). A byte-order mark is dropped. Text is never refused.
    """
    warnings: list[str] = []
    if isinstance(source, bytes):
        if b"\x00" in source:
            raise NotesError("binary content (it contains NUL bytes), not Markdown notes")
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = source.decode("utf-8", errors="replace")
            warnings.append(
                f"not valid UTF-8 (first bad byte at offset {exc.start}); "
                "undecodable bytes were replaced with U+FFFD"
            )
    else:
        text = source
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        # markdown-it counts lines after this same normalisation; doing it first keeps
        # our line numbers and slices aligned with its line maps.
        text = _NEWLINES.sub("\n", text)
    if _RESERVED.search(text):
        text = _RESERVED.sub("\ufffd", text)
    return text, warnings
