"""Reading a repository's settings files against the fake GitHub: its own file at the commit,
its owner's defaults in ``OWNER/.github`` at the default branch, and ``_extends`` chains."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from fake_github import FakeGitHub, RecordedRequest

import bot.engine.settings_files as settings_files
from bot.config import Config
from bot.engine.read import load_repo_settings
from bot.github import GitHubClient, GitHubFactory, RetryPolicy
from bot.settings import DEFAULT_SETTINGS, SETTINGS_PATH, SettingsError

DEFAULTS_URL = f"/repos/acme/.github/contents/{SETTINGS_PATH}"


@pytest.fixture(autouse=True)
def fresh_log_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(settings_files, "_logged_owners", set())
    yield


@pytest.fixture
async def factory(fake_github: FakeGitHub) -> AsyncIterator[GitHubFactory]:
    # The installation's repositories are fixed when its token is minted: tests add theirs
    # before asking for a client.
    config = Config(
        webhook_secret=None,
        app_id=str(fake_github.app_id),
        private_key=fake_github.private_key_pem,
        token=None,
        api_url=fake_github.url,
        mutation_interval=0.0,
    )
    made = GitHubFactory(config, retry=RetryPolicy(backoff_scale=0.001), timeout=5.0)
    yield made
    await made.close()


async def client(factory: GitHubFactory) -> GitHubClient:
    return await factory.for_installation(1)


def settings_reads(fake: FakeGitHub) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.method == "GET" and "/contents/" in r.path]


async def test_without_any_file_the_defaults_cost_one_404(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    repo = fake_github.add_repo("acme/notes")
    gh = await client(factory)
    assert await load_repo_settings(gh, "acme/notes", repo.head()) == DEFAULT_SETTINGS
    reads = settings_reads(fake_github)
    assert [(r.path, r.status) for r in reads] == [
        (f"/repos/acme/notes/contents/{SETTINGS_PATH}", 404),
        (DEFAULTS_URL, 404),
    ]


async def test_the_owners_defaults_apply_and_the_repository_overrides_key_by_key(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    fake_github.add_repo(
        "acme/.github",
        files={SETTINGS_PATH: "labels: [action-item, org]\nmarkers: [FOLLOW-UP]\n"},
    )
    plain = fake_github.add_repo("acme/plain")
    own = fake_github.add_repo("acme/own", files={SETTINGS_PATH: "labels: [todo]\n"})
    gh = await client(factory)
    for_plain = await load_repo_settings(gh, "acme/plain", plain.head())
    for_own = await load_repo_settings(gh, "acme/own", own.head())
    assert (for_plain.labels, for_plain.markers) == (("action-item", "org"), ("FOLLOW-UP",))
    assert (for_own.labels, for_own.markers) == (("todo",), ("FOLLOW-UP",))


async def test_the_defaults_are_read_at_the_default_branch_conditionally(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    fake_github.add_repo("acme/.github", files={SETTINGS_PATH: "markers: [FOLLOW-UP]\n"})
    repo = fake_github.add_repo("acme/notes")
    gh = await client(factory)
    await load_repo_settings(gh, "acme/notes", repo.head())
    await load_repo_settings(gh, "acme/notes", repo.head())
    reads = [r for r in settings_reads(fake_github) if r.path == DEFAULTS_URL]
    assert [r.status for r in reads] == [200, 304]
    assert all("ref" not in r.query for r in reads)


async def test_the_github_repositorys_own_file_is_read_once_at_the_commit(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    dot = fake_github.add_repo("acme/.github", files={SETTINGS_PATH: "labels: [old]\n"})
    _, head = dot.push({SETTINGS_PATH: "labels: [new]\n"}, branch="topic")
    gh = await client(factory)
    assert (await load_repo_settings(gh, "acme/.github", head)).labels == ("new",)
    assert len(settings_reads(fake_github)) == 1


async def test_defaults_the_installation_cannot_see_are_none_and_logged_once(
    fake_github: FakeGitHub, factory: GitHubFactory, caplog: pytest.LogCaptureFixture
) -> None:
    fake_github.add_repo(
        "acme/.github", installation_id=None, files={SETTINGS_PATH: "labels: [org]\n"}
    )
    repo = fake_github.add_repo("acme/notes")
    gh = await client(factory)
    with caplog.at_level(logging.INFO, logger=settings_files.__name__):
        for _ in range(2):
            assert await load_repo_settings(gh, "acme/notes", repo.head()) == DEFAULT_SETTINGS
    told = [r.getMessage() for r in caplog.records if r.name == settings_files.__name__]
    assert told == [
        f"acme/.github:{SETTINGS_PATH}: no defaults there (absent, or the app's installation "
        "does not include acme/.github)"
    ]


async def test_defaults_refused_with_403_are_none_and_a_warning(
    fake_github: FakeGitHub, factory: GitHubFactory, caplog: pytest.LogCaptureFixture
) -> None:
    fake_github.add_repo("acme/.github", files={SETTINGS_PATH: "labels: [org]\n"})
    repo = fake_github.add_repo("acme/notes", files={SETTINGS_PATH: "markers: [X]\n"})
    fake_github.inject_fault("GET", r"^/repos/acme/\.github/contents/", 403)
    gh = await client(factory)
    with caplog.at_level(logging.INFO, logger=settings_files.__name__):
        settings = await load_repo_settings(gh, "acme/notes", repo.head())
    assert (settings.labels, settings.markers) == (DEFAULT_SETTINGS.labels, ("X",))
    (record,) = [r for r in caplog.records if r.name == settings_files.__name__]
    assert record.levelno == logging.WARNING
    assert "not readable (403)" in record.getMessage()


async def test_an_error_in_the_defaults_names_the_github_repository_file(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    fake_github.add_repo("acme/.github", files={SETTINGS_PATH: "labels: [a]\nlables: [b]\n"})
    repo = fake_github.add_repo("acme/notes")
    gh = await client(factory)
    with pytest.raises(SettingsError) as caught:
        await load_repo_settings(gh, "acme/notes", repo.head())
    (problem,) = caught.value.problems
    assert problem.startswith(f"acme/.github:{SETTINGS_PATH}: line 2: key `lables`: unknown key")


async def test_extends_takes_a_base_that_the_owners_defaults_lie_under(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    fake_github.add_repo(
        "acme/.github",
        files={SETTINGS_PATH: "labels: [org]\nmarkers: [FOLLOW-UP]\nremoved_items: close\n"},
    )
    fake_github.add_repo(
        "acme/shared",
        files={
            SETTINGS_PATH: "markers: [SHARED]\n",
            "bots/strict.yml": "_extends: shared\nmax_new_issues_per_push: 3\n",
        },
    )
    repo = fake_github.add_repo(
        "acme/notes",
        files={SETTINGS_PATH: "_extends: acme/shared:bots/strict.yml\nremoved_items: ignore\n"},
    )
    gh = await client(factory)
    settings = await load_repo_settings(gh, "acme/notes", repo.head())
    assert settings.labels == ("org",)  # the owner's defaults, under the whole chain
    assert settings.markers == ("SHARED",)  # the chain's last base over the defaults
    assert settings.max_new_issues_per_push == 3
    assert settings.removed_items == "ignore"  # the repository's own file over everything


async def test_a_base_in_the_same_repository_is_read_at_the_same_commit(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    repo = fake_github.add_repo("acme/notes", files={"base.yml": "labels: [old]\n"})
    _, head = repo.push(
        {"base.yml": "labels: [new]\n", SETTINGS_PATH: "_extends: notes:base.yml\n"},
        branch="topic",
    )
    gh = await client(factory)
    assert (await load_repo_settings(gh, "acme/notes", head)).labels == ("new",)


async def test_extends_naming_the_defaults_reads_them_once(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    fake_github.add_repo("acme/.github", files={SETTINGS_PATH: "labels: [org]\n"})
    repo = fake_github.add_repo("acme/notes", files={SETTINGS_PATH: "_extends: .github\n"})
    gh = await client(factory)
    assert (await load_repo_settings(gh, "acme/notes", repo.head())).labels == ("org",)
    assert [r.path for r in settings_reads(fake_github)].count(DEFAULTS_URL) == 1


async def test_a_missing_base_is_an_error_that_names_it(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    repo = fake_github.add_repo(
        "acme/notes", files={SETTINGS_PATH: "labels: [x]\n_extends: acme/nowhere:base.yml\n"}
    )
    gh = await client(factory)
    with pytest.raises(SettingsError) as caught:
        await load_repo_settings(gh, "acme/notes", repo.head())
    assert caught.value.problems == [
        f"{SETTINGS_PATH}: line 2: key `_extends`: acme/nowhere:base.yml does not exist, or the "
        "app cannot read it (its installation must include acme/nowhere)"
    ]


async def test_a_circle_of_extends_is_refused(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    fake_github.add_repo("acme/a", files={SETTINGS_PATH: "_extends: b\n"})
    fake_github.add_repo("acme/b", files={SETTINGS_PATH: "_extends: a\n"})
    repo = fake_github.add_repo("acme/notes", files={SETTINGS_PATH: "_extends: a\n"})
    gh = await client(factory)
    with pytest.raises(SettingsError) as caught:
        await load_repo_settings(gh, "acme/notes", repo.head())
    (problem,) = caught.value.problems
    assert problem == (
        f"acme/b:{SETTINGS_PATH}: line 1: key `_extends`: acme/a:{SETTINGS_PATH} is already in "
        f"the chain, which would never end: {SETTINGS_PATH} → acme/a:{SETTINGS_PATH} → "
        f"acme/b:{SETTINGS_PATH} → acme/a:{SETTINGS_PATH}"
    )


async def test_three_extends_are_followed_and_a_fourth_refused(
    fake_github: FakeGitHub, factory: GitHubFactory
) -> None:
    fake_github.add_repo("acme/c", files={SETTINGS_PATH: "labels: [deepest]\n"})
    fake_github.add_repo("acme/b", files={SETTINGS_PATH: "_extends: c\n"})
    fake_github.add_repo("acme/a", files={SETTINGS_PATH: "_extends: b\n"})
    three = fake_github.add_repo("acme/three", files={SETTINGS_PATH: "_extends: a\n"})
    fake_github.add_repo("acme/d", files={SETTINGS_PATH: "_extends: a\n"})
    four = fake_github.add_repo("acme/four", files={SETTINGS_PATH: "_extends: d\n"})
    gh = await client(factory)
    assert (await load_repo_settings(gh, "acme/three", three.head())).labels == ("deepest",)
    with pytest.raises(SettingsError) as caught:
        await load_repo_settings(gh, "acme/four", four.head())
    (problem,) = caught.value.problems
    assert problem.startswith(
        f"acme/b:{SETTINGS_PATH}: line 1: key `_extends`: expected at most 3 `_extends` in a row"
    ), problem
