"""Replay team-compass's notes history through the real server: 152 pushes, each delivered as
a signed ``push`` webhook (and then again, as GitHub's "Redeliver" would), against the fake.

What must hold (issue 3's acceptance): one issue per item key, no search calls, no write for a
push that changes no action item, no write for a redelivered push, and the 75-file rename
neither comments nor files anything. The per-push cap of 20 new issues bites on big pushes:
that is the expected behaviour (a commit comment instead of issues), not a failure.

``tests/benchmarks/bench_replay.py`` runs the same replay and prints its numbers.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from bot_process import BotProcess, start_bot
from cachetools import LRUCache
from fake_github import FakeGitHub, FakeRepo
from fake_github.fixture import violation_report
from fake_github.webhooks import push_payload

from bot.engine.read import parse_notes
from bot.markdown.issue_body import parse_marker
from bot.settings import DEFAULT_SETTINGS, is_notes_path

ROOT = Path(__file__).resolve().parents[1]
REPLAY = ROOT / ".." / "shared" / "corpus" / "replay" / "team-compass-pushes.jsonl"
REPO = "jupyterhub/team-compass"
#: People of the roll calls who may be assigned in the replayed repository (the others are not).
ASSIGNABLE = ("minrk", "betatim", "choldgraf", "willingc", "consideRatio", "yuvipanda")
BOT_ENV = {"GITHUB_MUTATION_INTERVAL": "0", "GITHUB_RETRY_BACKOFF_SCALE": "0.01"}


def load_pushes(path: Path = REPLAY) -> list[dict[str, Any]]:
    """The replayed pushes, oldest first (skips the test when the corpus is absent)."""
    if not path.is_file():
        pytest.skip(f"shared corpus absent: {path}")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --- what a push changes, computed from the reader alone -----------------------------------------

ItemSignature = tuple[Any, ...]
#: Parsed notes shared by the module's tests (the replay reads the same files many times).
PARSED: LRUCache[Any, Any] = LRUCache(maxsize=64)


def item_signatures(tree: Mapping[str, str], paths: Sequence[str]) -> Counter[ItemSignature]:
    """Every item in ``paths`` with everything an issue shows of it but its line."""
    found: Counter[ItemSignature] = Counter()
    for path in paths:
        text = tree.get(path)
        if text is None:
            continue
        notes = parse_notes(text, path, DEFAULT_SETTINGS, PARSED)  # results remembered
        meeting = (notes.meeting.title, notes.meeting.date)
        for item in notes.items:
            shown = {k: v for k, v in item.as_json().items() if k not in ("path", "line")}
            found[(path, *meeting, json.dumps(shown, sort_keys=True))] += 1
    return found


@dataclass(frozen=True)
class PushChange:
    """One push of the replay, as files for the fake and what it does to the notes."""

    files: dict[str, str | None]
    renames: dict[str, str]
    #: Notes files renamed (old -> new).
    notes_renames: dict[str, str]
    #: Whether any action item changed (text, state, owners, meeting, file), by the reader.
    changes_items: bool


def push_change(entry: Mapping[str, Any], tree: Mapping[str, str], index: int) -> PushChange:
    """The files of one replayed push, and whether it changes an action item.

    Files without content in the replay (reStructuredText, not notes) get a stand-in text of
    their own, so that they change and are never mistaken for renames of each other.
    """
    files: dict[str, str | None] = {}
    renames: dict[str, str] = {}
    for change in entry["files"]:
        name = change["filename"]
        status = change["status"]
        stand_in = f"{name} as of push {index}\n"
        if status == "removed":
            files[name] = None
            continue
        if status == "renamed":
            renames[change["previous_filename"]] = name
        if change.get("content") is not None:
            files[name] = change["content"]
        elif status != "renamed":
            files[name] = stand_in
    notes_renames = {
        old: new
        for old, new in renames.items()
        if is_notes_path(old, DEFAULT_SETTINGS) and is_notes_path(new, DEFAULT_SETTINGS)
    }
    after_tree = dict(tree)
    for old, new in renames.items():
        after_tree[new] = after_tree.pop(old, "")
    for name, text in files.items():
        if text is None:
            after_tree.pop(name, None)
        else:
            after_tree[name] = text
    touched = {*files, *renames, *renames.values()}
    notes = sorted(p for p in touched if is_notes_path(p, DEFAULT_SETTINGS))
    before = item_signatures(tree, notes)
    # Through the renames, an item that only moved with its file is unchanged.
    moved: Counter[ItemSignature] = Counter()
    for signature, count in before.items():
        moved[(renames.get(signature[0], signature[0]), *signature[1:])] += count
    after = item_signatures(after_tree, notes)
    return PushChange(files, renames, notes_renames, changes_items=moved != after)


# --- the replay --------------------------------------------------------------------------------


@dataclass
class PushRecord:
    """What one push (and its redelivery) cost and did."""

    index: int
    message: str
    files: int
    change: PushChange
    #: The commits the push went from and to.
    before: str = ""
    after: str = ""
    reads: int = 0
    not_modified: int = 0
    writes: list[tuple[str, str, Any]] = field(default_factory=list)
    redelivery_writes: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def notifying_writes(self) -> list[tuple[str, str, Any]]:
        """Writes other than edits of an issue's body alone (which notify nobody)."""
        return [
            (method, path, body)
            for method, path, body in self.writes
            if not (method == "PATCH" and isinstance(body, dict) and set(body) == {"body"})
        ]


