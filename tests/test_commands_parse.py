"""Finding ``/todo`` commands in comment Markdown and reading their arguments."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.parse import (
    MAX_COMMANDS_PER_COMMENT,
    VERBS,
    Command,
    CommandError,
    is_valid_login,
    parse_commands,
    verbs_for,
)


def issue(body: str) -> tuple[list[Command], list[CommandError]]:
    return parse_commands(body, on_pull_request=False)


def pull(body: str) -> tuple[list[Command], list[CommandError]]:
    return parse_commands(body, on_pull_request=True)


def only_command(body: str, *, on_pull_request: bool = False) -> Command:
    commands, errors = parse_commands(body, on_pull_request=on_pull_request)
    assert errors == []
    assert len(commands) == 1, commands
    return commands[0]


def only_error(body: str, *, on_pull_request: bool = False) -> CommandError:
    commands, errors = parse_commands(body, on_pull_request=on_pull_request)
    assert commands == []
    assert len(errors) == 1, errors
    return errors[0]


# --- every verb -------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["reopen", "unlink", "sync", "help"])
def test_issue_verbs_without_arguments(verb: str) -> None:
    assert only_command(f"/todo {verb}") == Command(verb, (), 1, f"/todo {verb}")


@pytest.mark.parametrize("verb", ["preview", "help"])
def test_pull_request_verbs(verb: str) -> None:
    assert only_command(f"/todo {verb}", on_pull_request=True).verb == verb


def test_done_without_and_with_a_reason() -> None:
    assert only_command("/todo done").args == ()
    cmd = only_command("/todo done  shipped in v2.1, see #40 ")
    assert cmd == Command(
        "done", ("shipped in v2.1, see #40",), 1, "/todo done  shipped in v2.1, see #40"
    )


def test_done_reason_keeps_quotes_and_apostrophes_verbatim() -> None:
    assert only_command('/todo done it\'s "fine" now').args == ('it\'s "fine" now',)


def test_assign_takes_logins_with_or_without_at() -> None:
    assert only_command("/todo assign @alice bob").args == ("alice", "bob")


def test_unassign_takes_one_or_more_logins() -> None:
    assert only_command("/todo unassign @alice").args == ("alice",)
    assert only_command("/todo unassign @alice @carol-d").args == ("alice", "carol-d")


def test_logins_separated_by_commas() -> None:
    assert only_command("/todo assign @a, @b,@c").args == ("a", "b", "c")


def test_repeated_logins_and_labels_count_once_ignoring_case() -> None:
    assert only_command("/todo assign @Alice alice @ALICE bob").args == ("Alice", "bob")
    assert only_command("/todo label Bug bug BUG").args == ("Bug",)


def test_label_and_unlabel_take_names() -> None:
    assert only_command("/todo label bug docs").args == ("bug", "docs")
    assert only_command("/todo unlabel needs-triage").args == ("needs-triage",)


@pytest.mark.parametrize(
    "written",
    ['"good first issue"', "\u201cgood first issue\u201d", "`good first issue`"],
)
def test_quoted_label_keeps_its_spaces(written: str) -> None:
    assert only_command(f"/todo label {written} bug").args == ("good first issue", "bug")


def test_label_with_an_apostrophe_inside_a_word() -> None:
    assert only_command("/todo label won't-fix").args == ("won't-fix",)


def test_tabs_separate_verb_and_arguments() -> None:
    assert only_command("/todo\tassign\t@a").args == ("a",)


def test_every_verb_is_reachable_in_exactly_its_context() -> None:
    on_issue = set(verbs_for(on_pull_request=False))
    on_pr = set(verbs_for(on_pull_request=True))
    assert on_issue | on_pr == set(VERBS)
    assert on_issue & on_pr == {"help"}
    assert on_pr == {"preview", "help"}


# --- malformed commands ---------------------------------------------------------------


@pytest.mark.parametrize("verb", ["assign", "unassign", "label", "unlabel"])
def test_missing_argument(verb: str) -> None:
    error = only_error(f"/todo {verb}")
    assert f"`{verb}` needs at least one" in error.reason
    assert error.text == f"/todo {verb}"


def test_only_commas_is_a_missing_login() -> None:
    assert only_error("/todo assign , ,").reason == "no login given"


@pytest.mark.parametrize("verb", ["reopen", "unlink", "sync", "help"])
def test_arguments_to_a_verb_that_takes_none(verb: str) -> None:
    assert "takes no arguments" in only_error(f"/todo {verb} now please").reason


@pytest.mark.parametrize(
    "login", ["-alice", "alice-", "al--ice", "al_ice", "al.ice", "a" * 40, "al!ce", "@"]
)
def test_bad_login(login: str) -> None:
    error = only_error(f"/todo assign @ok {login}")
    assert error.reason.endswith("is not a GitHub login")
    assert login in error.reason


@pytest.mark.parametrize("login", ["a", "A1", "a-b-c", "x" * 39, "0day"])
def test_good_login(login: str) -> None:
    assert is_valid_login(login)
    assert only_command(f"/todo assign @{login}").args == (login,)


def test_unclosed_quote() -> None:
    assert only_error('/todo label "good first issue').reason.startswith("unclosed quote")


def test_empty_and_too_long_labels() -> None:
    assert only_error('/todo label ""').reason == "an empty label name"
    assert "at most 50 characters" in only_error("/todo label " + "x" * 51).reason
    assert only_command("/todo label " + "x" * 50).args == ("x" * 50,)


@pytest.mark.parametrize(
    ("verb", "nearest"),
    [("asign", "assign"), ("lable", "label"), ("unasign", "unassign"), ("Done", "done")],
)
def test_unknown_verb_names_the_nearest(verb: str, nearest: str) -> None:
    error = only_error(f"/todo {verb} x")
    assert error.reason == f"unknown verb `{verb}`: did you mean `{nearest}`?"


def test_unknown_verb_on_a_pull_request_suggests_among_its_verbs() -> None:
    assert "did you mean `preview`?" in only_error("/todo previwe", on_pull_request=True).reason


def test_unknown_verb_with_nothing_near() -> None:
    assert (
        only_error("/todo xyzzy").reason == "unknown verb `xyzzy`: `/todo help` lists the commands"
    )


def test_unknown_verb_with_backticks_is_quoted_as_one_code_span() -> None:
    # The reason embeds the verb in a code span that its own backticks cannot end early.
    assert only_error("/todo a`b").reason.startswith("unknown verb ``a`b``:")


def test_missing_verb() -> None:
    assert only_error("/todo").reason.startswith("no verb after `/todo`")
    assert only_error("/todo   ").line == 1


@pytest.mark.parametrize("verb", ["done", "reopen", "assign", "label", "unlink", "sync"])
def test_issue_verb_on_a_pull_request(verb: str) -> None:
    error = only_error(f"/todo {verb} x", on_pull_request=True)
    assert error.reason.startswith(f"`{verb}` works on the issues the bot filed")


def test_preview_on_an_issue() -> None:
    assert only_error("/todo preview").reason == "`preview` works on notes pull requests only"


# --- what is and is not a command line ---------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "/todoo done",
        "/todos",
        "/todo: done",
        "/TODO done",
        "/Todo done",
        "please /todo done",
        "\\/todo done",
        "`/todo done`",
        "```\n/todo done\n```",
        "~~~md\n/todo done\n~~~",
        "    /todo done",
        "\t/todo done",
        "> /todo done",
        "> > /todo done",
        "> quoted\n/todo done",  # a lazy continuation line still belongs to the quote
        "- /todo done",
        "* item\n  /todo done",
        "1. /todo done",
        "- [ ] /todo done",
        "<!--\n/todo done\n-->",
        "<!-- /todo done -->",
        "<details>\n/todo done\n</details>",
        "text <!--\n/todo done -->",
        "a `code span\n/todo done` ends",
        "*emphasis\n/todo done*",
        "~~struck\n/todo done~~",
        "[link text\n/todo done](https://example.com)",
        "[x](\n/todo)",
        "![alt\n/todo done](i.png)",
        "# /todo done",
        "/todo done\n---",
        "/todo done | x\n--- | ---",
        "<span title='\n/todo done'>x</span>",
    ],
    ids=repr,
)
def test_not_a_command(body: str) -> None:
    assert issue(body) == ([], [])


def test_a_later_line_of_a_paragraph_is_a_command() -> None:
    commands, _ = issue("Thanks, that was quick!\n/todo done")
    assert commands == [Command("done", (), 2, "/todo done")]


def test_a_line_after_a_code_span_that_spans_lines_is_numbered_right() -> None:
    commands, _ = issue("see `a\nb` here\n/todo done x")
    assert [(c.line, c.args) for c in commands] == [(3, ("x",))]


def test_a_line_after_a_hard_break() -> None:
    assert [c.line for c in issue("first\\\n/todo reopen")[0]] == [2]


def test_the_next_line_is_not_part_of_the_command() -> None:
    assert only_command("/todo done\nbecause it shipped").args == ()


def test_up_to_three_spaces_of_indent_and_trailing_spaces() -> None:
    assert only_command("   /todo sync   ").text == "/todo sync"


def test_after_a_list_a_blank_line_makes_a_top_level_paragraph() -> None:
    commands, _ = issue("- one\n- two\n\n/todo sync")
    assert [c.line for c in commands] == [4]


def test_text_that_looks_like_the_internal_line_tag_does_not_confuse_it() -> None:
    body = "zqtodoline zqtodolineq 0\n/todo done\n`zqtodoline`"
    assert [c.line for c in issue(body)[0]] == [2]


def test_crlf_and_lone_cr_line_endings() -> None:
    for newline in ("\r\n", "\r"):
        body = newline.join(["Thanks!", "", "/todo assign @a", "/todo label bug", ""])
        commands, errors = issue(body)
        assert errors == []
        assert [(c.verb, c.args, c.line) for c in commands] == [
            ("assign", ("a",), 3),
            ("label", ("bug",), 4),
        ]
        assert all("\r" not in c.text for c in commands)


def test_several_commands_in_one_comment_in_line_order() -> None:
    body = "\n".join(
        [
            "Triage notes:",
            "/todo assign @alice",
            "/todo lable bug",
            "",
            "> /todo done",
            "",
            "```",
            "/todo unlink",
            "```",
            "/todo label docs",
            "/todo preview",
        ]
    )
    commands, errors = issue(body)
    assert [(c.line, c.verb) for c in commands] == [(2, "assign"), (10, "label")]
    assert [(e.line, e.text) for e in errors] == [(3, "/todo lable bug"), (11, "/todo preview")]


def test_too_many_commands_in_one_comment() -> None:
    total = MAX_COMMANDS_PER_COMMENT + 5
    commands, errors = issue("\n".join(["/todo sync"] * total))
    assert len(commands) == MAX_COMMANDS_PER_COMMENT
    assert len(errors) == 1
    assert errors[0].line == MAX_COMMANDS_PER_COMMENT + 1
    assert "the 4 after it were not run" in errors[0].reason


def test_a_comment_without_commands() -> None:
    assert issue("") == ([], [])
    assert issue("LGTM, thanks for the notes. We use /todo commands here.") == ([], [])


# --- properties ------------------------------------------------------------------------

_FRAGMENTS = [
    *["/todo ", "/todo", "/todoo", "done", "assign @a", "label ", '"x y"', "lable"],
    *["\n", "\r\n", "\r", " ", "\t", "    ", "> ", "- ", "1. ", "# ", "---", "|"],
    *["`", "```", "~~~", "~~", "*", "_", "<!--", "-->", "<div>", "[", "](u)", "\\", "text"],
]
_LINE = st.tuples(
    st.sampled_from(["", "", "", " ", "> ", "- ", "    ", "```", "<!--", "`", "*"]),
    st.sampled_from(["/todo ", "/todo ", "/todo", "text "]),
    st.sampled_from(["done", "sync", "assign @a", 'label "x y"', "lable", "`", "-->", "*", ""]),
).map("".join)
_MARKDOWNISH = st.one_of(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=30).map("".join),
    st.lists(_LINE, max_size=12).map("\n".join),
)


@settings(max_examples=300, deadline=None)
@given(_MARKDOWNISH)
def test_every_command_and_error_points_at_a_line_starting_with_todo(body: str) -> None:
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    commands, errors = issue(body)
    found = [(c.line, c.text) for c in commands] + [(e.line, e.text) for e in errors]
    for line, text in found:
        assert lines[line - 1].strip() == text
        assert text == "/todo" or text.startswith(("/todo ", "/todo\t"))
    assert len({line for line, _ in found}) == len(found)


@settings(max_examples=200, deadline=None)
@given(_MARKDOWNISH)
def test_quoting_or_fencing_a_comment_disarms_every_command(body: str) -> None:
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert issue("\n".join("> " + line for line in lines)) == ([], [])
    fence = "~" * max(3, body.count("~") + 3)
    assert issue(f"{fence}\n" + "\n".join(lines) + f"\n{fence}") == ([], [])


def test_a_login_copied_from_a_bot_quote_keeps_working() -> None:
    commands, errors = parse_commands("/todo assign @\u200bzoe", on_pull_request=False)
    assert errors == []
    assert [c.args for c in commands] == [("zoe",)]
