"""Read one notes file: decode, split front matter, parse once, walk, assemble."""

from __future__ import annotations

from markdown_it import MarkdownIt

from bot.notes.assemble import FileContext, build_items
from bot.notes.decode import decode_notes
from bot.notes.frontmatter import split_front_matter
from bot.notes.markers import grammar_for, normalise_heading
from bot.notes.meeting import meeting_for
from bot.notes.model import NotesFile
from bot.notes.rollcall import RollCall
from bot.notes.walk import walk
from bot.settings import DEFAULT_SETTINGS, Settings

#: One parser for every file: CommonMark with tables and strikethrough.
PARSER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def read_notes(source: str | bytes, path: str, settings: Settings = DEFAULT_SETTINGS) -> NotesFile:
    """The meeting and action items in one notes file.

    ``path`` is stored on the items as given. Items come in file order. Problems
    that still let the file be read (invalid UTF-8, broken front matter) become
    ``warnings``; only bytes that are not text at all raise
    :class:`~bot.notes.decode.NotesError`. Text input never raises.
    """
    text, warnings = decode_notes(source)
    front = split_front_matter(text)
    if front.warning:
        warnings.append(front.warning)
    grammar = grammar_for(settings)
    try:
        tokens = PARSER.parse(front.body)
        outline = walk(tokens, grammar, boxes_anywhere=settings.task_boxes_anywhere)
    except RecursionError:
        warnings.append("nested too deeply to read as Markdown; no items were taken from it")
        meeting = meeting_for(path, front.metadata, None)
        return NotesFile(path=path, meeting=meeting, warnings=tuple(warnings))
    context = FileContext(
        path=path,
        text=text,
        lines=front.body.split("\n"),
        line_offset=front.line_offset,
        settings=settings,
        grammar=grammar,
        roll_call=RollCall(outline.roll_call, settings.people),
        default_labels=tuple(dict.fromkeys(settings.labels)),
        section_labels={
            normalise_heading(heading): tuple(labels)
            for heading, labels in settings.section_labels.items()
        },
    )
    items = build_items(outline.candidates, context)
    meeting = meeting_for(path, front.metadata, outline.first_heading, front.body)
    return NotesFile(path=path, meeting=meeting, items=tuple(items), warnings=tuple(warnings))
