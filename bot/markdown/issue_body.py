"""The body of a bot issue: the generated part, the hidden marker, and text that notifies nobody.

A bot issue body looks like this (humans may write anything before or after the fenced part)::

    <!-- meeting-todo-bot begin -->
    ...generated from the notes; replaced whenever the item changes...
    <!-- meeting-todo-bot end -->
    <!-- meeting-todo-bot: {"v":1,"key":"...",...} -->

The marker is the bot's only state (see :class:`IssueMarker` and docs/decisions.md). It sits outside
the fences so that replacing the generated part never loses it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal
from urllib.parse import quote

from bot.markdown.mentions import NEUTRAL_AT as NEUTRAL_AT  # re-exported
from bot.markdown.mentions import neutralise_mentions as neutralise_mentions
from bot.notes.model import ActionItem, Meeting
from bot.settings import SETTINGS_PATH

DEFAULT_SERVER_URL = "https://github.com"
MARKER_VERSION = 1
GENERATED_START = "<!-- meeting-todo-bot begin -->"
GENERATED_END = "<!-- meeting-todo-bot end -->"
_GENERATED_HINT = "<!-- The bot rewrites this block when the notes change; write outside it. -->"
#: Copied notes text longer than this is cut (GitHub refuses bodies over 65,536 characters).
MAX_COPIED_CHARS = 20_000
#: Room left for the generated part in a body (GitHub refuses bodies over 65,536 characters).
MAX_GENERATED_CHARS = 56_000
#: GitHub refuses issue titles over 256 characters.
MAX_TITLE_CHARS = 256
UNRESOLVED_HINT = f"add them to the roll call, or map them in `people` in `{SETTINGS_PATH}`"
UNASSIGNABLE_HINT = "GitHub does not accept them as assignees in this repository"

ClosedBy = Literal["notes", "command"]

# Our JSON never holds "<" or ">" (escaped), so a marker cannot swallow a neighbouring comment.
_MARKER_RE = re.compile(r"<!--[ \t]*meeting-todo-bot:[ \t]*(\{[^<>]*\})[ \t]*-->")
_TAG_RE = re.compile(r"<!-- meeting-todo-bot:([a-z0-9][a-z0-9:._-]*) -->")
# Copied text that imitates our comments must not be mistaken for them.
_OWN_COMMENT_RE = re.compile(r"<!--(\s*)meeting-todo-bot", re.I)


# --- the hidden marker -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueMarker:
    """What the bot last wrote into an issue; GitHub holds it, so the bot needs no database."""

    #: The item's key (its identity in the notes).
    key: str
    #: The notes file and line the generated part was rendered from, at ``commit``.
    path: str = ""
    line: int = 0
    commit: str = ""
    #: The title, labels and assignees the bot last set: what a person changed since then wins.
    title: str = ""
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    #: The done state the bot last acted on.
    done: bool = False
    #: Hash of the item content the generated part shows (not its line or commit).
    digest: str = ""
    #: Notes files the item has been linked from, earliest meeting first (the last is the latest).
    seen: tuple[str, ...] = ()
    #: The date (ISO) of the latest meeting linked, "" when unknown: only a later one carries over.
    date: str = ""
    #: Earlier keys of the item (before an edit in place); they still lead to this issue.
    aliases: tuple[str, ...] = ()
    #: Set by ``/todo unlink``: the bot never touches the issue again, nor files its key anew.
    unlinked: bool = False
    #: The item left the notes (and the bot said so, as ``removed_items`` asks).
    removed: bool = False
    #: Who closed the issue, when the bot did: because of the notes or a ``/todo`` command.
    closed_by: ClosedBy | None = None
    v: int = MARKER_VERSION

    def to_json(self) -> str:
        """Compact JSON that can sit inside an HTML comment (``<`` and ``>`` are escaped)."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            data[f.name] = list(value) if isinstance(value, tuple) else value
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
        # Only strings can hold these characters, and the escapes are valid JSON.
        return text.replace("<", "\\u003c").replace(">", "\\u003e")

    def comment(self) -> str:
        """The marker as the HTML comment stored in the issue body."""
        return f"<!-- meeting-todo-bot: {self.to_json()} -->"


