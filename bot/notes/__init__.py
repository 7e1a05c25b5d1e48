"""The notes reader: action items from Markdown meeting notes.

``read_notes(source, path, settings)`` is the whole interface; see
docs/notes-format.md for what counts as an action item.
"""

from __future__ import annotations

from bot.notes.decode import NotesError
from bot.notes.keys import item_key
from bot.notes.model import ActionItem, Meeting, NotesFile
from bot.notes.reader import read_notes

__all__ = ["ActionItem", "Meeting", "NotesError", "NotesFile", "item_key", "read_notes"]
