"""The real server process, started with the Procfile's command, over loopback HTTP."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest
from bot_process import (  # noqa: F401  (bot_server_fixture provides bot_server)
    DEFAULT_SECRET,
    StartBot,
    bot_server_fixture,
    corpus_payload,
    procfile_command,
    webhook_headers,
)
from fake_github import PASS_THROUGH, FakeGitHub, FakeRepo, RecordedRequest
from fake_github.webhooks import installation_payload, push_payload, sign

from bot.web.server import MAX_BODY_BYTES


def app_mode(fake: FakeGitHub) -> dict[str, Any]:
    """``bot_server`` options for the App's identity on the fake, writes unpaced."""
    return {
        "api_url": fake.url,
        "token": None,
        "app_id": str(fake.app_id),
        "private_key": fake.private_key_pem,
        "env": {"GITHUB_MUTATION_INTERVAL": "0"},
    }


def push_meeting(repo: FakeRepo, day: int, item: str) -> tuple[str, str]:
    """Commit a new meeting file with one action item; (before, after)."""
    notes = f"# Sync 2024-05-{day:02d}\n\n- **TODO**: {item}\n"
    return repo.push({f"meetings/2024-05-{day:02d}.md": notes})


def touching(requests: list[RecordedRequest], repo: str, after: str, item: str) -> list[float]:
    """When the fake saw the requests that belong to the push of ``after`` filing ``item``."""
    times = []
    for req in requests:
        if not req.path.startswith(f"/repos/{repo}/"):
            continue
        # A compare ends with its head; the next push's compare starts with this one's after.
        mentions_commit = req.path.endswith(after) or req.query.get("ref") == after
        files_item = isinstance(req.body, dict) and item in str(req.body.get("title", ""))
        if mentions_commit or files_item:
            times.append(req.at)
    return times


def titles(repo: FakeRepo) -> list[str]:
    return sorted(str(issue["title"]) for issue in repo.issues.values())


def installation_event(installation: int, action: str = "created") -> dict[str, Any]:
    """An ``installation`` payload in GitHub's shape (trimmed to what the bot reads)."""
    return {
        "action": action,
        "installation": {"id": installation, "account": {"login": f"org{installation}"}},
        "repositories": [{"id": 100 + installation, "full_name": f"org{installation}/notes"}],
        "sender": {"login": "octocat"},
    }


def test_procfile_runs_the_server_module() -> None:
    assert procfile_command() == "python -m bot serve"


async def test_refuses_to_start_without_a_webhook_secret(bot_server: StartBot) -> None:
    bot = await bot_server(secret=None, wait=False)
    assert await bot.wait_exit(30) == 2
    lines = bot.stderr().splitlines()
    assert len(lines) == 1, lines
    assert "GITHUB_WEBHOOK_SECRET" in lines[0]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"token": None}, "GITHUB_TOKEN"),
        ({"token": None, "app_id": "123"}, "GITHUB_PRIVATE_KEY"),
        ({"env": {"GITHUB_PRIVATE_KEY_PATH": "/nonexistent/key.pem"}, "app_id": "1"}, "PATH"),
        ({"env": {"PORT": "eighty"}}, "PORT"),
        ({"log_level": "CHATTY"}, "LOG_LEVEL"),
    ],
)
async def test_an_unusable_configuration_exits_2_with_one_line(
    bot_server: StartBot, options: dict[str, Any], named: str
) -> None:
    bot = await bot_server(wait=False, **options)
    assert await bot.wait_exit(30) == 2
    lines = bot.stderr().splitlines()
    assert len(lines) == 1, lines
    assert named in lines[0]


async def test_rejects_what_github_did_not_sign_and_what_is_malformed(
    bot_server: StartBot,
) -> None:
    bot = await bot_server()
    payload = installation_event(1)
    unsigned = await bot.deliver("installation", payload, signed=False)
    assert (unsigned.status, unsigned.state) == (401, "rejected")
    forged = await bot.deliver("installation", payload, secret="not-the-secret")
    assert forged.status == 401
    tampered_body = json.dumps(payload).encode()
    headers = webhook_headers("installation", tampered_body, "t-1", DEFAULT_SECRET)
    tampered = await bot.post(tampered_body.replace(b"org1", b"evil"), headers)
    assert tampered.status == 401
    sha1_only = await bot.deliver(
        "installation", payload, headers={"X-Hub-Signature-256": None, "X-Hub-Signature": "x"}
    )
    assert sha1_only.status == 401

    no_event = await bot.deliver("installation", payload, headers={"X-GitHub-Event": None})
    assert (no_event.status, no_event.state) == (400, "rejected")
    no_delivery = await bot.deliver("installation", payload, headers={"X-GitHub-Delivery": None})
    assert no_delivery.status == 400
    not_json = await bot.deliver("installation", b"{not json")
    assert (not_json.status, not_json.body["reason"]) == (400, "body is not JSON")

    huge = b"{" + b" " * MAX_BODY_BYTES + b"}"
    too_large = await bot.post(huge, webhook_headers("push", huge, "big", DEFAULT_SECRET))
    assert too_large.status == 413

    health = (await bot.health()).body
    assert (health["status"], health["processed"], health["failed"]) == ("ok", 0, 0)
    # One warning line per rejection, naming the delivery when it had an id.
    assert len(re.findall(r"WARNING bot\.web\.server rejected", bot.stderr())) == 8
    assert "rejected delivery=t-1 " in bot.stderr()
    assert await bot.stop() == 0


