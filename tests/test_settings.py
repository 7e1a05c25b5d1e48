"""Repository settings: loading every key, the defaults, every kind of error, and glob matching."""

from __future__ import annotations

import re
import textwrap
from dataclasses import fields
from pathlib import Path

import pytest

from bot.settings import (
    DEFAULT_EXCLUDE_GLOBS,
    DEFAULT_NOTES_GLOBS,
    DEFAULT_SETTINGS,
    SETTINGS_PATH,
    Settings,
    SettingsError,
    glob_to_regex,
    is_notes_path,
    load_settings,
    matches_globs,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "meeting-todo-bot.yml"
DOCS = ROOT / "docs" / "settings.md"

EVERY_KEY = """\
notes:
  - "docs/meetings/**/*.md"
  - "*.minutes.md"
exclude: ["**/drafts/**"]
markers: [FOLLOW-UP, Followup]
action_headings: ["Next steps"]
task_boxes_anywhere: true
labels: [from-notes, meeting]
section_labels:
  Infrastructure: [infra]
  "Docs team": docs
people:
  Chris: "@choldgraf"
  Min RK: minrk
removed_items: close
reopen_carried_over: false
max_new_issues_per_push: 0
max_destructive_per_push: 3
"""


def _problems(text: str, source: str = "repo.yml") -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(text, source)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def _single_problem(text: str, source: str = "repo.yml") -> str:
    problems = _problems(text, source)
    assert len(problems) == 1, problems
    return problems[0]


# --- loading -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n", "---\n", "~\n"])
def test_an_empty_file_gives_the_defaults(text: str) -> None:
    assert load_settings(text) == Settings()


def test_the_defaults_are_documented_values() -> None:
    assert DEFAULT_SETTINGS.notes == DEFAULT_NOTES_GLOBS
    assert DEFAULT_SETTINGS.exclude == DEFAULT_EXCLUDE_GLOBS
    assert DEFAULT_SETTINGS.labels == ("action-item",)
    assert DEFAULT_SETTINGS.removed_items == "comment"
    assert DEFAULT_SETTINGS.reopen_carried_over is True
    assert DEFAULT_SETTINGS.task_boxes_anywhere is False
    assert DEFAULT_SETTINGS.max_new_issues_per_push == 20
    assert dict(DEFAULT_SETTINGS.people) == {}
    assert dict(DEFAULT_SETTINGS.section_labels) == {}


def test_every_key_is_read() -> None:
    settings = load_settings(EVERY_KEY)
    assert settings.notes == ("docs/meetings/**/*.md", "*.minutes.md")
    assert settings.exclude == ("**/drafts/**",)
    assert settings.markers == ("FOLLOW-UP", "Followup")
    assert settings.action_headings == ("Next steps",)
    assert settings.task_boxes_anywhere is True
    assert settings.labels == ("from-notes", "meeting")
    assert dict(settings.section_labels) == {"Infrastructure": ("infra",), "Docs team": ("docs",)}
    assert dict(settings.people) == {"Chris": "choldgraf", "Min RK": "minrk"}
    assert settings.removed_items == "close"
    assert settings.reopen_carried_over is False
    assert settings.max_new_issues_per_push == 0
    assert settings.max_destructive_per_push == 3


def test_the_every_key_fixture_sets_every_field_away_from_its_default() -> None:
    settings = load_settings(EVERY_KEY)
    unchanged = [
        f.name
        for f in fields(Settings)
        if getattr(settings, f.name) == getattr(DEFAULT_SETTINGS, f.name)
    ]
    assert unchanged == []


def test_keys_left_out_keep_their_defaults() -> None:
    settings = load_settings("labels: [notes]\n")
    assert settings.labels == ("notes",)
    assert settings.notes == DEFAULT_NOTES_GLOBS
    assert settings.max_new_issues_per_push == 20


def test_a_key_without_a_value_keeps_its_default() -> None:
    assert load_settings("exclude:\nlabels:\n") == DEFAULT_SETTINGS


def test_an_empty_list_is_kept_where_it_means_none() -> None:
    assert load_settings("exclude: []\n").exclude == ()


def test_a_single_text_counts_as_a_list_of_one() -> None:
    settings = load_settings("notes: minutes/*.md\nlabels: todo\n")
    assert settings.notes == ("minutes/*.md",)
    assert settings.labels == ("todo",)


def test_logins_are_kept_without_the_at_sign_either_way() -> None:
    settings = load_settings('people:\n  Ana: "@ana-b"\n  Bo: bo42\n  Cy: " @Cy "\n')
    assert dict(settings.people) == {"Ana": "ana-b", "Bo": "bo42", "Cy": "Cy"}


def test_the_removed_items_policy_is_read_in_any_case() -> None:
    assert load_settings("removed_items: Ignore\n").removed_items == "ignore"


def test_loaded_maps_cannot_be_changed() -> None:
    settings = load_settings(EVERY_KEY)
    with pytest.raises(TypeError):
        settings.people["Eve"] = "eve"  # type: ignore[index]


def test_a_byte_order_mark_is_no_problem() -> None:
    assert load_settings("\ufefflabels: [x]\n").labels == ("x",)


# --- errors: file, key, what was expected, what was found; never a traceback --------------


def test_an_unknown_key_suggests_the_nearest_known_one() -> None:
    problem = _single_problem("lables: [x]\n", source=SETTINGS_PATH)
    assert problem.startswith(f"{SETTINGS_PATH}: line 1: key `lables`: unknown key")
    assert "did you mean `labels`?" in problem
    assert "expected one of `notes`" in problem


def test_an_unknown_key_far_from_any_suggests_nothing_but_lists_the_keys() -> None:
    problem = _single_problem("colour: blue\n")
    assert "did you mean" not in problem
    for field in fields(Settings):
        assert f"`{field.name}`" in problem


@pytest.mark.parametrize(
    ("text", "key", "expected", "got"),
    [
        ("notes: 3\n", "notes", "expected a list of glob patterns", "got the number 3"),
        ("exclude: {a: b}\n", "exclude", "expected a list of glob patterns", "got a mapping"),
        ("markers: true\n", "markers", "expected a list of marker words", "got true"),
        ("action_headings: 1.5\n", "action_headings", "expected a list of heading", "1.5"),
        ("task_boxes_anywhere: 'yes'\n", "task_boxes_anywhere", "expected true or false", '"yes"'),
        ("reopen_carried_over: 1\n", "reopen_carried_over", "expected true or false", "number 1"),
        ("labels: []\n", "labels", "expected at least one label", "got an empty list"),
        ("labels: [ok, 7]\n", "labels", "item 2: expected one line of text", "the number 7"),
        ("labels: ['  ']\n", "labels", "expected one line of text", "got empty text"),
        ("section_labels: [a]\n", "section_labels", "expected a mapping from section", "a list"),
        ("section_labels:\n  Infra:\n", "section_labels", "heading `Infra`", "got nothing"),
        ("section_labels:\n  Infra: {a: 1}\n", "section_labels", "list of labels", "a mapping"),
        ("section_labels:\n  12: [x]\n", "section_labels", "expected heading text", "number 12"),
        ("people: [Chris]\n", "people", "expected a mapping from name to GitHub login", "a list"),
        (
            "people:\n  Chris: Chris H\n",
            "people",
            "name `Chris`: expected a GitHub login",
            '"Chris H"',
        ),
        ("people:\n  Chris: 12\n", "people", "expected a GitHub login", "the number 12"),
        ("people:\n  Chris: ['@a']\n", "people", "expected a GitHub login", "a list"),
        (
            "removed_items: delete\n",
            "removed_items",
            "expected one of `comment`, `close`",
            '"delete"',
        ),
        ("removed_items: false\n", "removed_items", "expected one of", "got false"),
        ("max_new_issues_per_push: -1\n", "max_new_issues_per_push", "0 or more", "number -1"),
        ("max_new_issues_per_push: 2.5\n", "max_new_issues_per_push", "whole number", "2.5"),
        ("max_new_issues_per_push: true\n", "max_new_issues_per_push", "whole number", "true"),
        ("max_new_issues_per_push: '3'\n", "max_new_issues_per_push", "whole number", '"3"'),
    ],
)
def test_a_wrong_type_names_file_key_expected_and_got(
    text: str, key: str, expected: str, got: str
) -> None:
    problem = _single_problem(text, source="cfg/bot.yml")
    assert problem.startswith("cfg/bot.yml: line "), problem
    assert f"key `{key}`" in problem
    assert expected in problem
    assert got in problem
    assert "Traceback" not in problem


def test_a_label_longer_than_github_allows_is_refused() -> None:
    problem = _single_problem(f"labels: [{'x' * 51}]\n")
    assert "key `labels`" in problem
    assert "at most 50 characters" in problem


def test_a_broken_glob_is_refused_with_the_pattern() -> None:
    problem = _single_problem("notes: ['meetings/[abc.md']\n")
    assert "key `notes`, item 1" in problem
    assert "`meetings/[abc.md`" in problem
    assert "no closing `]`" in problem


def test_every_problem_is_reported_at_once_with_its_own_line() -> None:
    text = textwrap.dedent(
        """\
        labels: 3
        colour: blue
        people:
          Ana: ana
          Bo: not a login
        max_new_issues_per_push: -2
        """
    )
    problems = _problems(text)
    assert len(problems) == 4
    assert problems[0].startswith("repo.yml: line 1: key `labels`")
    assert problems[1].startswith("repo.yml: line 2: key `colour`")
    assert problems[2].startswith("repo.yml: line 5: key `people`, name `Bo`")
    assert problems[3].startswith("repo.yml: line 6: key `max_new_issues_per_push`")


def test_a_key_written_twice_is_reported() -> None:
    problem = _single_problem("labels: [a]\nnotes: ['*.md']\nlabels: [b]\n")
    assert problem == "repo.yml: line 3: key `labels` is written twice; expected each once"


def test_a_name_written_twice_in_people_is_reported() -> None:
    problem = _single_problem("people:\n  Ana: ana\n  Ana: ana2\n")
    assert "line 3" in problem
    assert "key `people`, entry `Ana` is written twice" in problem


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("- notes\n- labels\n", "a list"),
        ("just some words\n", '"just some words"'),
        ("42\n", "the number 42"),
    ],
)
def test_a_top_level_that_is_not_a_mapping_is_refused(text: str, kind: str) -> None:
    problem = _single_problem(text)
    assert problem.startswith("repo.yml: expected a mapping of settings")
    assert problem.endswith(f"got {kind}")