class Replay:
    """Pushes the corpus into a fake repository and delivers each push to the real server."""

    def __init__(self, fake: FakeGitHub, bot: BotProcess, pushes: Sequence[Mapping[str, Any]]):
        self.fake = fake
        self.bot = bot
        self.pushes = pushes
        self.repo: FakeRepo = fake.add_repo(
            REPO, files={"README.md": "# Team compass\n"}, installation_id=9001
        )
        for login in ASSIGNABLE:
            self.repo.set_permission(login, "write")
        self.records: list[PushRecord] = []
        #: Deliveries the server counted as failed (set by the caller once the replay ran).
        self.failed = 0

    def _requests(self, start: int) -> list[Any]:
        prefix = f"/repos/{self.repo.full_name}/"
        return [r for r in self.fake.requests[start:] if r.path.startswith(prefix)]

    async def _deliver(self, before: str, after: str) -> None:
        payload = push_payload(self.fake, self.repo, before, after)
        answer = await self.bot.deliver("push", payload, str(uuid.uuid4()))
        assert answer.status == 202, answer
        await self.bot.wait_idle(timeout=60)

    async def run(self, *, redeliver: bool = True) -> list[PushRecord]:
        """Replay every push in order; returns one record per push."""
        prefix = f"/repos/{self.repo.full_name}/"
        for index, entry in enumerate(self.pushes):
            change = push_change(entry, self.repo.files_at(), index)
            before, after = self.repo.push(
                change.files,
                renames=change.renames,
                message=entry.get("message") or "Update notes",
            )
            record = PushRecord(
                index, str(entry.get("message", "")), len(entry["files"]), change, before, after
            )
            start = len(self.fake.requests)
            began = time.perf_counter()
            await self._deliver(before, after)
            record.seconds = time.perf_counter() - began
            for request in self._requests(start):
                if request.method == "GET":
                    record.reads += 1
                    record.not_modified += request.status == 304
                elif request.ok:
                    path = request.path.removeprefix(prefix)
                    record.writes.append((request.method, path, request.body))
            if redeliver:
                start = len(self.fake.requests)
                await self._deliver(before, after)
                record.redelivery_writes = [
                    (r.method, r.path.removeprefix(prefix))
                    for r in self._requests(start)
                    if r.method != "GET" and r.ok
                ]
            self.records.append(record)
        return self.records

    def issue_keys(self) -> Counter[str]:
        """How many issues carry each item key."""
        keys: Counter[str] = Counter()
        for issue in self.repo.issues.values():
            marker = parse_marker(issue.get("body"))
            if marker is not None and "pull_request" not in issue:
                keys[marker.key] += 1
        return keys


# --- the tests: one replay, several checks --------------------------------------------------------

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def pushes() -> list[dict[str, Any]]:
    return load_pushes()


@pytest.fixture(scope="module")
def fake(pushes: list[dict[str, Any]]) -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.strict_headers = True  # the bot is the client
        yield server
    assert not server.violations, violation_report(server.violations)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def replay(
    fake: FakeGitHub, pushes: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Replay]:
    bot = await start_bot(
        tmp_path_factory.mktemp("replay-bot"),
        api_url=fake.url,
        token=None,
        app_id=str(fake.app_id),
        private_key=fake.private_key_pem,
        env=BOT_ENV,
    )
    try:
        run = Replay(fake, bot, pushes)
        await run.run()
        run.failed = (await bot.health()).body["failed"]
        yield run
    finally:
        assert await bot.stop() == 0


async def test_every_push_is_handled(replay: Replay) -> None:
    assert len(replay.records) == len(replay.pushes) == 152
    assert replay.failed == 0, replay.bot.stderr()[-4000:]


async def test_one_issue_per_item_and_no_search(replay: Replay, fake: FakeGitHub) -> None:
    keys = replay.issue_keys()
    assert len(keys) > 20  # the history has action items, and the bot filed them
    assert [key for key, count in keys.items() if count > 1] == []
    assert not any("/search/" in r.path for r in fake.requests)


async def test_a_push_that_changes_no_action_item_writes_nothing(replay: Replay) -> None:
    quiet = [r for r in replay.records if not r.change.changes_items and not r.change.notes_renames]
    assert len(quiet) > 50  # most pushes of the history touch no action item
    assert [(r.index, r.writes) for r in quiet if r.writes] == []


async def test_a_push_delivered_twice_writes_once(replay: Replay) -> None:
    assert [(r.index, r.redelivery_writes) for r in replay.records if r.redelivery_writes] == []


async def test_pushes_past_the_cap_file_nothing(replay: Replay) -> None:
    capped = [r for r in replay.records if any(p.startswith("commits/") for _, p, _ in r.writes)]
    for record in capped:
        assert not any(m == "POST" and p == "issues" for m, p, _ in record.writes)
    assert len(replay.repo.commit_comments) == len(capped)


async def test_renamed_notes_files_only_move_their_links(replay: Replay) -> None:
    """Every push that renames notes files: no issue or comment comes from a rename alone."""
    renaming = [r for r in replay.records if r.change.notes_renames and not r.change.changes_items]
    assert renaming
    assert [(r.index, r.notifying_writes) for r in renaming if r.notifying_writes] == []


async def test_the_75_file_rename_only_moves_links(replay: Replay) -> None:
    """The reorganisation push (it also folds old reports, some never notes, into a new archive
    file): the issues of the renamed files follow them in body edits; nothing is filed and
    nobody gets a comment."""
    (rename,) = [r for r in replay.records if len(r.change.notes_renames) >= 60]
    assert rename.notifying_writes == [], rename.notifying_writes
    edited = {int(p.split("/")[1]) for m, p, _ in rename.writes if m == "PATCH"}
    assert len(edited) > 30
    for number in edited:
        marker = parse_marker(replay.repo.issues[number]["body"])
        assert marker is not None
        assert marker.path not in rename.change.notes_renames  # no link to an old name is left
