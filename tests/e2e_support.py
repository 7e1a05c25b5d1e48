"""Set-up the end-to-end test modules share: the real server in app mode against the fake
GitHub, repositories each with their own installation, and deliveries waited out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from bot_process import BotProcess, start_bot
from fake_github import FakeGitHub, FakeRepo
from fake_github.fixture import violation_report


@asynccontextmanager
async def app_bot(
    fake: FakeGitHub, log_dir: Path, env: Mapping[str, str] | None = None
) -> AsyncIterator[BotProcess]:
    """The real server in app mode against ``fake``, writing without pauses; ``env`` adds
    variables. On leaving, the server must stop cleanly."""
    process = await start_bot(
        log_dir,
        api_url=fake.url,
        token=None,
        app_id=str(fake.app_id),
        private_key=fake.private_key_pem,
        env={"GITHUB_MUTATION_INTERVAL": "0", **(env or {})},
    )
    # the fake is GitHub: it sends the deliveries and remembers them for redelivery
    fake.hook.configure(f"{process.url}/webhook", process.secret)
    process.hook = fake.hook
    yield process
    assert await process.stop() == 0


def e2e_fixtures(
    log_name: str, env: Mapping[str, str] | None = None
) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """The fixtures of an end-to-end module: ``fake`` (one fake GitHub for the module),
    ``bot`` (the real server against it, ``env`` added, logging under ``log_name``) and the
    autouse ``contract_kept`` check after every test. Unpack them into module names:

        fake, bot, contract_kept = e2e_fixtures("push-bot")
    """

    @pytest.fixture(scope="module", name="fake")
    def fake_fixture() -> Iterator[FakeGitHub]:
        with FakeGitHub() as server:
            # The bot is the client: every request must name GitHub's media type and version.
            server.strict_headers = True
            yield server

    @pytest_asyncio.fixture(scope="module", loop_scope="module", name="bot")
    async def bot_fixture(
        fake: FakeGitHub, tmp_path_factory: pytest.TempPathFactory
    ) -> AsyncIterator[BotProcess]:
        async with app_bot(fake, Path(tmp_path_factory.mktemp(log_name)), env) as process:
            yield process

    @pytest.fixture(autouse=True, name="contract_kept")
    def contract_kept_fixture(fake: FakeGitHub) -> Iterator[None]:
        yield
        assert_contract_kept(fake)

    return fake_fixture, bot_fixture, contract_kept_fixture


def assert_contract_kept(fake: FakeGitHub) -> None:
    """Fail when a request since the last check broke GitHub's contract (and forget them)."""
    found = fake.clear_violations()
    assert not found, violation_report(found)


def installed_repo(
    fake: FakeGitHub,
    full_name: str,
    files: dict[str, str],
    installation_id: int,
    roles: Mapping[str, str],
) -> FakeRepo:
    """A repository with its own installation, each login in ``roles`` given its role."""
    # One installation per repository: a token reaches the repositories its installation had
    # when it was minted, and the server keeps its tokens for the whole module.
    repo = fake.add_repo(full_name, files=files, installation_id=installation_id)
    for login, role in roles.items():
        repo.set_permission(login, role)
    return repo


async def deliver_and_wait(
    bot: BotProcess,
    event: str,
    payload: dict[str, Any],
    *,
    delivery_id: str | None = None,
    accepted: Collection[int] = (202,),
    ok: bool = True,
) -> dict[str, Any]:
    """Deliver a signed webhook, wait until the server is idle and return its counters.

    ``accepted``: the statuses the delivery may be answered with. ``ok``: no job may fail.
    """
    failed = (await bot.health()).body["failed"]
    answer = await bot.deliver(event, payload, delivery_id=delivery_id)
    assert answer.status in accepted, answer
    counters = await bot.wait_idle()
    if ok:
        assert counters["failed"] == failed, bot.stderr()[-4000:]
    return counters
