"""``python -m bot sync OWNER/REPO [--dry-run]`` end to end: the real command line, run as a
subprocess against the fake GitHub (app mode and token mode), checked on the fake's issues,
comments and request log.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from bot_process import bot_env
from e2e_support import e2e_fixtures
from fake_github import FakeGitHub, FakeRepo

from bot.markdown.issue_body import parse_marker

ROOT = Path(__file__).resolve().parents[1]
M1 = "minutes/2024-06-03.md"
M2 = "minutes/2024-06-10.md"
SETTINGS = ".github/meeting-todo-bot.yml"

FIRST = """\
# Docs working group, 3 June 2024

Present:
* Ines Moreau / Docs / @ines
* Kofi Boateng / Docs / @kofi

## Decisions
- We keep the old tutorial online until the new one is reviewed.

## Action items
- [ ] Ines: move the tutorial screenshots to the new theme
- [ ] Kofi: ask the translators which pages they want first
- [x] Ines: archive the 2019 style guide
- [ ] Lucia: find a reviewer for the glossary
"""

SECOND_ITEMS = "\n".join(
    f"- [ ] Kofi: proofread chapter {n} of the user guide" for n in range(1, 23)
)

SECOND = f"""\
# Docs working group, 10 June 2024

Present:
* Ines Moreau / Docs / @ines
* Kofi Boateng / Docs / @kofi

