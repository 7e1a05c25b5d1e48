"""The offline ``scan`` command: the files it reads, what it prints, its exit status, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.scan import ScanReport, item_lines, plain_report, scan_paths, summary_line
from bot.notes import read_notes
from bot.notes.model import ITEM_FIELDS, ActionItem, Meeting, NotesFile
from bot.settings import DEFAULT_SETTINGS, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]

SYNC = """\
---
title: Team sync
date: 2024-05-02
---

# Team sync, 2 May 2024

## Attendees

- Ana Lima / Example Org / @ana-lima
- Bo Chen / Another Org / @bochen

## Agenda

- Release planning
  - **TODO**: Draft the release notes for 1.2 (Ana)
- [x] Action item (@bochen): Book the room for the sprint (#42)

## Action items

- Chris to ask the venue about the projector
"""

QUIET_WEEK = """\
# Team sync, 9 May 2024

No meeting this week; the notes above carry over.
"""

TEMPLATE = """\
# Team sync, DATE

## Action items

- TODO: (placeholder) write the action items here
"""

HIDDEN = "# Draft\n\n- TODO: this draft lives in a hidden folder\n"
README = "# About our meetings\n\nTODO: explain how we run them\n"


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    """The 1-based line of ``text`` holding ``needle`` (fixtures compute lines, never hard-code)."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A notes folder whose own name ("team-meetings") is what makes its files notes."""
    folder = tmp_path / "team-meetings"
    _write(folder / "2024" / "2024-05-09.md", QUIET_WEEK)
    _write(folder / "2024" / "2024-05-02.md", SYNC)
    _write(folder / "meeting-template.md", TEMPLATE)
    _write(folder / ".drafts" / "2024-05-16.md", HIDDEN)
    _write(folder / "README.txt", README)
    monkeypatch.chdir(tmp_path)
    return folder


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    status = main(["scan", *args])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


def _reader_items(path: str, text: str, settings: Settings = DEFAULT_SETTINGS) -> list[ActionItem]:
    return list(read_notes(text.encode(), path, settings).items)


# --- which files a folder scan reads --------------------------------------------------------


def test_a_folder_is_scanned_for_notes_by_its_own_name_too(team: Path) -> None:
    report = scan_paths(["team-meetings"])
    assert [f.path for f in report.files] == [
        "team-meetings/2024/2024-05-02.md",
        "team-meetings/2024/2024-05-09.md",
    ]
    assert report.errors == ()


def test_templates_hidden_folders_and_other_files_are_left_out(team: Path) -> None:
    paths = {f.path for f in scan_paths(["team-meetings"]).files}
    assert "team-meetings/meeting-template.md" not in paths
    assert not any("/.drafts/" in p for p in paths)
    assert "team-meetings/README.txt" not in paths


def test_a_file_named_explicitly_is_always_read(team: Path) -> None:
    report = scan_paths(["team-meetings/README.txt", "team-meetings/meeting-template.md"])
    assert [f.path for f in report.files] == [
        "team-meetings/README.txt",
        "team-meetings/meeting-template.md",
    ]
    assert [i.line for i in report.files[0].items] == [_line_of(README, "TODO")]


def test_scanning_the_current_folder_shows_paths_without_a_dot(
    team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(team)
    paths = [f.path for f in scan_paths(["."]).files]
    assert paths == ["2024/2024-05-02.md", "2024/2024-05-09.md"]


def test_files_are_sorted_by_path_and_read_once(team: Path) -> None:
    report = scan_paths(["team-meetings/2024/2024-05-09.md", "team-meetings", str(team)])
    assert [f.path for f in report.files] == [
        "team-meetings/2024/2024-05-02.md",
        "team-meetings/2024/2024-05-09.md",
    ]


def test_the_settings_say_which_files_are_notes(team: Path, tmp_path: Path) -> None:
    config = _write(tmp_path / "bot.yml", "notes: ['**/*.txt']\nexclude: []\n")
    report = scan_paths(["team-meetings"], load_settings(config.read_text()))
    assert [f.path for f in report.files] == ["team-meetings/README.txt"]


def test_a_folder_without_notes_is_not_an_error_but_gets_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "docs" / "index.md", README)
    monkeypatch.chdir(tmp_path)
    status, out, err = _run(capsys, "docs")
    assert status == 0
    assert err == ["docs: no notes files here (see `notes` in the settings)"]
    assert out == [
        "0 files, 0 action items: 0 done, 0 linked to an issue, 0 with unresolved owners"
    ]


# --- plain output ---------------------------------------------------------------------------


def test_plain_output_lists_each_file_and_item_then_a_count(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "team-meetings")
    assert status == 0
    assert err == []
    items = _reader_items("team-meetings/2024/2024-05-02.md", SYNC)
    assert any(i.done for i in items), "the fixture has a done item"
    assert any(i.linked_issue for i in items), "the fixture has a linked item"
    assert any(i.unresolved for i in items), "the fixture has an unresolved owner"

    header = out[0]
    assert header.startswith("team-meetings/2024/2024-05-02.md — Team sync")
    assert header.endswith(f" · {len(items)} items")
    text = "\n".join(out)
    for item in items:
        box = "[x]" if item.done else "[ ]"
        assert f"{item.line}  {box} {item.title}" in text
        for login in item.assignees:
            assert f"@{login}" in text
        for name in item.unresolved:
            assert f"unresolved {name}" in text
        if item.linked_issue:
            assert f"linked #{item.linked_issue}" in text
    assert any(
        line.startswith("team-meetings/2024/2024-05-09.md — Team sync, 9 May 2024 · ")
        and line.endswith(" · no action items")
        for line in out
    )
    done = sum(i.done for i in items)
    linked = sum(i.linked_issue is not None for i in items)
    unresolved = sum(bool(i.unresolved) for i in items)
    assert out[-1] == (
        f"2 files, {len(items)} action items: {done} done, {linked} linked to an issue, "
        f"{unresolved} with unresolved owners"
    )


def test_the_items_of_the_fixture_are_the_ones_written(team: Path) -> None:
    items = _reader_items("team-meetings/2024/2024-05-02.md", SYNC)
    by_title = {i.title.split(" (")[0]: i for i in items}
    release = by_title["Draft the release notes for 1.2"]
    assert release.line == _line_of(SYNC, "Draft the release notes")
    assert release.assignees == ("ana-lima",)
    room = by_title["Book the room for the sprint"]
    assert (room.done, room.linked_issue, room.assignees) == (True, 42, ("bochen",))
    venue = next(i for i in items if "venue" in i.title)
    assert venue.unresolved == ("Chris",)


def test_item_lines_align_and_show_details_only_when_there_are_any() -> None:
    plain = _item(line=7, title="Water the plants")
    rich = _item(
        line=123,
        title="Book the room",
        done=True,
        assignees=("ana", "bo"),
        unresolved=("Chris",),
        linked_issue=42,
    )
    assert item_lines(plain, 3) == ["    7  [ ] Water the plants"]
    assert item_lines(rich, 3) == [
        "  123  [x] Book the room",
        "           assigned @ana, @bo · unresolved Chris · linked #42",
    ]


def test_control_characters_in_notes_cannot_reach_the_terminal() -> None:
    lines = item_lines(_item(line=1, title="Fix \x1b[2Jthe screen"), 1)
    assert lines == ["  1  [ ] Fix \\x1b[2Jthe screen"]


def test_the_header_leaves_out_a_date_the_title_already_has() -> None:
    dated = NotesFile("a.md", Meeting("Sync 2024-05-02", "2024-05-02"), (_item(line=1),))
    undated = NotesFile("b.md", Meeting("Sync", "2024-05-02"), ())
    lines = list(plain_report(ScanReport(files=(dated, undated))))
    assert lines[0] == "a.md — Sync 2024-05-02 · 1 item"
    assert lines[-1] == "b.md — Sync · 2024-05-02 · no action items"


def test_the_count_uses_singulars_and_mentions_problems() -> None:
    report = ScanReport(
        files=(NotesFile("a.md", Meeting("A"), (_item(line=1, done=True),)),),
        errors=("b.md: not UTF-8",),
    )
    assert summary_line(report) == (
        "1 file, 1 action item: 1 done, 0 linked to an issue, 0 with unresolved owners; "
        "1 problem (see above)"
    )


# --- JSON Lines -----------------------------------------------------------------------------


def test_json_writes_one_object_per_item_with_exactly_the_item_fields(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "--json", "team-meetings")
    assert (status, err) == (0, [])
    objects = [json.loads(line) for line in out]
    expected = [i.as_json() for i in _reader_items("team-meetings/2024/2024-05-02.md", SYNC)]
    assert expected, "the fixture has items"
    assert objects == expected
    assert all(tuple(o) == ITEM_FIELDS for o in objects)


def test_json_carries_the_labels_of_the_config(
    team: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path / "bot.yml", "labels: [from-notes, sync]\n")
    status, out, _ = _run(capsys, "--json", "--config", str(config), "team-meetings")
    assert status == 0
    assert out
    assert all(json.loads(line)["labels"][:2] == ["from-notes", "sync"] for line in out)


def test_one_real_process_run_of_python_m_bot_scan(team: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "scan", "--json", str(team)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    shown = f"{team.as_posix()}/2024/2024-05-02.md"
    assert objects == [i.as_json() for i in _reader_items(shown, SYNC)]


# --- exit status ----------------------------------------------------------------------------


def test_a_nonexistent_path_exits_1_and_the_rest_is_still_scanned(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "no-such-folder", "team-meetings")
    assert status == 1
    assert err == ["no-such-folder: no such file or folder"]
    assert out[0].startswith("team-meetings/2024/2024-05-02.md")
    assert out[-1].endswith("; 1 problem (see above)")


def test_a_bad_config_prints_every_problem_and_exits_2(
    team: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path / "bot.yml", "lables: [x]\nmax_new_issues_per_push: -1\n")
    status, out, err = _run(capsys, "--config", str(config), "team-meetings")
    assert status == 2
    assert out == []
    assert len(err) == 2
    assert err[0].startswith(f"{config}: line 1: key `lables`: unknown key")
    assert err[1].startswith(f"{config}: line 2: key `max_new_issues_per_push`: expected")


def test_broken_config_yaml_exits_2_with_its_line(
    team: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path / "bot.yml", "people:\n  Ana: @ana\n")
    status, out, err = _run(capsys, "--config", str(config), "team-meetings")
    assert (status, out) == (2, [])
    assert err[0].startswith(f"{config}: line 2, column 8: not valid YAML")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cannot read the settings file (No such file or directory)"),
        (b"labels: [\xff]\n", "the settings file is not UTF-8 text (byte 9)"),
    ],
)
def test_an_unreadable_config_exits_2(
    team: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    reason: str,
) -> None:
    config = tmp_path / "bot.yml"
    if content is not None:
        config.write_bytes(content)
    status, out, err = _run(capsys, "--config", str(config), "team-meetings")
    assert (status, out, err) == (2, [], [f"{config}: {reason}"])


