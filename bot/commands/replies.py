"""What the bot answers to ``/todo`` commands: a reaction, and at most one reply.

Pure text. Like Prow: a +1 reaction when every command in a comment ran; otherwise a
confused reaction and one reply quoting each command that did not run, with the
reason. No reply may notify anyone: every ``@mention`` outside code is neutralised
(:func:`bot.markdown.issue_body.neutralise_mentions`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.commands.policy import who_may
from bot.commands.spec import VERBS, verbs_for
from bot.markdown.issue_body import neutralise_mentions

Reaction = Literal["+1", "confused"]

_MARKDOWN_PUNCTUATION = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?\[\\\]^_`{|}~])")


def _escaped_quote(text: str) -> str:
    # Escaping every punctuation mark but "@" leaves no code span, emphasis or HTML of the
    # author's: the quote shows the line literally. Its mentions are still live.
    return "> " + _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def quote_command(text: str) -> str:
    """A command line as a Markdown quote block that shows it literally and pings nobody."""
    return neutralise_mentions(_escaped_quote(text))


def help_text(on_pull_request: bool) -> str:
    """The commands that work here, what each does and who may run it."""
    where = "this notes pull request" if on_pull_request else "this issue"
    rows = [
        f"| `{VERBS[verb].usage}` | {VERBS[verb].summary} | {who_may(verb)} |"
        for verb in verbs_for(on_pull_request=on_pull_request)
    ]
    notes = [] if on_pull_request else [_ARGUMENTS_NOTE]
    return "\n".join(
        [
            f"Commands for {where}: start a line of a new comment with one "
            "(not in a quote, a list or code); one command per line.",
            "",
            "| command | what it does | who may run it |",
            "| --- | --- | --- |",
            *rows,
            "",
            " ".join([*notes, "Editing a comment does not run its commands again."]),
        ]
    )


_ARGUMENTS_NOTE = (
    'Logins work with or without `@`; quote a label that has spaces: `"good first issue"`.'
)


def failure_reply(failures: Sequence[tuple[str, str]]) -> str:
    """One reply quoting each command that did not run, ``(command text, reason)``, with why."""
    if not failures:
        raise ValueError("failure_reply needs at least one failure")
    heading = (
        "This command did not run:"
        if len(failures) == 1
        else f"These {len(failures)} commands did not run:"
    )
    parts = [heading]
    for text, reason in failures:
        parts += [_escaped_quote(text), reason]
    parts.append("`/todo help` lists the commands and who may run them.")
    # Neutralised once, as GitHub reads the whole reply.
    return neutralise_mentions("\n\n".join(parts))


def not_allowed_reply(denials: Sequence[tuple[str, str]]) -> str:
    """The short reply when a comment's sender may run none of its commands.

    ``denials`` are ``(command text, reason)`` pairs with the reasons from
    :func:`bot.commands.policy.may_run`; each distinct reason is said once.
    """
    if not denials:
        raise ValueError("not_allowed_reply needs at least one denial")
    reasons = list(dict.fromkeys(reason for _, reason in denials))
    sentences = [reason[:1].upper() + reason[1:] + "." for reason in reasons]
    return neutralise_mentions("Sorry, you may not run this here. " + " ".join(sentences))


@dataclass(frozen=True)
class CommandOutcome:
    """What became of one command line: ``failure`` is ``None`` when it ran."""

    text: str
    verb: str | None = None
    failure: str | None = None
    #: The failure is a refusal from :func:`bot.commands.policy.may_run`.
    denied: bool = False


@dataclass(frozen=True)
class Feedback:
    """The reaction to put on the comment and the reply to post, if any."""

    reaction: Reaction
    reply: str | None


def feedback(outcomes: Sequence[CommandOutcome], *, on_pull_request: bool) -> Feedback:
    """The reaction and the one reply for a comment whose commands were handled.

    A +1 when all ran (with the help as the reply if ``help`` was asked for); else a
    confused reaction and one reply: the short "who may" reply when every command was
    refused for want of permission, otherwise each failed command quoted with its
    reason, followed by the help if it was asked for.
    """
    if not outcomes:
        raise ValueError("feedback needs at least one command outcome")
    wants_help = any(o.verb == "help" and o.failure is None for o in outcomes)
    failures = [(o.text, o.failure) for o in outcomes if o.failure is not None]
    if not failures:
        return Feedback("+1", help_text(on_pull_request) if wants_help else None)
    if all(o.denied for o in outcomes):
        return Feedback("confused", not_allowed_reply(failures))
    reply = failure_reply(failures)
    if wants_help:
        reply += "\n\n" + help_text(on_pull_request)
    return Feedback("confused", reply)
