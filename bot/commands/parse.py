"""``/todo`` commands in a comment: which lines are commands, and what they ask for.

Pure: a comment's Markdown in, commands and malformed commands out. Who may run a
command is :mod:`bot.commands.policy`; what the bot answers is :mod:`bot.commands.replies`.

A command is a line of a *top-level paragraph* whose text starts with ``/todo``
(lower case) followed by a space or the end of the line. Lines in code (fenced,
indented or inline), block quotes, list items, headings, tables and HTML (blocks,
comments, inline tags) are never commands, so quoting or discussing a command does
not run it. Every such line is one command; the text after the verb belongs to that
line only.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

from bot.commands.spec import VERBS, VerbSpec, verbs_for

__all__ = ["VERBS", "Command", "CommandError", "parse_commands", "verbs_for"]

PREFIX = "/todo"
#: Later command lines in one comment are refused, not run: each command may write to
#: GitHub, and writes are paced, so one comment must not queue minutes of work.
MAX_COMMANDS_PER_COMMENT = 20
#: GitHub refuses longer label names.
MAX_LABEL_LENGTH = 50


@dataclass(frozen=True)
class Command:
    """A well-formed command.

    ``args``: logins without ``@`` for ``assign``/``unassign``, label names for
    ``label``/``unlabel``, the reason (one string, if any) for ``done``, else empty.
    ``line`` is 1-based in the comment; ``text`` is the line as written, trimmed.
    """

    verb: str
    args: tuple[str, ...]
    line: int
    text: str


@dataclass(frozen=True)
class CommandError:
    """A command line that cannot run, with the reason to show its author."""

    text: str
    line: int
    reason: str


class _Malformed(Exception):
    """A command line's arguments are wrong; the message is the reason."""


_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
#: Opening quote -> closing quote. Phones type curly quotes; Markdown users type backticks.
_QUOTES = {'"': '"', "\u201c": "\u201d", "`": "`"}
_WORD = re.compile(r"\S+")

# GitHub renders GFM: a table row or struck-through text is not a plain paragraph line.
_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def is_valid_login(login: str) -> bool:
    """True for a name GitHub could have issued: letters, digits, single inner hyphens, <= 39."""
    return _LOGIN.fullmatch(login) is not None


def parse_commands(
    comment_body: str, *, on_pull_request: bool
) -> tuple[list[Command], list[CommandError]]:
    """The commands in a new comment, and the command lines that cannot run, in line order.

    ``on_pull_request`` says where the comment is: a notes pull request, else an issue
    the bot filed; a verb that does not apply there is an error.
    """
    lines = comment_body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    commands: list[Command] = []
    errors: list[CommandError] = []
    indexes = _command_line_indexes(lines)
    for count, index in enumerate(indexes):
        text = lines[index].strip()
        if count == MAX_COMMANDS_PER_COMMENT:
            later = len(indexes) - count - 1
            reason = (
                f"more than {MAX_COMMANDS_PER_COMMENT} commands in one comment: this one "
                f"and the {later} after it were not run"
            )
            errors.append(CommandError(text, index + 1, reason))
            break
        try:
            commands.append(_parse_line(text, index + 1, on_pull_request=on_pull_request))
        except _Malformed as malformed:
            errors.append(CommandError(text, index + 1, str(malformed)))
    return commands, errors


def _starts_with_prefix(text: str) -> bool:
    return text.startswith(PREFIX) and text[len(PREFIX) : len(PREFIX) + 1] in ("", " ", "\t")


def _command_line_indexes(lines: list[str]) -> list[int]:
    """0-based indexes of the lines that are commands.

    The line map of a paragraph cannot tell whether a line starts in plain text: a code
    span, an inline HTML comment or a link can run over a line break. So each candidate
    line gets a unique tag right after ``/todo`` (letters and digits only, before a space
    or the line's end, which changes no Markdown structure), and a line is a command when
    its tag ends up at the start of plain, unnested text in a top-level paragraph.
    """
    candidates = [i for i, line in enumerate(lines) if _starts_with_prefix(line.lstrip(" \t"))]
    if not candidates:
        return []
    source = "\n".join(lines)
    tag = "zqtodoline"
    while tag in source:
        tag += "q"
    tagged = list(lines)
    for i in candidates:
        head, sep, tail = tagged[i].partition(PREFIX)
        tagged[i] = f"{head}{sep}{tag}{i}{tag}{tail}"
    found = re.compile(re.escape(PREFIX + tag) + r"(\d+)" + re.escape(tag))
    commands: set[int] = set()
    tokens = _MARKDOWN.parse("\n".join(tagged))
    for position, token in enumerate(tokens):
        if token.type != "paragraph_open" or token.level != 0:
            continue
        depth = 0
        at_line_start = True
        for child in tokens[position + 1].children or ():
            if child.type == "text" and depth == 0 and at_line_start:
                match = found.match(child.content)
                if match:
                    commands.add(int(match.group(1)))
            at_line_start = child.type in ("softbreak", "hardbreak")
            depth += child.nesting
    return sorted(commands)