## Action items
- [ ] Ines: move the tutorial screenshots to the new theme
{SECOND_ITEMS}
"""


# `sync` runs as a command, not through the server: the module's bot fixture goes unused.
fake, _, contract_kept = e2e_fixtures("sync-bot")


_numbers = iter(range(1, 10_000))


def new_repo(fake: FakeGitHub, files: dict[str, str]) -> FakeRepo:
    n = next(_numbers)
    repo = fake.add_repo(f"docs/wg-{n}", files=files, installation_id=700 + n)
    repo.set_permission("ines", "write")
    repo.set_permission("kofi", "write")
    return repo


def run_sync(
    fake: FakeGitHub, *args: str, token: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m bot sync ARGS``, in app mode, or in token mode with ``token``."""
    environment = bot_env(
        port=0,
        secret=None,
        api_url=fake.url,
        token=token,
        app_id=None if token else str(fake.app_id),
        private_key=None if token else fake.private_key_pem,
        log_level="INFO",
        extra={
            "GITHUB_MUTATION_INTERVAL": "0",
            "GITHUB_RETRY_BACKOFF_SCALE": "0.01",
            **(env or {}),
        },
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "sync", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def writes_since(fake: FakeGitHub, start: int, repo: FakeRepo) -> list[tuple[str, str]]:
    prefix = f"/repos/{repo.full_name}/"
    return [
        (r.method, r.path.removeprefix(prefix))
        for r in fake.requests[start:]
        if r.method != "GET" and r.path.startswith(prefix)
    ]


def issues_by_title(repo: FakeRepo) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    keys: set[str] = set()
    for issue in repo.issues.values():
        marker = parse_marker(issue["body"])
        assert marker is not None and marker.key not in keys, "one issue per key"
        keys.add(marker.key)
        found[issue["title"]] = issue
    return found


def test_dry_run_prints_the_plan_and_writes_nothing(fake: FakeGitHub) -> None:
    repo = new_repo(fake, {M1: FIRST, M2: SECOND})
    start = len(fake.requests)
    done = run_sync(fake, repo.full_name, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert writes_since(fake, start, repo) == []
    assert repo.issues == {} and repo.labels == {}
    lines = done.stdout.splitlines()
    assert all(line.startswith("would ") for line in lines), lines
    # One issue per open item; the done one and the repeated one are not filed again.
    assert len(lines) == 25
    filed = [line for line in lines if line.startswith("would file issue")]
    assert len(filed) == 25
    assert sum("move the tutorial screenshots" in line for line in lines) == 1
    assert not any("archive the 2019 style guide" in line for line in lines)
    assert any("find a reviewer for the glossary" in line for line in lines)
    assert f"{repo.full_name}: 2 notes files, 25 actions planned" in done.stderr
    # Owners nobody resolves are pointed out, with the fix.
    line = FIRST.splitlines().index("- [ ] Lucia: find a reviewer for the glossary") + 1
    assert f"note: {M1}:{line}: owners not found: Lucia (add them" in done.stderr


def test_sync_backfills_once_then_writes_nothing(fake: FakeGitHub) -> None:
    repo = new_repo(fake, {M1: FIRST, M2: SECOND, "README.md": "# Docs WG\n"})
    start = len(fake.requests)
    done = run_sync(fake, repo.full_name)
    assert done.returncode == 0, done.stderr
    # Past the per-push cap of 20: a backfill is deliberate and files everything.
    filed = issues_by_title(repo)
    assert len(filed) == 25
    assert (
        sum(
            method == "POST" and path == "issues"
            for method, path in writes_since(fake, start, repo)
        )
        == 25
    )
    screenshots = filed["move the tutorial screenshots to the new theme"]
    assert [a["login"] for a in screenshots["assignees"]] == ["ines"]
    assert f"{fake.web_url}/{repo.full_name}/blob/{repo.head()}/{M1}#L" in screenshots["body"]
    glossary = filed["find a reviewer for the glossary"]
    assert (
        glossary["assignees"] == []
        and "Lucia" in glossary["body"]
        and "`people`" in glossary["body"]
    )
    assert "archive the 2019 style guide" not in filed
    assert all(issue["user"]["login"] == fake.bot_login for issue in filed.values())
    assert "25 writes, 0 already done, 0 failed" in done.stderr

    start = len(fake.requests)
    again = run_sync(fake, repo.full_name)
    assert again.returncode == 0, again.stderr
    assert writes_since(fake, start, repo) == []
    assert again.stdout == ""
    assert "0 actions planned" in again.stderr
    assert len(repo.issues) == 25


def test_sync_heals_missed_deliveries_in_token_mode(fake: FakeGitHub) -> None:
    fake.add_token("sync-token", "docs-bot")
    token_env = {"GITHUB_BOT_LOGIN": "docs-bot"}
    repo = new_repo(fake, {M1: FIRST})
    assert run_sync(fake, repo.full_name, token="sync-token", env=token_env).returncode == 0
    filed = issues_by_title(repo)
    assert len(filed) == 3
    assert {issue["user"]["login"] for issue in filed.values()} == {"docs-bot"}
    screenshots = filed["move the tutorial screenshots to the new theme"]["number"]
    translators = filed["ask the translators which pages they want first"]["number"]

    # Pushes the bot never heard of: one item ticked, another reworded.
    repo.push(
        {
            M1: FIRST.replace("- [ ] Ines: move", "- [x] Ines: move").replace(
                "which pages they want first", "which pages they want translated first"
            )
        }
    )
    start = len(fake.requests)
    healed = run_sync(fake, repo.full_name, token="sync-token", env=token_env)
    assert healed.returncode == 0, healed.stderr
    assert repo.issues[screenshots]["state"] == "closed"
    assert repo.issues[screenshots]["state_reason"] == "completed"
    assert len(repo.comments[screenshots]) == 1
    assert repo.issues[translators]["title"] == (
        "ask the translators which pages they want translated first"
    )
    assert len(repo.issues) == 3
    assert ("POST", "issues") not in writes_since(fake, start, repo)

    start = len(fake.requests)
    assert run_sync(fake, repo.full_name, token="sync-token", env=token_env).returncode == 0
    assert writes_since(fake, start, repo) == []


def test_sync_refuses_what_it_cannot_do(fake: FakeGitHub) -> None:
    bad_name = run_sync(fake, "not-a-repository")
    assert bad_name.returncode == 2 and "OWNER/REPO" in bad_name.stderr

    no_credentials = run_sync(fake, "docs/wg", env={"GITHUB_APP_ID": "", "GITHUB_TOKEN": ""})
    assert no_credentials.returncode == 2 and "credentials" in no_credentials.stderr

    repo = new_repo(fake, {M1: FIRST, SETTINGS: "removed_items: shred\n"})
    start = len(fake.requests)
    broken = run_sync(fake, repo.full_name)
    assert broken.returncode == 2
    assert "removed_items" in broken.stderr
    assert writes_since(fake, start, repo) == []
    assert repo.issues == {}