@pytest.mark.parametrize("args", [[], ["--bogus", "x"], ["--config"]])
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, *args)
    assert status == 2
    assert out == []
    assert any("usage:" in line for line in err)


# --- bad input ------------------------------------------------------------------------------


@pytest.fixture
def bad(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A notes folder with one good file, to show the rest is still scanned."""
    folder = tmp_path / "meetings"
    _write(folder / "good.md", SYNC)
    monkeypatch.chdir(tmp_path)
    return folder


def _good_file_was_scanned(out: list[str]) -> bool:
    return any(line.startswith("meetings/good.md — Team sync") for line in out)


def test_a_binary_file_is_reported_and_exits_1(
    bad: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(bad / "scan.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    status, out, err = _run(capsys, "meetings")
    assert status == 1
    assert len(err) == 1
    assert err[0].startswith("meetings/scan.md: ")
    assert _good_file_was_scanned(out)


def test_invalid_utf8_warns_with_its_path_and_the_rest_of_the_file_is_read(
    bad: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "# Réunion\n\n- TODO: écrire le compte rendu\n"
    _write(bad / "latin1.md", text.encode("latin-1"))
    status, out, err = _run(capsys, "meetings")
    assert status == 0
    assert len(err) == 1
    assert err[0].startswith("meetings/latin1.md: warning: ")
    assert "UTF-8" in err[0]
    assert any(line.startswith("meetings/latin1.md — ") for line in out)
    assert any(line.startswith(f"  {_line_of(text, 'TODO')}  [ ] ") for line in out)
    assert _good_file_was_scanned(out)


def test_an_empty_file_is_a_meeting_without_items(
    bad: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(bad / "empty.md", "")
    status, out, err = _run(capsys, "meetings")
    assert (status, err) == (0, [])
    assert any(
        line.startswith("meetings/empty.md — ") and line.endswith(" · no action items")
        for line in out
    )


def test_broken_front_matter_warns_with_the_path_and_keeps_lines_right(
    bad: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "---\ntitle: [unclosed\ndate: 2024-05-02\n---\n\n# Sync\n\n- TODO(@ana): Fix the build\n"
    _write(bad / "broken.md", text)
    status, out, err = _run(capsys, "--json", "meetings/broken.md")
    assert status == 0
    assert err and all(line.startswith("meetings/broken.md: warning: ") for line in err)
    [item] = [json.loads(line) for line in out]
    assert item["line"] == _line_of(text, "Fix the build")
    assert item["assignees"] == ["ana"]


def test_a_10_mb_file_is_scanned(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prose = "We talked about the roadmap and the release at some length today. " * 15
    blocks = []
    for n in range(10_500):
        blocks.append(prose)
        if n % 105 == 0:
            blocks.append(f"- TODO(@ana): follow up on topic {n}")
    text = "# A long meeting\n\n" + "\n\n".join(blocks) + "\n"
    assert len(text.encode()) > 10_000_000
    _write(bad / "long.md", text)
    status, out, err = _run(capsys, "--json", "meetings/long.md")
    assert (status, err) == (0, [])
    lines = [json.loads(line)["line"] for line in out]
    assert len(lines) == 100
    assert lines == _line_of_each(text, "- TODO")


def _line_of_each(text: str, needle: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(needle)]


def test_an_unreadable_file_in_a_folder_exits_1(
    bad: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (bad / "gone.md").symlink_to(bad / "nowhere.md")  # dangling: unreadable even for root
    status, out, err = _run(capsys, "meetings")
    assert status == 1
    assert err == ["meetings/gone.md: cannot read the file (No such file or directory)"]
    assert _good_file_was_scanned(out)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission_exits_1(
    bad: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = _write(bad / "locked.md", SYNC)
    locked.chmod(0)
    try:
        status, out, err = _run(capsys, "meetings")
    finally:
        locked.chmod(0o644)
    assert status == 1
    assert err == ["meetings/locked.md: cannot read the file (Permission denied)"]
    assert _good_file_was_scanned(out)


def test_an_unreadable_folder_exits_1_and_the_rest_is_scanned(
    bad: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = bad / "2023"
    _write(locked / "old.md", SYNC)
    real_scandir = os.scandir

    def scandir(path: str) -> Iterator[os.DirEntry[str]]:
        # Root ignores permissions, so the refusal is simulated where os.walk lists a folder.
        if Path(path).resolve() == locked.resolve():
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    status, out, err = _run(capsys, "meetings")
    assert status == 1
    assert err == ["meetings/2023: cannot read the folder (Permission denied)"]
    assert _good_file_was_scanned(out)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_not_waited_on(
    bad: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(bad / "pipe.md")
    status, out, err = _run(capsys, "meetings")
    assert status == 1
    assert err == ["meetings/pipe.md: not a regular file"]
    assert _good_file_was_scanned(out)


# --- helpers --------------------------------------------------------------------------------


def _item(
    *,
    line: int,
    title: str = "Do the thing",
    done: bool = False,
    assignees: tuple[str, ...] = (),
    unresolved: tuple[str, ...] = (),
    linked_issue: int | None = None,
) -> ActionItem:
    return ActionItem(
        path="a.md",
        line=line,
        title=title,
        body=title,
        done=done,
        owners=assignees + unresolved,
        assignees=assignees,
        unresolved=unresolved,
        labels=("action-item",),
        linked_issue=linked_issue,
        key=f"key-{line}",
    )
