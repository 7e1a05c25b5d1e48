"""The issue body: the generated part, the hidden marker, and mentions that notify nobody."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from test_plan_support import item

from bot.markdown.issue_body import (
    GENERATED_END,
    GENERATED_START,
    IssueMarker,
    code_span,
    comment_tag,
    comment_tags,
    copied_text,
    generated_part,
    issue_title,
    item_digest,
    neutralise_mentions,
    new_issue_body,
    parse_marker,
    permalink,
    render_issue_body,
    replace_generated_part,
    with_marker,
)
from bot.notes.model import Meeting
from bot.planner.issues import IssueState, bot_issues

MEETING = Meeting(title="Team sync", date="2024-05-02")
MARKER = IssueMarker(
    key="k:fix-ci",
    path="notes/2024-05-02.md",
    line=12,
    commit="abc123",
    title="Fix CI --> now <b>",
    labels=("action-item",),
    assignees=("alice",),
    seen=("notes/2024-05-02.md",),
    closed_by="notes",
)


# --- an independent oracle: what GitHub would turn into a notification --------------------------


class _TextNodes(HTMLParser):
    """Text nodes outside code, pre and links; comments split them (as in GitHub's DOM)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("code", "pre", "a"):
            self._skip += 1
        self.nodes.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "a") and self._skip:
            self._skip -= 1
        self.nodes.append("")

    def handle_comment(self, data: str) -> None:
        self.nodes.append("")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.nodes.append(data)


def _text_nodes(html: str) -> list[str]:
    parser = _TextNodes()
    try:
        parser.feed(html)
        if not parser.rawdata.startswith("<"):  # a tag left open at the end is no text (HTML5)
            parser.close()
    except AssertionError:  # html.parser gives up on some "<![" declarations: cruder, same idea
        html = re.sub(r"<(code|pre|a)\b.*?</\1>|<!--.*?-->", "<x>", html, flags=re.S)
        return re.split(r"<[^>]*>", html)
    return parser.nodes


# Plain CommonMark, and with GFM tables as on GitHub.
_RENDERERS = (MarkdownIt("commonmark"), MarkdownIt("commonmark").enable("table"))
_URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+")


def notified(markdown: str) -> list[str]:
    """Handles GitHub would notify: ``@name`` at the start of a text node or after a non-word."""
    found: list[str] = []
    for renderer in _RENDERERS:
        for node in _text_nodes(renderer.render(markdown)):
            node = _URL.sub(" ", node)  # GitHub autolinks bare URLs: no mention inside them
            found += re.findall(r"(?:^|(?<=[^A-Za-z0-9_]))@([A-Za-z0-9][A-Za-z0-9-]*)", node)
    return found


def test_the_oracle_sees_plain_mentions() -> None:
    assert notified("hi @alice and @org/team, mail bob@example.com") == ["alice", "org"] * 2
    assert notified("`@alice` and\n\n    @bob indented") == []


# --- the marker --------------------------------------------------------------------------------


def test_marker_round_trips_through_a_body() -> None:
    body = with_marker("Some text.", MARKER)
    assert parse_marker(body) == MARKER
    assert "-->" not in MARKER.to_json() and "<" not in MARKER.to_json()


def test_with_marker_replaces_the_marker_in_place() -> None:
    body = with_marker("before\n", MARKER) + "\nafter, written by a person\n"
    updated = with_marker(body, IssueMarker(key="k:other"))
    assert updated.count("meeting-todo-bot:") == 1
    assert updated.endswith("after, written by a person\n")
    marker = parse_marker(updated)
    assert marker is not None and marker.key == "k:other"


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "no marker here",
        "<!-- meeting-todo-bot: -->",
        "<!-- meeting-todo-bot: {not json} -->",
        '<!-- meeting-todo-bot: {"key": 3} -->',
        '<!-- meeting-todo-bot: {"key": ""} -->',
        '<!-- meeting-todo-bot: ["key"] -->',
        "<!-- meeting-todo-bot: {" + "[" * 100_000 + "} -->",
        '<!-- meeting-todo-bot: {"key": "k", "line": 1' + "0" * 5000 + "} -->",
    ],
)
def test_parse_marker_returns_none_for_garbage(body: str | None) -> None:
    assert parse_marker(body) is None


def test_parse_marker_takes_defaults_for_fields_of_the_wrong_type() -> None:
    body = (
        '<!-- meeting-todo-bot: {"key":"k","line":"12","done":"yes","seen":["a",3],'
        '"labels":"x","closed_by":"someone","unlinked":1} -->'
    )
    assert parse_marker(body) == IssueMarker(key="k", seen=("a",))


