"""What the check run says (bot/checks/report.py, pure): conclusions, sections, limits."""

from __future__ import annotations

from test_preview import filed, plan_of

from bot.checks.report import OUTPUT_LIMIT, SHOWN, plan_report, settings_report
from bot.settings import Settings

M1 = "meetings/2024-05-02.md"


def _notes(count: int, prefix: str = "check the rack") -> str:
    items = "".join(f"- TODO: {prefix} {n}\n" for n in range(1, count + 1))
    return f"# Sync 2024-05-02\n\n## Action items\n{items}"


def test_everything_filed_is_a_success_listing_each_issue_with_its_place() -> None:
    plan = plan_of({M1: _notes(3)})
    report = plan_report(plan, created={c.key: 40 + i for i, c in enumerate(plan.creates)})
    assert report.conclusion == "success"
    assert report.title == "3 filed, 0 updated, 0 closed"
    assert f"- #40 check the rack 1 (`{M1}:4`)" in report.text
    assert "Held back" not in report.text


def test_held_items_make_it_neutral_and_each_is_listed_with_why() -> None:
    plan = plan_of({M1: _notes(5)}, settings=Settings(max_new_issues_per_push=3))
    report = plan_report(plan)
    assert report.conclusion == "neutral" and report.title.endswith("2 held back")
    held = report.text.split("## Held back by the per-push cap")[1]
    assert "- check the rack 4 (`meetings/2024-05-02.md:7`)" in held
    assert "check the rack 5" in held and "check the rack 3" not in held
    assert "max_new_issues_per_push" in held and "next push" in held


def test_unreadable_notes_make_it_neutral_and_name_the_file() -> None:
    plan = plan_of({M1: _notes(1)})
    warning = f"{M1}: 1 invalid UTF-8 sequences, read as U+FFFD"
    report = plan_report(plan, warnings=[warning])
    assert report.conclusion == "neutral" and warning in report.text


def test_a_redelivery_still_reports_what_the_push_filed() -> None:
    first = plan_of({M1: _notes(2)})
    again = plan_of({M1: _notes(2)}, before={}, issues=filed(first))
    assert again.creates == () and len(again.filed_earlier) == 2
    assert plan_report(again).title == "2 filed, 0 updated, 0 closed"
    assert (
        plan_report(again).text
        == plan_report(first, created={c.key: n + 1 for n, c in enumerate(first.creates)}).text
    )


def test_the_preview_speaks_of_what_merging_would_do() -> None:
    report = plan_report(plan_of({M1: _notes(2)}), preview=True)
    assert report.title == "2 to file, 0 to update, 0 to close"
    assert "## Would file" in report.text


def test_settings_problems_are_neutral_and_quoted_without_notifying_anyone() -> None:
    problem = (
        ".github/meeting-todo-bot.yml: line 2: key `people`, name `Bo`: "
        'expected a GitHub login like "@octocat", got "@bo chen"'
    )
    report = settings_report([problem], repo="acme/notes")
    assert report.conclusion == "neutral" and "nothing filed" in report.title
    assert "key `people`" in report.text and "expected a GitHub login" in report.text
    assert "@octocat" not in report.text.replace("@&#8203;octocat", "")


def test_long_reports_are_cut_to_what_github_takes() -> None:
    plan = plan_of(
        {M1: _notes(400, prefix="x" * 300)}, settings=Settings(max_new_issues_per_push=0)
    )
    report = plan_report(plan)
    assert len(report.text) <= OUTPUT_LIMIT
    assert f"… and {400 - SHOWN} more" in report.text