def test_broken_yaml_is_reported_with_its_line() -> None:
    problem = _single_problem("labels: [a, b\nnotes: x\n")
    assert re.match(r"repo\.yml: line \d+, column \d+: not valid YAML: ", problem), problem


def test_an_unquoted_at_sign_gets_a_hint_to_quote_it() -> None:
    problem = _single_problem("people:\n  Chris: @choldgraf\n")
    assert problem.startswith("repo.yml: line 2, column 10: not valid YAML")
    assert "quote a value that starts with @" in problem


def test_tab_indentation_gets_a_hint() -> None:
    problem = _single_problem("labels:\n\t- a\n")
    assert "line 2" in problem
    assert "indent with spaces" in problem


def test_two_yaml_documents_are_refused() -> None:
    problem = _single_problem("labels: [a]\n---\nlabels: [b]\n")
    assert "not valid YAML" in problem
    assert "line 2" in problem


def test_python_tags_are_refused_not_executed() -> None:
    problem = _single_problem("labels: !!python/object/apply:os.system ['echo hi']\n")
    assert "not valid YAML" in problem


# --- globs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "kubernetes-community/sig-docs/meeting-notes-archive/2020_Weekly_Meeting_Minutes.md",
        "kubernetes-community/sig-apps/minutes/2016-05-18.md",
        "kubernetes-community/sig-auth/archive/meeting-notes-2016.md",
        "docs/meetings/x.md",
        "docs/meetings/community/2021-03-18.md",
        "webassembly-meetings/main/2019/CG-01-22.md",
        "numpy-archive/triage_meetings/2019/2019-05-22.md",
        "meeting-notes/20250114-community/index.md",
        "team-minutes.md",
        "Meetings/2024/Notes.MD",
        "MINUTES/a.md",
    ],
)
def test_the_default_globs_take_notes(path: str) -> None:
    assert is_notes_path(path, DEFAULT_SETTINGS)


