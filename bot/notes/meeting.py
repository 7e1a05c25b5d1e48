"""A meeting's title and date: front matter, else the first heading, else the file name.

The date is looked for in this order: front matter ``date``; the first heading; a
``Date: …`` line near the top of the notes; the file name, then its folders.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from bot.notes.model import Meeting
from bot.notes.text import squash

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO = re.compile(r"(?<!\d)(\d{4})[-_.](\d{1,2})[-_.](\d{1,2})(?!\d)")
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d\d)(\d\d)(\d\d)(?!\d)")
_US = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_DAY_MONTH = re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\.?,?\s+(\d{{4}})", re.I)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})", re.I)
_PLACEHOLDER_STEMS = frozenset({"index", "readme", "_index"})
_DATE_LINE = re.compile(r"^[^\w\n]*(?:meeting\s+)?date\b[^\w\n]*(?P<rest>[^\n]+)", re.I | re.M)
#: Only this much of the top of the notes is searched for a ``Date:`` line.
_DATE_LINE_WINDOW = 3000


def meeting_for(
    path: str, metadata: Mapping[str, Any], first_heading: str | None, body: str = ""
) -> Meeting:
    """The meeting a notes file records (see the module docstring for the order)."""
    title = _text(metadata.get("title")) or first_heading or _name_from_path(path)
    date = _date_value(metadata.get("date"))
    if date is None and first_heading:
        date = find_date(first_heading)
    if date is None:
        line = _DATE_LINE.search(body, 0, _DATE_LINE_WINDOW)
        date = find_date(line.group("rest")) if line else None
    if date is None:
        date = _date_from_path(path)
    return Meeting(title=title, date=date)


def find_date(text: str) -> str | None:
    """The first calendar date written in ``text`` as an ISO string (2024-03-14), if any.

    Understood: ``2024-03-14`` (also ``_`` or ``.`` separated, unpadded), ``20240314``,
    ``14 March 2024``, ``March 14, 2024`` and US-style ``3/14/2024``.
    """
    found: list[tuple[int, str]] = []
    for pattern, order in (
        (_ISO, "ymd"),
        (_COMPACT, "ymd"),
        (_US, "mdy"),
        (_DAY_MONTH, "dmy"),
        (_MONTH_DAY, "mdy"),
    ):
        for match in pattern.finditer(text):
            iso = _iso(dict(zip(order, match.groups(), strict=True)))
            if iso is not None:
                found.append((match.start(), iso))
                break
    return min(found)[1] if found else None


def _iso(parts: dict[str, str]) -> str | None:
    month = parts["m"]
    number = _MONTHS.get(month.casefold()) if not month.isdigit() else int(month)
    try:
        return dt.date(int(parts["y"]), number or 0, int(parts["d"])).isoformat()
    except ValueError:
        return None


def _date_value(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str | int):
        return find_date(str(value))
    return None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = squash(str(value))
    return text or None


def _name_from_path(path: str) -> str:
    pure = PurePosixPath(path.replace("\\", "/"))
    if pure.stem.casefold() in _PLACEHOLDER_STEMS and pure.parent.name:
        return pure.parent.name
    return pure.stem or path


def _date_from_path(path: str) -> str | None:
    pure = PurePosixPath(path.replace("\\", "/"))
    for part in (pure.name, *reversed(pure.parent.parts)):
        date = find_date(part)
        if date is not None:
            return date
    return None