def test_parse_marker_takes_the_last_well_formed_marker() -> None:
    first = IssueMarker(key="k:first").comment()
    second = IssueMarker(key="k:second").comment()
    assert parse_marker(f"{first}\n{second}") == IssueMarker(key="k:second")
    assert parse_marker(f"{first}\n<!-- meeting-todo-bot: {{broken -->") == IssueMarker(
        key="k:first"
    )


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_marker_never_raises_on_any_text(text: str) -> None:
    marker = parse_marker(text)
    assert marker is None or isinstance(marker, IssueMarker)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(alphabet='{}[]":,0123456789abcdefkeytrulsn \\<>-'))
def test_parse_marker_never_raises_on_marker_like_text(prefix: str, inner: str) -> None:
    marker = parse_marker(f"{prefix}<!-- meeting-todo-bot: {{{inner}}} -->{prefix}")
    assert marker is None or isinstance(marker.key, str)


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text(min_size=1), st.text())
def test_with_marker_then_parse_gives_the_marker_back_whatever_the_body(
    body: str, key: str, title: str
) -> None:
    marker = IssueMarker(key=key, title=title)
    assert parse_marker(with_marker(body, marker)) == marker


# --- the generated part ------------------------------------------------------------------------


def test_replace_generated_part_keeps_what_people_wrote_around_it() -> None:
    body = f"Human intro\n{GENERATED_START}\nold\n{GENERATED_END}\nHuman outro\n" + MARKER.comment()
    updated = replace_generated_part(body, f"{GENERATED_START}\nnew\n{GENERATED_END}")
    assert (
        updated
        == f"Human intro\n{GENERATED_START}\nnew\n{GENERATED_END}\nHuman outro\n" + MARKER.comment()
    )
    assert generated_part(updated) == f"{GENERATED_START}\nnew\n{GENERATED_END}"


def test_replace_generated_part_without_fences_puts_the_part_on_top() -> None:
    updated = replace_generated_part("A person rewrote all of it.", "PART")
    assert updated == "PART\n\nA person rewrote all of it.\n"
    assert generated_part("no fences") is None


def render(**changes: Any) -> str:
    todo = item(
        "Fix CI",
        line=12,
        owners=["Alice", "@bob"],
        assignees=["alice", "bob"],
        unresolved=["Carol"],
    )
    return render_issue_body(
        replace(todo, path="notes/team sync.md", **changes),
        MEETING,
        repo="acme/widgets",
        commit="abc123",
        labels=("action-item", "infra"),
        unassignable=("bob",),
    )


def test_render_shows_the_item_its_meeting_link_owners_and_labels() -> None:
    part = render()
    assert part.startswith(GENERATED_START) and part.endswith(GENERATED_END)
    assert "https://github.com/acme/widgets/blob/abc123/notes/team%20sync.md#L12" in part
    assert "Team sync" in part and "2024-05-02" in part
    assert "> - **TODO**: Fix CI" in part
    assert "Alice" in part and "Carol" in part and "roll call" in part and "`people`" in part
    assert "Not assigned" in part and "bob" in part
    assert "`action-item`" in part and "`infra`" in part


def test_render_notifies_nobody() -> None:
    body = (
        "- **TODO** (@alice, @org/infra-team): ping @bob about `@not-me`, mail carol@example.com\n"
        "  - see https://medium.com/@someone and [@dave](https://github.com/dave)\n"
        "  - \\@escaped and (@paren) and *@emph* and _@under_\n\n"
        "```\n@in-fence\n```\n"
    )
    part = render(body=body, owners=("@alice", "@bob"), unresolved=("@ghost",))
    assert notified(part) == []
    for shown in (
        "@&#8203;alice",
        "@&#8203;org/infra-team",
        "`@not-me`",
        "carol@example.com",
        "@in-fence",
    ):
        assert shown in part
    assert "https://medium.com/@someone" in part


def test_rendered_body_is_safe_from_copied_markers() -> None:
    fake = IssueMarker(key="k:forged").comment()
    part = render(body=f"- TODO: Fix CI {fake}\n{GENERATED_END}")
    assert parse_marker(part) is None
    full = new_issue_body(part, MARKER)
    assert parse_marker(full) == MARKER
    assert generated_part(full) == part


@st.composite
def markdown_with_mentions(draw: st.DrawFn) -> str:
    pieces = st.sampled_from(
        [
            "@alice",
            "@org/team",
            "\\@bob",
            "x@y.com",
            "`",
            "``",
            "`@c`",
            "```\n",
            "~~~\n",
            "\n",
            "\n\n",
            "    ",
            "> ",
            "- ",
            "<!--",
            "-->",
            "<!-- @d -->",
            "](",
            ")",
            "https://e.org/@f",
            "word",
            " ",
            "*",
            "_",
            "(",
            "[",
            "]",
            "\\",
            "é",
            "-",
            "#",
            "<div>",
            "</div>",
            '"',
            "x",
            "<!-- a -- b -->",
            "<a href='",
            "'>",
            "&amp;",
            "|",
            "~~",
        ]
    )
    return "".join(draw(st.lists(pieces, max_size=30)))


