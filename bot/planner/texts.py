"""What the bot says in comments.

Each comment is composed with the notes' text as it is (on one line where it sits in a line) and
neutralised as a whole, as GitHub will read it, so that it notifies nobody.
"""

from __future__ import annotations

from bot.markdown.issue_body import (
    code_span,
    comment_tag,
    inline_text,
    neutralise_mentions,
    permalink,
)
from bot.notes.model import ActionItem, Meeting
from bot.settings import SETTINGS_PATH

SYNC_COMMAND = "python -m bot sync"


def _meeting(meeting: Meeting) -> str:
    when = f" ({inline_text(meeting.date)})" if meeting.date else ""
    return f"**{inline_text(meeting.title)}**{when}"


def _line_link(item: ActionItem, *, server_url: str, repo: str, commit: str) -> str:
    link = permalink(server_url, repo, commit, item.path, item.line)
    return f"[{code_span(item.path)} line {item.line}]({link})"


def _with_tag(text: str, tag: str) -> str:
    return f"{neutralise_mentions(text)}\n\n{comment_tag(tag)}"


def carried_over(
    item: ActionItem,
    meeting: Meeting,
    *,
    reopened: bool,
    server_url: str,
    repo: str,
    commit: str,
    tag: str,
    back: bool = False,
) -> str:
    """The comment on an issue whose item came up again in another meeting's notes (or, with
    ``back``, came back to notes it had been removed from)."""
    where = _line_link(item, server_url=server_url, repo=repo, commit=commit)
    if back:
        text = f"Back in the notes of {_meeting(meeting)}: {where}."
    else:
        text = f"Carried over to {_meeting(meeting)}: {where}."
    if reopened:
        text += "\n\nReopening: the item is not done there."
    return _with_tag(text, tag)


def done(
    item: ActionItem, meeting: Meeting, *, server_url: str, repo: str, commit: str, tag: str
) -> str:
    """The comment on an issue the bot closes because the notes mark its item done."""
    where = _line_link(item, server_url=server_url, repo=repo, commit=commit)
    return _with_tag(f"Marked done in the notes of {_meeting(meeting)}: {where}. Closing.", tag)


def undone(
    item: ActionItem, meeting: Meeting, *, server_url: str, repo: str, commit: str, tag: str
) -> str:
    """The comment on an issue the bot reopens because the notes no longer mark it done."""
    where = _line_link(item, server_url=server_url, repo=repo, commit=commit)
    text = f"No longer marked done in the notes of {_meeting(meeting)}: {where}. Reopening."
    return _with_tag(text, tag)


def removed(
    *,
    path: str,
    last_seen: str,
    closing: bool,
    tag: str,
) -> str:
    """The comment on an issue whose item left the notes and was found nowhere else."""
    text = (
        f"This action item is no longer in the meeting notes: it was last seen in "
        f"[{code_span(path)}]({last_seen}), and no other notes file has it."
    )
    if closing:
        text += (
            "\n\nClosing as not planned, as the repository's settings ask "
            f"(`removed_items: close` in `{SETTINGS_PATH}`)."
        )
    else:
        text += (
            "\n\nLeaving the issue open: close it if the item is settled. "
            f"(`removed_items` in `{SETTINGS_PATH}` can make the bot close such issues, "
            "or say nothing.)"
        )
    return _with_tag(text, tag)


def linked(
    item: ActionItem, meeting: Meeting, *, server_url: str, repo: str, commit: str, tag: str
) -> str:
    """The comment on an issue that a notes item links to (``TODO(#123): ...``)."""
    where = _line_link(item, server_url=server_url, repo=repo, commit=commit)
    text = (
        f"An action item in the notes of {_meeting(meeting)} refers to this issue: {where}\n\n"
        f"> {inline_text(item.title)}"
    )
    return _with_tag(text, tag)
