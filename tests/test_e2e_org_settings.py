"""Settings for a whole organisation, end to end: the real server process (the Procfile's
command, app mode) against the fake GitHub, with the owner's ``.github`` repository giving the
defaults of two notes repositories, one overriding a key and one taking a shared file as base.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from bot_process import BotProcess
from e2e_support import deliver_and_wait, e2e_fixtures
from fake_github import FakeGitHub, FakeRepo
from fake_github.webhooks import push_payload

from bot.settings import SETTINGS_PATH

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEFAULTS = """\
labels: [action-item, from-meeting]
people:
  Ana: "@ana-lima"
  Bo: bochen
"""

STRICT = """\
# shared by the teams that want removed items closed and follow-ups tracked
markers: [FOLLOW-UP]
people:
  Cy: cyrus
"""

NOTES = """\
# Platform sync 2024-05-02

## Notes
- The racks are late.
- FOLLOW-UP: ask finance about the budget

## Action items
- TODO (Ana): rotate the staging certificates
- TODO (Bo): write the disk alert runbook
- TODO (Cy): order the new racks
"""

fake, bot, contract_kept = e2e_fixtures("org-settings-bot")


@pytest_asyncio.fixture(scope="module", loop_scope="module", name="org")
async def org_fixture(fake: FakeGitHub) -> dict[str, FakeRepo]:
    """The organisation's repositories, all in one installation (added before its token is
    minted, which fixes what the token reaches)."""
    repos = {
        ".github": fake.add_repo("acme/.github", files={SETTINGS_PATH: DEFAULTS}),
        "shared": fake.add_repo("acme/shared", files={"bots/strict.yml": STRICT}),
        "plain": fake.add_repo("acme/plain", files={"README.md": "# Plain\n"}),
        "own": fake.add_repo("acme/own", files={SETTINGS_PATH: "labels: [todo]\n"}),
        "extends": fake.add_repo(
            "acme/extends", files={SETTINGS_PATH: "_extends: shared:bots/strict.yml\n"}
        ),
        # another owner, whose defaults are broken
        "broken-defaults": fake.add_repo(
            "beta/.github", installation_id=2, files={SETTINGS_PATH: "labels: [a]\nlables: b\n"}
        ),
        "beta": fake.add_repo("beta/notes", installation_id=2),
    }
    for repo in repos.values():
        for login in ("ana-lima", "bochen", "cyrus"):
            repo.set_permission(login, "write")
    return repos


async def push_notes(bot: BotProcess, fake: FakeGitHub, repo: FakeRepo) -> str:
    before, after = repo.push({"meetings/2024-05-02.md": NOTES})
    await deliver_and_wait(bot, "push", push_payload(fake, repo, before, after))
    return after


def filed(repo: FakeRepo) -> dict[str, dict[str, Any]]:
    return {i["title"]: i for i in repo.issues.values() if "pull_request" not in i}


def summary(issue: dict[str, Any]) -> tuple[list[str], list[str]]:
    labels = sorted(label["name"] for label in issue["labels"])
    return labels, sorted(a["login"] for a in issue["assignees"])


async def test_the_defaults_apply_to_a_repository_without_its_own_file(
    bot: BotProcess, fake: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    await push_notes(bot, fake, org["plain"])
    issues = filed(org["plain"])
    # FOLLOW-UP is no marker here, and nobody says who Cy is
    assert sorted(issues) == [
        "order the new racks",
        "rotate the staging certificates",
        "write the disk alert runbook",
    ]
    assert summary(issues["order the new racks"])[1] == []
    assert summary(issues["rotate the staging certificates"]) == (
        ["action-item", "from-meeting"],
        ["ana-lima"],
    )
    assert summary(issues["write the disk alert runbook"])[1] == ["bochen"]


async def test_a_repository_overrides_one_key_and_keeps_the_others(
    bot: BotProcess, fake: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    await push_notes(bot, fake, org["own"])
    issues = filed(org["own"])
    # its labels, the organisation's people
    assert summary(issues["rotate the staging certificates"]) == (["todo"], ["ana-lima"])
    assert summary(issues["write the disk alert runbook"]) == (["todo"], ["bochen"])


async def test_extends_lays_a_shared_file_over_the_defaults(
    bot: BotProcess, fake: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    await push_notes(bot, fake, org["extends"])
    issues = filed(org["extends"])
    assert "ask finance about the budget" in issues  # the shared file's marker
    for title, login in [
        ("rotate the staging certificates", "ana-lima"),  # the organisation's people ...
        ("order the new racks", "cyrus"),  # ... and the shared file's, merged
    ]:
        assert summary(issues[title]) == (["action-item", "from-meeting"], [login])


async def test_broken_defaults_stop_the_push_the_check_names_their_file_and_the_fix_files(
    bot: BotProcess, fake: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    beta = org["beta"]
    after = await push_notes(bot, fake, beta)
    assert filed(beta) == {}
    (check,) = beta.check_runs_for(after, name="meeting-todo-bot")
    assert check.conclusion == "neutral"
    assert f"beta/.github:{SETTINGS_PATH}: line 2: key `lables`: unknown key" in (check.text or "")

    # The owner's defaults are fixed; the next push to the repository, which changes no notes,
    # files the items the broken defaults held back.
    org["broken-defaults"].push({SETTINGS_PATH: "labels: [a]\n"})
    before, fixed = beta.push({"README.md": "# Beta notes\n"})
    await deliver_and_wait(bot, "push", push_payload(fake, beta, before, fixed))
    assert sorted(filed(beta)) == [
        "order the new racks",
        "rotate the staging certificates",
        "write the disk alert runbook",
    ]
    assert all(summary(issue)[0] == ["a"] for issue in filed(beta).values())
    (check,) = beta.check_runs_for(fixed, name="meeting-todo-bot")
    assert check.conclusion == "success" and (check.title or "").startswith("3 filed")
