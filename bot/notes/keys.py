"""An item's identity: the same action written in two meetings gets the same key."""

from __future__ import annotations

import hashlib
import re

_LINK_TARGET = re.compile(r"\]\([^)\s]*\)|<https?://[^>\s]*>")
_WORDS = re.compile(r"[^\W_]+")


def item_key(text: str) -> str:
    """The key of an item whose marker-less text is ``text``.

    Only the words count, case-folded: wrapping, spacing, punctuation, emphasis,
    escapes and code backticks do not change the key. ``text`` is the item's plain
    text (its title before shortening); Markdown link targets, if any, are ignored.
    """
    if "](" in text or "<http" in text:
        text = _LINK_TARGET.sub("]", text)
    words = " ".join(_WORDS.findall(text.casefold()))
    return hashlib.sha1(words.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
