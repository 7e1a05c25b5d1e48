"""Settings files laid over each other (pure): what a repository's file keeps of its owner's
defaults, how ``_extends`` is read, and the YAML parser both go through."""

from __future__ import annotations

import pytest
import yaml

import bot.settings as settings_module
from bot.settings import (
    DEFAULT_SETTINGS,
    SETTINGS_PATH,
    Extends,
    SettingsError,
    load_settings,
    merge_settings,
    parse_settings_file,
)

ORG = "acme/.github:.github/meeting-todo-bot.yml"

ORG_TEXT = """\
labels: [action-item, from-meeting]
markers: [FOLLOW-UP]
removed_items: close
people:
  Ana: "@ana-lima"
  Bo: bochen
section_labels:
  Infrastructure: infra
  Docs: docs
"""


def layered(*texts: str) -> settings_module.Settings:
    return merge_settings(
        parse_settings_file(text, f"file{n}") for n, text in enumerate(texts, start=1)
    )


def test_no_files_give_the_defaults() -> None:
    assert merge_settings([]) == DEFAULT_SETTINGS


def test_a_key_the_repository_leaves_out_comes_from_the_defaults() -> None:
    settings = layered(ORG_TEXT, "max_new_issues_per_push: 5\n")
    assert settings.labels == ("action-item", "from-meeting")
    assert settings.markers == ("FOLLOW-UP",)
    assert settings.removed_items == "close"
    assert settings.max_new_issues_per_push == 5


def test_a_key_the_repository_sets_replaces_the_defaults_whole() -> None:
    settings = layered(ORG_TEXT, "labels: [todo]\nmarkers: []\n")
    assert settings.labels == ("todo",)
    assert settings.markers == ()  # an empty list is a value, not a gap


def test_a_key_written_without_a_value_keeps_the_value_below() -> None:
    assert layered(ORG_TEXT, "labels:\nremoved_items:\n").labels == ("action-item", "from-meeting")


def test_people_are_merged_name_by_name_the_repositorys_entry_winning() -> None:
    settings = layered(ORG_TEXT, 'people:\n  Bo: "@bo-chen"\n  Cy: cy\n')
    assert dict(settings.people) == {"Ana": "ana-lima", "Bo": "bo-chen", "Cy": "cy"}


def test_section_labels_are_merged_heading_by_heading() -> None:
    settings = layered(ORG_TEXT, "section_labels:\n  Docs: [docs, writing]\n  Ops: ops\n")
    assert dict(settings.section_labels) == {
        "Infrastructure": ("infra",),
        "Docs": ("docs", "writing"),
        "Ops": ("ops",),
    }


def test_merged_mappings_cannot_be_changed() -> None:
    people = layered(ORG_TEXT, "people:\n  Cy: cy\n").people
    with pytest.raises(TypeError):
        people["Dee"] = "dee"  # type: ignore[index]


def test_three_layers_apply_lowest_first() -> None:
    settings = layered("labels: [a]\nmarkers: [X]\n", "labels: [b]\n", "markers: [Y]\n")
    assert (settings.labels, settings.markers) == (("b",), ("Y",))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("shared", Extends(None, "shared", SETTINGS_PATH)),
        ("other-org/shared", Extends("other-org", "shared", SETTINGS_PATH)),
        ("acme/shared:bots/strict.yml", Extends("acme", "shared", "bots/strict.yml")),
        ("shared:/strict.yml", Extends(None, "shared", "strict.yml")),
        (".github", Extends(None, ".github", SETTINGS_PATH)),
    ],
)
def test_extends_names_a_repository_and_optionally_a_path(value: str, expected: Extends) -> None:
    file = parse_settings_file(f"labels: [x]\n_extends: {value}\n", "f.yml")
    assert file.extends == expected
    assert file.extends is not None and file.extends.line == 2
    assert dict(file.values) == {"labels": ("x",)}


@pytest.mark.parametrize(
    "value", ["a/b/c", "acme/shared:../x.yml", "acme/..", "5", "[shared]", '""', '"acme/shared:"']
)
def test_a_malformed_extends_is_refused_with_its_file_and_line(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings_file(f"labels: [x]\n_extends: {value}\n", ORG)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{ORG}: line 2: key `_extends`: expected a repository"), problem


def test_an_extends_without_a_value_extends_nothing() -> None:
    assert parse_settings_file("_extends:\n", "f.yml").extends is None


def test_a_file_checked_alone_does_not_follow_its_extends() -> None:
    assert load_settings("_extends: shared\nlabels: [x]\n").labels == ("x",)


def test_problems_name_the_file_they_are_in() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings_file("labels: [x]\nmax_new_issues_per_push: -1\n", ORG)
    assert caught.value.problems == [
        f"{ORG}: line 2: key `max_new_issues_per_push`: expected a whole number, 0 or more, "
        "got the number -1"
    ]


def test_the_c_loader_parses_when_pyyaml_has_it() -> None:
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert settings_module._FAST_LOADER is expected


def test_without_the_c_loader_the_same_settings_and_lines_come_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = ORG_TEXT + "people:\n  Ana: x\nlables: [y]\n"
    with pytest.raises(SettingsError) as fast:
        load_settings(text)
    monkeypatch.setattr(settings_module, "_FAST_LOADER", yaml.SafeLoader)
    with pytest.raises(SettingsError) as pure:
        load_settings(text)
    assert fast.value.problems == pure.value.problems
    assert any("line 10: key `people` is written twice" in p for p in fast.value.problems)
    assert any(p.startswith(f"{SETTINGS_PATH}: line 12: key `lables`") for p in fast.value.problems)