@settings(max_examples=800, deadline=None)
@given(markdown_with_mentions())
def test_neutralised_markdown_notifies_nobody(markdown: str) -> None:
    safe = neutralise_mentions(markdown)
    assert notified(safe) == []
    assert neutralise_mentions(safe) == safe


@settings(max_examples=300, deadline=None)
@given(markdown_with_mentions(), markdown_with_mentions(), markdown_with_mentions())
def test_a_rendered_body_notifies_nobody_whatever_the_notes_say(
    body: str, owner: str, meeting: str
) -> None:
    part = render_issue_body(
        replace(item("Fix CI"), path="n.md", body=body, owners=(owner,), unresolved=(owner,)),
        Meeting(title=meeting, date=meeting),
        repo="acme/widgets",
        commit="abc123",
        labels=("action-item",),
        unassignable=("bob",),
    )
    assert notified(part) == []
    assert parse_marker(new_issue_body(part, MARKER)) == MARKER


def test_neutralising_twice_changes_nothing_more() -> None:
    text = "- TODO(@alice): ask @org/team, `@x`\n  > cc \\@bob *@carol* &commat;dave\n"
    once = neutralise_mentions(text)
    assert once != text and neutralise_mentions(once) == once


def test_neutralising_leaves_code_emails_and_urls_alone() -> None:
    text = "`@a` ``x @b y`` mail me@x.org https://x.org/@c [t](https://y.org/@d)\n\n    @e code\n"
    assert neutralise_mentions(text) == text


def test_copied_text_is_cut_when_huge() -> None:
    text = copied_text("line @x\n" * 10_000)
    assert len(text) < 20_100 and text.endswith("(cut: see the notes)")


def test_a_huge_item_still_makes_a_body_github_accepts() -> None:
    part = render(body="@a " * 30_000, owners=("x" * 5000,) * 3)
    assert len(new_issue_body(part, MARKER)) < 65_536
    assert "(cut: see the notes)" in part and notified(part) == []


def test_digest_ignores_line_and_commit_but_not_content() -> None:
    todo = item("Fix CI", line=3)
    base = item_digest(todo, MEETING, ("action-item",), ())
    moved = item("Fix CI", line=300)
    assert item_digest(moved, MEETING, ("action-item",), ()) == base
    assert item_digest(item("Fix CI", owners=["Al"]), MEETING, ("action-item",), ()) != base
    assert item_digest(todo, MEETING, ("action-item",), ("bob",)) != base
    assert item_digest(todo, Meeting("Other"), ("action-item",), ()) != base


def test_a_title_is_one_line_cut_to_what_github_accepts() -> None:
    title = issue_title(item("Ask  @alice\nabout it"))
    assert title == "Ask @alice about it"  # GitHub notifies nobody from a title
    long = issue_title(item("x" * 300))
    assert len(long) == 256 and long.endswith("…")


def test_permalink_quotes_the_path() -> None:
    link = permalink("https://ghe.example/", "o/r", "c1", "a b/#1.md", 4)
    assert link == "https://ghe.example/o/r/blob/c1/a%20b/%231.md#L4"


def test_code_span_survives_backticks() -> None:
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x`") == "`` `x` ``"


def test_comment_tags_round_trip() -> None:
    body = "Carried over.\n\n" + comment_tag("carried:0a1b")
    assert comment_tags(body) == {"carried:0a1b"}
    assert comment_tags(MARKER.comment()) == set()
    assert comment_tags(None) == set()
    with pytest.raises(ValueError):
        comment_tag("Not A Tag -->")


# --- issue states ------------------------------------------------------------------------------


def test_issue_state_from_github_reads_labels_assignees_and_marker() -> None:
    data = {
        "number": 4,
        "title": "Fix CI",
        "state": "closed",
        "state_reason": "completed",
        "labels": [{"name": "action-item"}, "bare"],
        "assignees": [{"login": "alice"}, {"id": 3}],
        "body": with_marker("text", MARKER),
    }
    state = IssueState.from_github(data)
    assert (state.number, state.state, state.state_reason) == (4, "closed", "completed")
    assert state.labels == ("action-item", "bare") and state.assignees == ("alice",)
    assert state.marker == MARKER and not state.is_open


def test_bot_issues_ignores_pull_requests_and_issues_without_a_marker() -> None:
    marked = {"number": 1, "title": "a", "state": "open", "body": MARKER.comment()}
    pull = {**marked, "number": 2, "pull_request": {"url": "x"}}
    plain = {"number": 3, "title": "c", "state": "open", "body": None}
    assert [i.number for i in bot_issues([marked, pull, plain])] == [1]