def _str(value: object, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _bool(value: object) -> bool:
    return value if isinstance(value, bool) else False


def _strs(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def _marker_from_data(data: object) -> IssueMarker | None:
    if not isinstance(data, dict):
        return None
    key = data.get("key")
    if not isinstance(key, str) or not key:
        return None
    closed_by = data.get("closed_by")
    return IssueMarker(
        key=key,
        path=_str(data.get("path")),
        line=_int(data.get("line")),
        commit=_str(data.get("commit")),
        title=_str(data.get("title")),
        labels=_strs(data.get("labels")),
        assignees=_strs(data.get("assignees")),
        done=_bool(data.get("done")),
        digest=_str(data.get("digest")),
        seen=_strs(data.get("seen")),
        date=_str(data.get("date")),
        aliases=_strs(data.get("aliases")),
        unlinked=_bool(data.get("unlinked")),
        removed=_bool(data.get("removed")),
        closed_by=closed_by if closed_by in ("notes", "command") else None,
        v=_int(data.get("v"), MARKER_VERSION),
    )


def parse_marker(body: str | None) -> IssueMarker | None:
    """The last well-formed marker in an issue body, or ``None``; never raises.

    Fields of the wrong type take their defaults; a marker without a usable ``key`` is ignored.
    """
    if not isinstance(body, str):
        return None
    for match in reversed(list(_MARKER_RE.finditer(body))):
        try:
            data = json.loads(match.group(1))
        except (ValueError, RecursionError):
            continue
        marker = _marker_from_data(data)
        if marker is not None:
            return marker
    return None


def with_marker(body: str, marker: IssueMarker) -> str:
    """``body`` with its marker replaced by ``marker`` (appended when it has none)."""
    matches = list(_MARKER_RE.finditer(body))
    for match in reversed(matches):
        try:
            if _marker_from_data(json.loads(match.group(1))) is None:
                continue
        except (ValueError, RecursionError):
            continue
        return body[: match.start()] + marker.comment() + body[match.end() :]
    stripped = body.rstrip()
    return (stripped + "\n\n" if stripped else "") + marker.comment() + "\n"


# --- the generated part ------------------------------------------------------------------------


def replace_generated_part(old_body: str, new_part: str) -> str:
    """``old_body`` with its fenced generated part replaced by ``new_part``.

    Everything outside the fences is kept. A body without (both) fences gets ``new_part`` at the
    top, above what was there.
    """
    start = old_body.find(GENERATED_START)
    end = old_body.find(GENERATED_END, start + len(GENERATED_START)) if start >= 0 else -1
    if start < 0 or end < 0:
        rest = old_body.strip()
        return new_part + ("\n\n" + rest + "\n" if rest else "\n")
    return old_body[:start] + new_part + old_body[end + len(GENERATED_END) :]


def generated_part(body: str) -> str | None:
    """The fenced generated part of a body (fences included), or ``None``."""
    start = body.find(GENERATED_START)
    end = body.find(GENERATED_END, start + len(GENERATED_START)) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    return body[start : end + len(GENERATED_END)]


def permalink(server_url: str, repo: str, commit: str, path: str, line: int) -> str:
    """A link to one line of a file at one commit (stays right whatever happens to the file)."""
    return f"{server_url.rstrip('/')}/{repo}/blob/{commit}/{quote(path)}#L{line}"


def issue_title(item: ActionItem) -> str:
    """The issue title for an item (cut to what GitHub accepts)."""
    title = " ".join(item.title.split()) or "Action item"
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1].rstrip() + "…"
    return title


def item_digest(
    item: ActionItem, meeting: Meeting, labels: Sequence[str], unassignable: Sequence[str]
) -> str:
    """Hash of everything the generated part shows except the line and commit.

    Line shifts (a meeting inserted above) change neither, so they cause no write.
    """
    content = [
        item.title,
        item.body,
        list(item.owners),
        list(item.unresolved),
        list(unassignable),
        meeting.title,
        meeting.date,
        list(labels),
    ]
    raw = json.dumps(content, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def code_span(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def defanged(text: str) -> str:
    """Notes text with anything that imitates our hidden comments made harmless."""
    return _OWN_COMMENT_RE.sub(r"<!--\1(quoted) meeting-todo-bot", text)


def inline_text(text: str) -> str:
    """Notes text for use inside a line: on one line, defanged (mentions: see ``neutralise``)."""
    return " ".join(defanged(text).split())


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)  # at a line end: never inside an inserted entity
    return text[: cut if cut > 0 else limit] + "\n\n(cut: see the notes)"


def block_text(text: str, limit: int = MAX_COPIED_CHARS) -> str:
    """Notes Markdown for use as a block: defanged and cut to ``limit`` characters."""
    return _cut(defanged(text), limit)


def copied_text(text: str) -> str:
    """Notes Markdown made safe to post as it is: defanged, cut, and notifying nobody."""
    return _cut(neutralise_mentions(block_text(text)), MAX_COPIED_CHARS)


def _quote_block(markdown: str) -> str:
    return "\n".join(("> " + line).rstrip() for line in markdown.splitlines())


def render_issue_body(
    item: ActionItem,
    meeting: Meeting,
    *,
    repo: str,
    commit: str,
    server_url: str = DEFAULT_SERVER_URL,
    labels: Sequence[str] = (),
    unassignable: Sequence[str] = (),
) -> str:
    """The generated part of an item's issue body, fences included.

    It shows the item's Markdown with its context, the meeting, a permanent link to the line, the
    owners as written, names that resolved to nobody (with the fix), logins that GitHub would not
    accept as assignees (named, not assigned) and the labels. The whole part is neutralised at
    once, as GitHub will read it, so that no copied text notifies anyone.
    """
    limit = MAX_COPIED_CHARS
    while True:
        part = _render(item, meeting, repo, commit, server_url, labels, unassignable, limit)
        # neutralising lengthens "@x" fourfold at worst: GitHub refuses bodies over 65,536
        if len(part) <= MAX_GENERATED_CHARS or limit < 100:
            return part
        limit //= 2


def _render(
    item: ActionItem,
    meeting: Meeting,
    repo: str,
    commit: str,
    server_url: str,
    labels: Sequence[str],
    unassignable: Sequence[str],
    limit: int,
) -> str:
    link = permalink(server_url, repo, commit, item.path, item.line)
    when = f" ({inline_text(meeting.date)})" if meeting.date else ""
    source = f"[{code_span(item.path)} line {item.line}]({link})"
    lines = [
        f"An action item from **{inline_text(meeting.title)}**{when}, {source}:",
        "",
        _quote_block(block_text(item.body.strip() or item.title, limit)),
        "",
    ]
    details: list[str] = []
    if item.owners:
        owners = ", ".join(inline_text(o) for o in item.owners)
        details.append(f"**Owners** (as written): {owners}")
    if unassignable:
        named = ", ".join("@" + login for login in unassignable)
        details.append(f"**Not assigned**: {named}: {UNASSIGNABLE_HINT}")
    if item.unresolved:
        names = ", ".join(inline_text(n) for n in item.unresolved)
        details.append(f"**Owners not found**: {names}: {UNRESOLVED_HINT}")
    if labels:
        details.append("**Labels**: " + ", ".join(code_span(label) for label in labels))
    lines.extend(f"- {d}" for d in details)
    if details:
        lines.append("")
    lines.append(
        "<sub>Filed by meeting-todo-bot from the meeting notes. "
        "Comment `/todo help` for what you can ask it.</sub>"
    )
    content = neutralise_mentions("\n".join(lines))
    return "\n".join([GENERATED_START, _GENERATED_HINT, content, GENERATED_END])


def new_issue_body(part: str, marker: IssueMarker) -> str:
    """The whole body of a new issue: the generated part and the marker."""
    return with_marker(part + "\n", marker)


# --- comment tags ------------------------------------------------------------------------------


def comment_tag(tag: str) -> str:
    """The hidden line that marks a bot comment as the one for ``tag``."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9:._-]*", tag):
        raise ValueError(f"not a comment tag: {tag!r}")
    return f"<!-- meeting-todo-bot:{tag} -->"


def comment_tags(body: str | None) -> set[str]:
    """The tags a (bot) comment body carries, for the executor's dedupe check."""
    return set(_TAG_RE.findall(body or ""))


def short_hash(*parts: str) -> str:
    """A short stable hash of some strings (for comment tags)."""
    raw = "\x1f".join(parts).encode()
    return hashlib.sha256(raw).hexdigest()[:12]