async def test_acknowledges_pings_ignores_unhandled_events_and_duplicates(
    bot_server: StartBot,
) -> None:
    bot = await bot_server()
    ping = await bot.deliver("ping", {"zen": "Design for failure.", "hook_id": 424242})
    assert (ping.status, ping.state) == (200, "pong")
    star = await bot.deliver("star", {"action": "created", "repository": {"id": 1}})
    assert (star.status, star.state) == (200, "ignored")

    first = await bot.deliver("installation", installation_event(1), delivery_id="dup-1")
    assert (first.status, first.state) == (202, "accepted")
    again = await bot.deliver("installation", installation_event(1), delivery_id="dup-1")
    assert (again.status, again.state) == (200, "duplicate")
    counters = await bot.wait_idle()
    later = await bot.deliver("installation", installation_event(1), delivery_id="dup-1")
    assert later.state == "duplicate"

    assert (counters["processed"], counters["failed"], counters["duplicates"]) == (1, 0, 1)
    assert counters["uptime"] > 0
    log = bot.stderr()
    # One line on receipt and one on completion, with the delivery id and a duration.
    assert re.search(r"delivery=dup-1 installation\.created for installation:1 accepted", log)
    assert re.search(r"delivery=dup-1 installation\.created done in [\d.]+ ms", log)
    assert "delivery=dup-1 installation created on org1 (1 repositories: org1/notes)" in log
    assert await bot.stop() == 0


async def test_github_example_payloads_from_the_corpus(bot_server: StartBot) -> None:
    created = corpus_payload("installation/created.payload.json")
    added = corpus_payload("installation_repositories/added.payload.json")
    ping = corpus_payload("ping/with-app_id.payload.json")
    issue = corpus_payload("issues/opened.payload.json")
    bot = await bot_server()
    assert (await bot.deliver("ping", ping)).state == "pong"
    assert (await bot.deliver("issues", issue)).state == "ignored"
    ids = [str(uuid.uuid4()) for _ in range(2)]
    assert (await bot.deliver("installation", created, ids[0])).status == 202
    assert (await bot.deliver("installation_repositories", added, ids[1])).status == 202
    counters = await bot.wait_idle()
    assert (counters["processed"], counters["failed"]) == (2, 0)
    log = bot.stderr()
    account = created["installation"]["account"]["login"]
    assert f"delivery={ids[0]} installation created on {account}" in log
    assert f"delivery={ids[1]} installation on " in log
    assert "nothing filed" in log
    assert await bot.stop() == 0


async def test_sigterm_exits_0_and_what_was_accepted_survives_a_restart(
    bot_server: StartBot, tmp_path: Path
) -> None:
    queue = {"QUEUE_URL": f"sqlite:///{tmp_path / 'shared-queue.sqlite3'}"}
    bot = await bot_server(env=queue)
    for n in range(20):
        answer = await bot.deliver("installation", installation_event(n % 4 + 1))
        assert answer.status == 202
    assert await bot.stop() == 0
    assert "stopped" in bot.stderr()
    # A new server on the same queue file: everything accepted is done once, none lost.
    again = await bot_server(env=queue)
    counters = await again.wait_idle()
    assert (counters["processed"], counters["failed"], counters["dead"]) == (20, 0, 0)
    assert counters["duplicates"] == 0
    assert await again.stop() == 0


def test_signature_helper_matches_githubs_documented_vector() -> None:
    """HEADERS.md's example: the harness signs exactly as GitHub does."""
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign(b"Hello, World!", "It's a Secret to Everybody") == expected


async def test_app_mode_installation_events_file_nothing_and_need_no_token(
    bot_server: StartBot, fake_github: FakeGitHub
) -> None:
    """Installing files nothing; a deleted installation (no token possible) is no failure."""
    fake_github.add_repo("acme/notes", files={"notes/2024-05-01.md": "**TODO**: write it\n"})
    bot = await bot_server(
        api_url=fake_github.url,
        token=None,
        app_id=str(fake_github.app_id),
        private_key=fake_github.private_key_pem,
    )
    created = installation_payload(fake_github, 1, action="created")
    deleted = installation_payload(fake_github, 1, action="deleted")
    assert (await bot.deliver("installation", created, "inst-created")).status == 202
    assert (await bot.deliver("installation", deleted, "inst-deleted")).status == 202
    counters = await bot.wait_idle()
    assert (counters["processed"], counters["failed"]) == (2, 0)
    assert fake_github.requests == []
    log = bot.stderr()
    assert "delivery=inst-created installation created on acme (1 repositories: acme/notes)" in log
    assert "delivery=inst-deleted installation deleted on acme" in log
    assert await bot.stop() == 0