@pytest.mark.parametrize(
    "path",
    [
        "docs/meetings/community/monthly-meeting-template.md",
        "webassembly-meetings/main/CG-template.md",
        "webassembly-meetings/wasi/TEMPLATE.md",
        "meetings/templates/agenda.md",
        ".github/meeting-notes-templates/community.md",
        ".github/meetings/2024-01-01.md",
        "docs/meetings/.draft.md",
        "README.md",
        "docs/index.md",
        "docs/meetings/x.txt",
        "docs/meetings/x.md.bak",
        "docs/meeting-notes.mdx",
    ],
)
def test_the_default_globs_leave_other_files(path: str) -> None:
    assert not is_notes_path(path, DEFAULT_SETTINGS)


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("**/*.md", "a.md", True),  # ** matches no folder at all
        ("**/*.md", "a/b/c.md", True),
        ("docs/**/x.md", "docs/x.md", True),
        ("docs/**/x.md", "docs/a/b/x.md", True),
        ("docs/**/x.md", "docsx/x.md", False),
        ("docs/*.md", "docs/a/x.md", False),  # * stays within one segment
        ("docs/*.md", "docs/x.md", True),
        ("*.md", "docs/x.md", False),  # a pattern matches the whole path
        ("docs/**", "docs/a/b.md", True),
        ("docs/**", "docs", False),
        ("docs/", "docs/a/b.md", True),  # a trailing slash names a folder
        ("/docs/*.md", "docs/x.md", True),
        ("./docs/*.md", "docs/x.md", True),
        ("notes/20??-*.md", "notes/2024-01.md", True),
        ("notes/20??-*.md", "notes/202-01.md", False),
        ("notes/[0-9]*.md", "notes/7.md", True),
        ("notes/[!0-9]*.md", "notes/7.md", False),
        ("notes/[!0-9]*.md", "notes/a.md", True),
        ("notes/[]]x.md", "notes/]x.md", True),
        ("a[b/c.md", "a[b/c.md", False),  # not valid: see test below
        ("notes/a**b.md", "notes/aXXb.md", True),  # a**b within a segment is a*b
        ("notes/a**b.md", "notes/a/b.md", False),
        ("notes/\\*.md", "notes/*.md", True),
        ("notes/\\*.md", "notes/x.md", False),
        ("notes/(old)+.md", "notes/(old)+.md", True),  # regex characters are literal
        ("DOCS/*.MD", "docs/x.md", True),  # case-insensitive
    ],
)
def test_glob_semantics(glob: str, path: str, matches: bool) -> None:
    if "[b/" in glob:
        with pytest.raises(ValueError, match="no closing"):
            glob_to_regex(glob)
        return
    assert matches_globs(path, (glob,)) is matches


def test_no_globs_match_nothing() -> None:
    assert not matches_globs("a.md", ())


def test_custom_globs_replace_the_defaults() -> None:
    settings = load_settings("notes: ['journal/*.md']\nexclude: ['journal/draft-*']\n")
    assert is_notes_path("journal/2024-01-02.md", settings)
    assert not is_notes_path("journal/draft-2024.md", settings)
    assert not is_notes_path("docs/meetings/x.md", settings)


def test_paths_are_normalised_before_matching() -> None:
    assert is_notes_path("./docs/meetings/x.md", DEFAULT_SETTINGS)
    assert is_notes_path("docs\\meetings\\x.md", DEFAULT_SETTINGS)


# --- the example file and the documentation stay in step with the code ----------------------


def test_the_example_settings_file_loads_and_shows_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    load_settings(text, source=str(EXAMPLE))
    for field in fields(Settings):
        assert re.search(rf"^#? ?{field.name}:", text, re.MULTILINE), field.name


def test_the_settings_documentation_covers_every_key() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for field in fields(Settings):
        assert f"### `{field.name}`" in text, field.name