def _parse_line(text: str, line: int, *, on_pull_request: bool) -> Command:
    rest = text[len(PREFIX) :].strip()
    if not rest:
        raise _Malformed("no verb after `/todo`: `/todo help` lists the commands")
    verb, *arguments = rest.split(None, 1)
    spec = _verb_spec(verb, on_pull_request=on_pull_request)
    return Command(spec.name, _parse_arguments(spec, "".join(arguments).strip()), line, text)


def _verb_spec(verb: str, *, on_pull_request: bool) -> VerbSpec:
    here = verbs_for(on_pull_request=on_pull_request)
    if verb in here:
        return VERBS[verb]
    if verb in VERBS:
        if on_pull_request:
            raise _Malformed(
                f"`{verb}` works on the issues the bot filed, not on pull requests; "
                "here you can use `preview` and `help`"
            )
        raise _Malformed(f"`{verb}` works on notes pull requests only")
    nearest = difflib.get_close_matches(verb.lower(), here, n=1, cutoff=0.6)
    hint = f"did you mean `{nearest[0]}`?" if nearest else "`/todo help` lists the commands"
    raise _Malformed(f"unknown verb {_code(verb)}: {hint}")


def _parse_arguments(spec: VerbSpec, arguments: str) -> tuple[str, ...]:
    if spec.arguments == "reason":
        return (arguments,) if arguments else ()
    if spec.arguments == "none":
        if arguments:
            raise _Malformed(f"`{spec.name}` takes no arguments (got {_code(arguments)})")
        return ()
    words = _split_words(arguments)
    if not words:
        what = "login" if spec.arguments == "logins" else "label"
        raise _Malformed(f"`{spec.name}` needs at least one {what}: `{spec.usage}`")
    if spec.arguments == "logins":
        return _logins(words)
    return _labels(words)


def _split_words(arguments: str) -> list[str]:
    """Whitespace-separated words; a quoted word (``"good first issue"``) keeps its spaces."""
    words: list[str] = []
    position = 0
    while position < len(arguments):
        char = arguments[position]
        if char.isspace():
            position += 1
        elif char in _QUOTES:
            end = arguments.find(_QUOTES[char], position + 1)
            if end < 0:
                raise _Malformed(f"unclosed quote: {_code(arguments[position:])}")
            words.append(arguments[position + 1 : end])
            position = end + 1
        else:
            match = _WORD.match(arguments, position)
            assert match is not None  # a non-space character starts a word
            words.append(match.group())
            position = match.end()
    return words


def _logins(words: list[str]) -> tuple[str, ...]:
    logins: dict[str, str] = {}  # lower case -> as written; GitHub logins ignore case
    for word in words:
        for part in word.split(","):  # "@a, @b" and "@a,@b" are common
            part = part.strip()
            if not part:
                continue
            # A command copied from one of the bot's quotes carries the zero-width space that
            # kept its mention inert there.
            login = part.removeprefix("@").removeprefix("\u200b")
            if not is_valid_login(login):
                raise _Malformed(f"{_code(part)} is not a GitHub login")
            logins.setdefault(login.lower(), login)
    if not logins:
        raise _Malformed("no login given")
    return tuple(logins.values())


def _labels(words: list[str]) -> tuple[str, ...]:
    labels: dict[str, str] = {}  # lower case -> as written; GitHub label names ignore case
    for word in words:
        label = word.strip()
        if not label:
            raise _Malformed("an empty label name")
        if len(label) > MAX_LABEL_LENGTH:
            raise _Malformed(
                f"label names are at most {MAX_LABEL_LENGTH} characters: {_code(label)}"
            )
        labels.setdefault(label.lower(), label)
    return tuple(labels.values())


def _code(text: str) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds (reasons quote user text)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