async def test_one_repository_in_order_another_alongside(
    bot_server: StartBot, fake_github: FakeGitHub
) -> None:
    """Three pushes to one repository are handled one after another, in delivery order,
    even when the first is slowed down; a push to another repository is not held up."""
    notes = fake_github.add_repo("acme/notes")
    other = fake_github.add_repo("acme/other")
    pushes = [push_meeting(notes, day, f"item {day}") for day in (1, 2, 3)]
    other_push = push_meeting(other, 4, "other item")
    # The first push's compare answers late: unordered handling would let push 2 overtake it.
    fake_github.inject_fault("GET", f"/compare/.*{pushes[0][1]}", PASS_THROUGH, delay=1.5)
    bot = await bot_server(**app_mode(fake_github))
    for before, after in pushes:
        payload = push_payload(fake_github, notes, before, after)
        assert (await bot.deliver("push", payload)).status == 202
    payload = push_payload(fake_github, other, *other_push)
    assert (await bot.deliver("push", payload)).status == 202
    counters = await bot.wait_idle(timeout=60)
    assert (counters["processed"], counters["failed"]) == (4, 0), bot.stderr()

    assert titles(notes) == ["item 1", "item 2", "item 3"]
    assert titles(other) == ["other item"]
    spans = [
        touching(fake_github.requests, "acme/notes", after, f"item {day}")
        for day, (_, after) in zip((1, 2, 3), pushes, strict=True)
    ]
    assert all(spans)
    for earlier, later in itertools.pairwise(spans):
        assert max(earlier) <= min(later)
    other_times = touching(fake_github.requests, "acme/other", other_push[1], "other item")
    # The other repository's push finished while the first push still waited on its compare.
    assert max(other_times) < max(spans[0])
    assert await bot.stop() == 0


async def test_a_failing_delivery_is_logged_and_can_be_redelivered(
    bot_server: StartBot, fake_github: FakeGitHub
) -> None:
    notes = fake_github.add_repo("acme/notes")
    first = push_meeting(notes, 1, "item 1")
    second = push_meeting(notes, 2, "item 2")
    fake_github.inject_fault("GET", f"/compare/.*{first[1]}", 422, body={"message": "nope"})
    bot = await bot_server(**app_mode(fake_github))
    payloads = [push_payload(fake_github, notes, *push) for push in (first, second)]
    assert (await bot.deliver("push", payloads[0], "fails-once")).status == 202
    assert (await bot.deliver("push", payloads[1], "second")).status == 202
    counters = await bot.wait_idle(timeout=60)
    assert (counters["processed"], counters["failed"], counters["dead"]) == (1, 1, 1)
    assert titles(notes) == ["item 2"]
    log = bot.stderr()
    assert re.search(r"ERROR bot\.delivery delivery=fails-once push failed \(attempt 1 of 1\)", log)
    assert "Traceback (most recent call last)" in log

    # GitHub's "Redeliver" sends the same delivery id: a failed one is retried.
    retried = await bot.deliver("push", payloads[0], "fails-once")
    assert (retried.status, retried.state) == (202, "accepted")
    counters = await bot.wait_idle(timeout=60)
    assert (counters["processed"], counters["failed"], counters["dead"]) == (2, 1, 0)
    assert titles(notes) == ["item 1", "item 2"]
    assert (await bot.deliver("push", payloads[1], "second")).state == "duplicate"
    assert await bot.stop() == 0


async def test_sigterm_finishes_running_work_and_refuses_new_deliveries(
    bot_server: StartBot, fake_github: FakeGitHub
) -> None:
    notes = fake_github.add_repo("acme/notes")
    before, after = push_meeting(notes, 1, "item 1")
    fake_github.inject_fault("GET", f"/compare/.*{after}", PASS_THROUGH, delay=1.5)
    bot = await bot_server(**app_mode(fake_github))
    payload = push_payload(fake_github, notes, before, after)
    assert (await bot.deliver("push", payload, "slow-push")).status == 202
    while (await bot.health()).body["running"] == 0:
        await asyncio.sleep(0.01)
    bot.proc.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.2)
    late = await bot.deliver("push", payload, "too-late")
    assert (late.status, late.state) == (503, "shutting down")
    health = await bot.health()
    assert (health.status, health.body["status"], health.body["running"]) == (503, "stopping", 1)
    assert await bot.wait_exit(40) == 0
    assert titles(notes) == ["item 1"]
    log = bot.stderr()
    assert "delivery=slow-push push done" in log
    assert "handed back" not in log
