"""The fake GitHub behaves like GitHub where the bot can tell, and flags contract breaches."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_github import PASS_THROUGH, FakeGitHub, FakeRepo, coverage, webhooks
from fake_github.fixture import running_fake
from fake_github.git import ZERO_SHA
from fake_github.openapi import load_spec
from fake_github.pipeline import ROUTES
from fake_github.schema import validate
from fake_github.server import SHARED_SPEC
from gidgethub import RateLimitExceeded, apps
from gidgethub.aiohttp import GitHubAPI
from yarl import URL

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
WEBHOOK_SPEC = SHARED / "corpus" / "webhooks" / "github-webhooks-openapi-subset.json"
#: How the bot names itself (bot/github/client.py USER_AGENT).
BOT_USER_AGENT = "meeting-todo-bot"
NOTES = {
    "notes/2024-05-01.md": "# Weekly sync\n\n- **TODO**: draft the agenda (@alice)\n",
    "README.md": "# Team notes\n",
}


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """The fake, its header check off: these tests send the requests they mean to test."""
    yield from running_fake(strict_headers=False)


needs_spec = pytest.mark.skipif(
    SHARED_SPEC is None, reason="../shared GitHub OpenAPI description absent"
)


@dataclass
class Answer:
    """One HTTP exchange with the fake, as the client saw it."""

    status: int
    headers: dict[str, str]
    body: Any

    @property
    def ok(self) -> bool:
        """Whether the answer was a success (2xx)."""
        return 200 <= self.status < 300


async def call(
    fake: FakeGitHub,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Answer:
    """Send one request (``path`` already percent-encoded) and decode the answer."""
    sent = {"Accept": "application/vnd.github+json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"token {token}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        sent["Content-Type"] = "application/json"
    limit = aiohttp.ClientTimeout(total=timeout)
    async with (
        aiohttp.ClientSession(timeout=limit) as session,
        session.request(
            method, URL(fake.url + path, encoded=True), data=data, headers=sent
        ) as response,
    ):
        content = await response.read()
        decoded: Any = content.decode()
        if content and response.content_type == "application/json":
            decoded = json.loads(content)
        return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, decoded)


def app_jwt(fake: FakeGitHub, **claims: Any) -> str:
    """An app JWT as gidgethub makes it, with ``claims`` overridden."""
    now = int(time.time())
    payload = {"iat": now - 60, "exp": now + 540, "iss": str(fake.app_id), **claims}
    return jwt.encode(payload, fake.private_key_pem, algorithm="RS256")


@pytest.fixture
def repo(fake_github: FakeGitHub) -> FakeRepo:
    """``acme/notes`` with one notes file, the app installed (installation 1)."""
    return fake_github.add_repo("acme/notes", files=dict(NOTES))


@pytest.fixture
def token(fake_github: FakeGitHub, repo: FakeRepo) -> str:
    """An installation token for ``acme/notes``."""
    return fake_github.installation_token(1)


# -- authentication ------------------------------------------------------------------------------


async def test_app_jwt_mints_an_installation_token_that_reads_the_repo(
    fake_github: FakeGitHub, repo: FakeRepo
) -> None:
    async with aiohttp.ClientSession() as session:
        gh = GitHubAPI(session, "tests", base_url=fake_github.url)
        key = fake_github.private_key_pem
        found = await gh.getitem(
            "/repos/acme/notes/installation",
            jwt=apps.get_jwt(app_id=str(fake_github.app_id), private_key=key),
        )
        minted = await apps.get_installation_access_token(
            gh, installation_id=str(found["id"]), app_id=str(fake_github.app_id), private_key=key
        )
        issues = await gh.getitem("/repos/acme/notes/issues", oauth_token=minted["token"])
    assert found["id"] == 1 and found["app_slug"] == fake_github.app_slug
    expires = datetime.fromisoformat(minted["expires_at"].replace("Z", "+00:00"))
    assert 3590 <= (expires - datetime.now(UTC)).total_seconds() <= 3600
    assert issues == []


async def test_bad_app_jwts_are_refused(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_pem = other_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    now = int(time.time())
    forged = jwt.encode(
        {"iat": now, "exp": now + 60, "iss": str(fake_github.app_id)}, other_pem, algorithm="RS256"
    )
    bad = [
        forged,
        app_jwt(fake_github, iss="999"),
        app_jwt(fake_github, exp=now + 3600),
        app_jwt(fake_github, iat=now - 700, exp=now - 100),
        app_jwt(fake_github, iat=now + 600),
        fake_github.installation_token(),
    ]
    path = "/app/installations/1/access_tokens"
    for credential in bad:
        answer = await call(
            fake_github, "POST", path, headers={"Authorization": f"Bearer {credential}"}
        )
        assert answer.status == 401, credential
    good = await call(
        fake_github, "POST", path, headers={"Authorization": f"Bearer {app_jwt(fake_github)}"}
    )
    assert good.status == 201 and good.body["token"].startswith("ghs_")
    unknown = await call(
        fake_github,
        "POST",
        "/app/installations/77/access_tokens",
        headers={"Authorization": f"Bearer {app_jwt(fake_github)}"},
    )
    assert unknown.status == 404
    as_token = await call(
        fake_github, "GET", "/repos/acme/notes/issues", token=app_jwt(fake_github)
    )
    assert as_token.status == 403


async def test_installation_tokens_expire(fake_github: FakeGitHub, repo: FakeRepo) -> None:
    fake_github.token_lifetime = 120
    short = fake_github.installation_token()
    assert (await call(fake_github, "GET", "/repos/acme/notes/labels", token=short)).status == 200
    fake_github.advance_clock(121)
    expired = await call(fake_github, "GET", "/repos/acme/notes/labels", token=short)
    assert expired.status == 401 and expired.body["message"] == "Bad credentials"
    assert (await call(fake_github, "GET", "/repos/acme/notes/labels", token="nope")).status == 401
    assert (await call(fake_github, "GET", "/repos/acme/notes/labels")).status == 401


async def test_tokens_are_scoped_to_their_installation(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    fake_github.add_repo("globex/minutes", installation_id=2)
    fake_github.add_repo("acme/private-notes")
    fake_github.add_token("pat-alice", "alice")
    assert (
        await call(fake_github, "GET", "/repos/globex/minutes/issues", token=token)
    ).status == 404
    assert (await call(fake_github, "GET", "/repos/acme/nothing/issues", token=token)).status == 404
    for path in ("/repos/globex/minutes/issues", "/repos/acme/notes/issues"):
        assert (await call(fake_github, "GET", path, token="pat-alice")).status == 200
    narrowed = await call(
        fake_github,
        "POST",
        "/app/installations/1/access_tokens",
        body={"repositories": ["notes"]},
        headers={"Authorization": f"Bearer {app_jwt(fake_github)}"},
    )
    only_notes = narrowed.body["token"]
    assert (
        await call(fake_github, "GET", "/repos/acme/notes/issues", token=only_notes)
    ).status == 200
    hidden = await call(fake_github, "GET", "/repos/acme/private-notes/issues", token=only_notes)
    assert hidden.status == 404


# -- issues --------------------------------------------------------------------------------------


async def test_issues_are_authored_by_the_app_bot_or_the_tokens_person(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    repo.set_permission("alice", "write")
    fake_github.add_token("pat-bob", "bob")
    created = await call(
        fake_github,
        "POST",
        "/repos/acme/notes/issues",
        token=token,
        body={
            "title": "Draft the agenda",
            "body": "From the notes",
            "labels": ["action item"],
            "assignees": ["alice"],
        },
    )
    assert created.status == 201
    issue = created.body
    assert issue["user"]["login"] == "meeting-todo-bot[bot]" and issue["user"]["type"] == "Bot"
    assert issue["performed_via_github_app"]["slug"] == "meeting-todo-bot"
    assert [label["name"] for label in issue["labels"]] == ["action item"]
    assert "action item" in repo.labels
    assert [person["login"] for person in issue["assignees"]] == ["alice"]
    assert issue["assignee"]["login"] == "alice"
    assert created.headers["location"] == issue["url"]
    assert repo.issues[issue["number"]] == issue
    by_bob = await call(
        fake_github, "POST", "/repos/acme/notes/issues", token="pat-bob", body={"title": "Mine"}
    )
    assert by_bob.body["user"]["login"] == "bob" and by_bob.body["performed_via_github_app"] is None
    assert by_bob.body["body"] is None


async def test_creating_an_issue_with_an_unassignable_login_fails_whole(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    fake_github.add_user("mallory")
    refused = await call(
        fake_github,
        "POST",
        "/repos/acme/notes/issues",
        token=token,
        body={"title": "Draft", "assignees": ["mallory"]},
    )
    assert refused.status == 422
    assert refused.body["errors"][0] | {"message": ""} == {
        "resource": "Issue",
        "field": "assignees",
        "code": "invalid",
        "value": "mallory",
        "message": "",
    }
    too_long = await call(
        fake_github, "POST", "/repos/acme/notes/issues", token=token, body={"title": "x" * 257}
    )
    assert too_long.status == 422
    assert repo.issues == {}


async def test_issue_list_filters_sorts_and_paginates_with_pull_requests_included(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    for index in range(7):
        author = "alice" if index % 2 else "bob"
        repo.add_issue(f"Issue {index}", author=author, labels=["todo"] if index < 4 else [])
    pull = repo.open_pull(head_files={"notes/x.md": "x\n"}, author="carol")
    repo.edit_issue(1, state="closed")
    first = await call(fake_github, "GET", "/repos/acme/notes/issues?per_page=3", token=token)
    assert [issue["number"] for issue in first.body] == [8, 7, 6]
    assert 'rel="next"' in first.headers["link"] and 'rel="last"' in first.headers["link"]
    async with aiohttp.ClientSession() as session:
        gh = GitHubAPI(session, "tests", base_url=fake_github.url, oauth_token=token)
        everything = [i async for i in gh.getiter("/repos/acme/notes/issues?state=all&per_page=2")]
    assert sorted(issue["number"] for issue in everything) == list(range(1, 9))
    assert [i["number"] for i in everything if "pull_request" in i] == [pull]

    async def numbers(query: str) -> list[int]:
        answer = await call(fake_github, "GET", f"/repos/acme/notes/issues?{query}", token=token)
        assert answer.status == 200
        return [issue["number"] for issue in answer.body]

    assert await numbers("state=all&creator=alice&direction=asc") == [2, 4, 6]
    assert await numbers("state=all&labels=todo&sort=created&direction=asc") == [1, 2, 3, 4]
    assert await numbers("labels=todo") == [4, 3, 2]
    assert await numbers("state=closed") == [1]
    fake_github.advance_clock(30)
    mark = fake_github.timestamp()
    repo.edit_issue(3, title="Renamed by a person")
    assert await numbers(f"state=all&since={mark}") == [3]
    assert await numbers("state=all&sort=updated&per_page=1") == [3]


async def test_issue_update_closes_reopens_and_replaces_labels_and_assignees(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    number = repo.add_issue("Draft", author="alice", labels=["old"])
    repo.add_assignable("bob")
    path = f"/repos/acme/notes/issues/{number}"
    closed = await call(
        fake_github,
        "PATCH",
        path,
        token=token,
        body={"state": "closed", "state_reason": "not_planned"},
    )
    assert closed.body["state"] == "closed" and closed.body["state_reason"] == "not_planned"
    assert closed.body["closed_at"] and closed.body["closed_by"]["login"] == fake_github.bot_login
    reopened = await call(fake_github, "PATCH", path, token=token, body={"state": "open"})
    assert reopened.body["state_reason"] == "reopened" and reopened.body["closed_at"] is None
    edited = await call(
        fake_github,
        "PATCH",
        path,
        token=token,
        body={"title": "Draft v2", "labels": ["a", "b"], "assignees": ["bob"]},
    )
    assert edited.body["title"] == "Draft v2"
    assert [label["name"] for label in edited.body["labels"]] == ["a", "b"]
    assert [person["login"] for person in edited.body["assignees"]] == ["bob"]
    refused = await call(fake_github, "PATCH", path, token=token, body={"assignees": ["nobody"]})
    assert refused.status == 422
    fetched = await call(fake_github, "GET", path, token=token)
    assert fetched.body == repo.issues[number] and fetched.body["title"] == "Draft v2"
    missing = await call(fake_github, "PATCH", "/repos/acme/notes/issues/99", token=token, body={})
    assert missing.status == 404


async def test_adding_assignees_silently_skips_unassignable_logins(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    number = repo.add_issue("Draft")
    repo.set_permission("alice", "triage")
    path = f"/repos/acme/notes/issues/{number}/assignees"
    for _ in range(2):
        answer = await call(
            fake_github, "POST", path, token=token, body={"assignees": ["alice", "mallory"]}
        )
        assert answer.status == 201
    assert [person["login"] for person in repo.issues[number]["assignees"]] == ["alice"]


async def test_labels_are_created_listed_added_and_removed(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    number = repo.add_issue("Draft")
    base = "/repos/acme/notes"
    made = await call(
        fake_github,
        "POST",
        f"{base}/labels",
        token=token,
        body={"name": "todo", "color": "ff0000", "description": "From meeting notes"},
    )
    assert made.status == 201 and made.body["color"] == "ff0000"
    again = await call(fake_github, "POST", f"{base}/labels", token=token, body={"name": "TODO"})
    assert again.status == 422 and again.body["errors"][0]["code"] == "already_exists"
    added = await call(
        fake_github,
        "POST",
        f"{base}/issues/{number}/labels",
        token=token,
        body={"labels": ["todo", {"name": "new one"}]},
    )
    assert [label["name"] for label in added.body] == ["todo", "new one"]
    assert "new one" in repo.labels
    removed = await call(
        fake_github, "DELETE", f"{base}/issues/{number}/labels/new%20one", token=token
    )
    assert removed.status == 200 and [label["name"] for label in removed.body] == ["todo"]
    gone = await call(
        fake_github, "DELETE", f"{base}/issues/{number}/labels/new%20one", token=token
    )
    assert gone.status == 404 and gone.body["message"] == "Label does not exist"
    listed = await call(fake_github, "GET", f"{base}/labels?per_page=1", token=token)
    assert [label["name"] for label in listed.body] == ["todo"] and 'rel="next"' in listed.headers[
        "link"
    ]


# -- comments and reactions ----------------------------------------------------------------------


async def test_comments_are_listed_oldest_first_edited_and_reacted_to(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    number = repo.add_issue("Draft")
    human = repo.add_comment(number, "first", author="alice")
    base = f"/repos/acme/notes/issues/{number}/comments"
    posted = await call(fake_github, "POST", base, token=token, body={"body": "from the bot"})
    assert posted.status == 201 and posted.body["user"]["login"] == fake_github.bot_login
    assert posted.body["performed_via_github_app"]["id"] == fake_github.app_id
    assert repo.issues[number]["comments"] == 2
    listed = await call(fake_github, "GET", base, token=token)
    assert [comment["body"] for comment in listed.body] == ["first", "from the bot"]
    fake_github.advance_clock(30)
    mark = fake_github.timestamp()
    repo.add_comment(number, "later", author="bob")
    recent = await call(fake_github, "GET", f"{base}?since={mark}", token=token)
    assert [comment["body"] for comment in recent.body] == ["later"]
    edit = f"/repos/acme/notes/issues/comments/{posted.body['id']}"
    edited = await call(fake_github, "PATCH", edit, token=token, body={"body": "edited"})
    assert edited.body["body"] == "edited" and repo.comments[number][1]["body"] == "edited"
    react = f"/repos/acme/notes/issues/comments/{human['id']}/reactions"
    plus = await call(fake_github, "POST", react, token=token, body={"content": "+1"})
    again = await call(fake_github, "POST", react, token=token, body={"content": "+1"})
    confused = await call(fake_github, "POST", react, token=token, body={"content": "confused"})
    assert (plus.status, again.status, confused.status) == (201, 200, 201)
    assert again.body["id"] == plus.body["id"]
    assert [r["content"] for r in repo.reactions[human["id"]]] == ["+1", "confused"]
    rollup = repo.comments[number][0]["reactions"]
    assert (rollup["+1"], rollup["confused"], rollup["total_count"]) == (1, 1, 2)
    missing = await call(
        fake_github, "POST", "/repos/acme/notes/issues/77/comments", token=token, body={"body": "x"}
    )
    assert missing.status == 404
    no_comment = await call(
        fake_github, "PATCH", "/repos/acme/notes/issues/comments/1", token=token, body={"body": "x"}
    )
    assert no_comment.status == 404


# -- people --------------------------------------------------------------------------------------


async def test_permissions_and_assignability_follow_roles(
    fake_github: FakeGitHub, token: str
) -> None:
    fake_github.add_user("octo-owner")
    fake_github.add_repo("octo-owner/notes")
    repo = fake_github.repo("acme/notes")
    expected = {
        "admin": ("admin", True),
        "maintain": ("write", True),
        "write": ("write", True),
        "triage": ("read", True),
        "read": ("read", False),
        "none": ("none", False),
    }
    for role, (legacy, assignable) in expected.items():
        login = f"user-{role}"
        repo.set_permission(login, role)
        answer = await call(
            fake_github, "GET", f"/repos/acme/notes/collaborators/{login}/permission", token=token
        )
        assert (answer.body["permission"], answer.body["role_name"]) == (legacy, role)
        assert answer.body["user"]["login"] == login
        check = await call(fake_github, "GET", f"/repos/acme/notes/assignees/{login}", token=token)
        assert check.status == (204 if assignable else 404), role
    fake_github.add_user("passer-by")
    repo.add_assignable("member")
    by_login = {
        "passer-by": ("read", 404),
        "member": ("read", 204),
    }
    for login, (permission, status) in by_login.items():
        answer = await call(
            fake_github, "GET", f"/repos/acme/notes/collaborators/{login}/permission", token=token
        )
        assert answer.body["permission"] == permission
        check = await call(fake_github, "GET", f"/repos/acme/notes/assignees/{login}", token=token)
        assert check.status == status
    unknown = await call(
        fake_github, "GET", "/repos/acme/notes/collaborators/ghost/permission", token=token
    )
    assert unknown.status == 404
    owner_token = fake_github.installation_token(1)
    owner = await call(
        fake_github,
        "GET",
        "/repos/octo-owner/notes/collaborators/octo-owner/permission",
        token=owner_token,
    )
    assert owner.body["role_name"] == "admin"


# -- the git model -------------------------------------------------------------------------------


@pytest.fixture
def history(fake_github: FakeGitHub) -> tuple[FakeRepo, list[str]]:
    """Three pushes after the first commit: a rename, an edit of it and an addition, a removal."""
    repo = fake_github.add_repo(
        "acme/minutes", files={"a.md": "A1\n", "b.md": "B1\n", "c.md": "C1\n"}
    )
    shas = [repo.head()]
    shas.append(repo.push({}, renames={"a.md": "notes/a.md"}, message="Move a")[1])
    shas.append(repo.push({"notes/a.md": "A2\n", "d.md": "D\n"}, message="Edit a, add d")[1])
    shas.append(repo.push({"c.md": None, "b.md": "B2\n"}, message="Drop c, edit b")[1])
    return repo, shas


async def test_compare_follows_renames_across_several_commits(
    fake_github: FakeGitHub, history: tuple[FakeRepo, list[str]]
) -> None:
    repo, shas = history
    token = fake_github.installation_token()
    answer = await call(
        fake_github, "GET", f"/repos/acme/minutes/compare/{shas[0]}...{shas[3]}", token=token
    )
    body = answer.body
    assert (body["status"], body["ahead_by"], body["behind_by"]) == ("ahead", 3, 0)
    assert [commit["sha"] for commit in body["commits"]] == shas[1:]
    files = {entry["filename"]: entry for entry in body["files"]}
    assert {name: entry["status"] for name, entry in files.items()} == {
        "notes/a.md": "renamed",
        "b.md": "modified",
        "c.md": "removed",
        "d.md": "added",
    }
    assert files["notes/a.md"]["previous_filename"] == "a.md"
    assert "-A1" in files["notes/a.md"]["patch"] and "+A2" in files["notes/a.md"]["patch"]
    assert (files["b.md"]["additions"], files["b.md"]["deletions"]) == (1, 1)
    backwards = await call(
        fake_github, "GET", f"/repos/acme/minutes/compare/{shas[3]}...{shas[0]}", token=token
    )
    assert (backwards.body["status"], backwards.body["behind_by"]) == ("behind", 3)
    assert backwards.body["files"] == []
    same = await call(
        fake_github, "GET", f"/repos/acme/minutes/compare/main...{shas[3]}", token=token
    )
    assert same.body["status"] == "identical"
    repo.push({"side.md": "S\n"}, branch="side")
    repo.push({"main.md": "M\n"})
    diverged = await call(
        fake_github, "GET", "/repos/acme/minutes/compare/main...side", token=token
    )
    assert diverged.body["status"] == "diverged"
    assert [entry["filename"] for entry in diverged.body["files"]] == ["side.md"]
    for base in (ZERO_SHA, "f" * 40, "no-such-branch"):
        missing = await call(
            fake_github, "GET", f"/repos/acme/minutes/compare/{base}...main", token=token
        )
        assert missing.status == 404


async def test_a_removed_and_an_added_file_with_equal_text_are_a_rename(
    fake_github: FakeGitHub, history: tuple[FakeRepo, list[str]]
) -> None:
    repo, _ = history
    before, after = repo.push({"archive/b.md": "B2\n", "b.md": None})
    token = fake_github.installation_token()
    answer = await call(
        fake_github, "GET", f"/repos/acme/minutes/compare/{before}...{after}", token=token
    )
    assert [
        (f["status"], f["filename"], f.get("previous_filename")) for f in answer.body["files"]
    ] == [("renamed", "archive/b.md", "b.md")]


async def test_get_commit_resolves_refs_and_lists_its_files(
    fake_github: FakeGitHub, history: tuple[FakeRepo, list[str]]
) -> None:
    _, shas = history
    token = fake_github.installation_token()
    for ref in ("HEAD", "main", "heads/main", shas[3], shas[3][:10]):
        answer = await call(fake_github, "GET", f"/repos/acme/minutes/commits/{ref}", token=token)
        assert answer.body["sha"] == shas[3], ref
    last = await call(fake_github, "GET", f"/repos/acme/minutes/commits/{shas[3]}", token=token)
    assert sorted((f["filename"], f["status"]) for f in last.body["files"]) == [
        ("b.md", "modified"),
        ("c.md", "removed"),
    ]
    assert [parent["sha"] for parent in last.body["parents"]] == [shas[2]]
    moved = await call(fake_github, "GET", f"/repos/acme/minutes/commits/{shas[1]}", token=token)
    assert [(f["status"], f.get("previous_filename")) for f in moved.body["files"]] == [
        ("renamed", "a.md")
    ]
    root = await call(fake_github, "GET", f"/repos/acme/minutes/commits/{shas[0]}", token=token)
    assert {f["status"] for f in root.body["files"]} == {"added"} and len(root.body["files"]) == 3
    unknown = await call(fake_github, "GET", "/repos/acme/minutes/commits/nope", token=token)
    assert unknown.status == 422


async def test_contents_reads_files_and_directories_at_any_ref(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    old = repo.head()
    repo.push({"notes/2024-05-01.md": "# Weekly sync\n\nNothing left.\n", "notes/sub/x.md": "x"})
    path = "/repos/acme/notes/contents/notes/2024-05-01.md"
    now = await call(fake_github, "GET", path, token=token)
    assert now.body["encoding"] == "base64" and now.body["type"] == "file"
    assert base64.b64decode(now.body["content"]).decode() == "# Weekly sync\n\nNothing left.\n"
    text = b"# Weekly sync\n\nNothing left.\n"
    assert now.body["sha"] == hashlib.sha1(b"blob %d\0" % len(text) + text).hexdigest()
    before = await call(fake_github, "GET", f"{path}?ref={old}", token=token)
    assert base64.b64decode(before.body["content"]).decode() == NOTES["notes/2024-05-01.md"]
    listing = await call(fake_github, "GET", "/repos/acme/notes/contents/notes", token=token)
    assert [(e["name"], e["type"]) for e in listing.body] == [
        ("2024-05-01.md", "file"),
        ("sub", "dir"),
    ]
    root = await call(fake_github, "GET", "/repos/acme/notes/contents/", token=token)
    assert [(e["path"], e["type"]) for e in root.body] == [("README.md", "file"), ("notes", "dir")]
    raw = await call(
        fake_github, "GET", path, token=token, headers={"Accept": "application/vnd.github.raw+json"}
    )
    assert raw.body == "# Weekly sync\n\nNothing left.\n"
    assert (
        await call(fake_github, "GET", "/repos/acme/notes/contents/nope.md", token=token)
    ).status == 404
    assert (await call(fake_github, "GET", f"{path}?ref=nope", token=token)).status == 404


async def test_pull_requests_list_files_take_line_comments_and_merge(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    number = repo.open_pull(
        head_files={"notes/2024-05-08.md": "- TODO: book a room\n"},
        renames={"notes/2024-05-01.md": "archive/2024-05-01.md"},
        author="carol",
    )
    files_path = f"/repos/acme/notes/pulls/{number}/files"
    listed = await call(fake_github, "GET", files_path, token=token)
    assert [(f["filename"], f["status"], f.get("previous_filename")) for f in listed.body] == [
        ("archive/2024-05-01.md", "renamed", "notes/2024-05-01.md"),
        ("notes/2024-05-08.md", "added", None),
    ]
    assert repo.issues[number]["html_url"].endswith(f"/acme/notes/pull/{number}")
    repo.push_pull(number, {"notes/2024-05-08.md": "- TODO: book a bigger room\n"})
    relisted = await call(fake_github, "GET", files_path, token=token)
    assert "+- TODO: book a bigger room" in relisted.body[1]["patch"]
    repo.push({"README.md": "# Team notes, edited\n"})
    comment = await call(
        fake_github,
        "POST",
        f"/repos/acme/notes/pulls/{number}/comments",
        token=token,
        body={
            "body": "Who owns this?",
            "path": "notes/2024-05-08.md",
            "line": 1,
            "commit_id": repo.pull_head(number),
            "side": "RIGHT",
        },
    )
    assert comment.status == 201 and repo.review_comments[0]["path"] == "notes/2024-05-08.md"
    off_diff = await call(
        fake_github,
        "POST",
        f"/repos/acme/notes/pulls/{number}/comments",
        token=token,
        body={"body": "?", "path": "README.md", "line": 1, "commit_id": repo.pull_head(number)},
    )
    assert off_diff.status == 422
    before, after = repo.merge_pull(number)
    assert repo.issues[number]["state"] == "closed"
    assert repo.issues[number]["pull_request"]["merged_at"] is not None
    merged = await call(
        fake_github, "GET", f"/repos/acme/notes/compare/{before}...{after}", token=token
    )
    assert sorted((f["filename"], f["status"]) for f in merged.body["files"]) == [
        ("archive/2024-05-01.md", "renamed"),
        ("notes/2024-05-08.md", "added"),
    ]
    assert merged.body["ahead_by"] == 3  # the two pull request commits and the merge commit
    assert repo.files_at(after)["README.md"] == "# Team notes, edited\n"
    still = await call(fake_github, "GET", files_path, token=token)
    assert [f["filename"] for f in still.body] == ["archive/2024-05-01.md", "notes/2024-05-08.md"]
    not_pull = repo.add_issue("Plain issue")
    missing = await call(
        fake_github, "GET", f"/repos/acme/notes/pulls/{not_pull}/files", token=token
    )
    assert missing.status == 404


async def test_commit_comments_land_on_known_commits_only(
    fake_github: FakeGitHub, repo: FakeRepo
) -> None:
    fake_github.grant(1, contents="write")  # commit comments need contents:write
    token = fake_github.installation_token(1)
    sha = repo.head()
    made = await call(
        fake_github,
        "POST",
        f"/repos/acme/notes/commits/{sha}/comments",
        token=token,
        body={"body": "Too many new items: nothing filed."},
    )
    assert made.status == 201 and made.body["commit_id"] == sha
    assert repo.commit_comments[0]["body"] == "Too many new items: nothing filed."
    assert repo.commit_comments[0]["user"]["login"] == fake_github.bot_login
    unknown = await call(
        fake_github,
        "POST",
        f"/repos/acme/notes/commits/{'e' * 40}/comments",
        token=token,
        body={"body": "x"},
    )
    assert unknown.status == 422


# -- HTTP behaviour: ETags, rate limits, faults --------------------------------------------------


async def test_etags_give_304_that_do_not_spend_the_budget(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    path = "/repos/acme/notes/issues"
    first = await call(fake_github, "GET", path, token=token)
    etag = first.headers["etag"]
    cached = await call(fake_github, "GET", path, token=token, headers={"If-None-Match": etag})
    assert cached.status == 304 and cached.body == ""
    assert cached.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]
    strong = await call(
        fake_github, "GET", path, token=token, headers={"If-None-Match": etag.removeprefix("W/")}
    )
    assert strong.status == 304
    repo.add_issue("Something new")
    changed = await call(fake_github, "GET", path, token=token, headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["etag"] != etag
    async with aiohttp.ClientSession() as session:
        gh = GitHubAPI(session, "tests", base_url=fake_github.url, oauth_token=token, cache={})
        fresh = await gh.getitem(path)
        again = await gh.getitem(path)
    assert fresh == again and fake_github.requests[-1].status == 304


async def test_rate_limit_headers_and_an_exhausted_budget(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    path = "/repos/acme/notes/labels"
    first = await call(fake_github, "GET", path, token=token)
    assert first.headers["x-ratelimit-limit"] == "5000"
    assert first.headers["x-ratelimit-resource"] == "core"
    assert (
        int(first.headers["x-ratelimit-used"]) + int(first.headers["x-ratelimit-remaining"]) == 5000
    )
    fake_github.set_rate_limit(2, reset_in=30)
    statuses = [(await call(fake_github, "GET", path, token=token)).status for _ in range(3)]
    assert statuses == [200, 200, 403]
    refused = await call(fake_github, "GET", path, token=token)
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.body["message"] == "API rate limit exceeded for installation ID 1."
    assert 25 <= int(refused.headers["x-ratelimit-reset"]) - fake_github.clock() <= 31
    async with aiohttp.ClientSession() as session:
        gh = GitHubAPI(session, "tests", base_url=fake_github.url, oauth_token=token)
        with pytest.raises(RateLimitExceeded):
            await gh.getitem(path)
    fake_github.advance_clock(31)
    recovered = await call(fake_github, "GET", path, token=token)
    assert recovered.status == 200 and recovered.headers["x-ratelimit-remaining"] == "4999"


async def test_secondary_limit_caps_content_creation_per_window(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    number = repo.add_issue("Draft")
    fake_github.set_secondary_limit(2)
    path = f"/repos/acme/notes/issues/{number}/comments"
    answers = [
        await call(fake_github, "POST", path, token=token, body={"body": f"c{i}"}) for i in range(3)
    ]
    assert [answer.status for answer in answers] == [201, 201, 403]
    refused = answers[2]
    assert refused.body["message"].startswith("You have exceeded a secondary rate limit")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert int(refused.headers["x-ratelimit-remaining"]) > 0
    assert (await call(fake_github, "GET", path, token=token)).status == 200
    assert len(repo.comments[number]) == 2
    fake_github.advance_clock(61)
    assert (await call(fake_github, "POST", path, token=token, body={"body": "c3"})).status == 201
    fake_github.set_secondary_limit(None)
    for _ in range(3):
        assert (
            await call(fake_github, "POST", path, token=token, body={"body": "x"})
        ).status == 201


async def test_injected_faults_answer_the_next_matching_requests(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    fake_github.inject_fault("GET", r"/issues$", 502, times=2)
    statuses = [
        (await call(fake_github, "GET", "/repos/acme/notes/issues", token=token)).status
        for _ in range(3)
    ]
    assert statuses == [502, 502, 200]
    fake_github.inject_fault("POST", r"/issues$", 429, headers={"retry-after": "3"})
    limited = await call(
        fake_github, "POST", "/repos/acme/notes/issues", token=token, body={"title": "Draft"}
    )
    assert limited.status == 429 and limited.headers["retry-after"] == "3"
    assert repo.issues == {}
    fake_github.inject_fault("*", r"/labels", 500, body={"message": "boom"})
    broken = await call(fake_github, "GET", "/repos/acme/notes/labels", token=token)
    assert broken.status == 500 and broken.body["message"] == "boom"
    fake_github.inject_fault("GET", r"/contents/", 500, delay=0.5)
    with pytest.raises(asyncio.TimeoutError):
        await call(
            fake_github, "GET", "/repos/acme/notes/contents/README.md", token=token, timeout=0.1
        )


async def test_a_pass_through_fault_applies_the_write_but_answers_too_late(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    fake_github.inject_fault("POST", r"/issues$", PASS_THROUGH, delay=0.6)
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await call(
            fake_github,
            "POST",
            "/repos/acme/notes/issues",
            token=token,
            body={"title": "Draft"},
            timeout=0.2,
        )
    while fake_github.requests[-1].status == 0 and time.monotonic() - started < 5:
        await asyncio.sleep(0.05)
    assert time.monotonic() - started >= 0.6  # the answer came only after the delay
    assert [issue["title"] for issue in repo.issues.values()] == ["Draft"]
    assert [request.status for request in fake_github.writes()] == [201]


# -- contract checks -----------------------------------------------------------------------------


@needs_spec
async def test_requests_off_the_description_are_refused_and_recorded(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    number = repo.add_issue("Draft")
    comment = repo.add_comment(number, "hi")
    base = "/repos/acme/notes"
    attempts = [
        ("GET", f"{base}/issues/{number}/events", None, 404),
        ("GET", f"{base}/search/issues", None, 404),
        ("GET", f"{base}/issues?bogus=1", None, 422),
        ("GET", f"{base}/issues?state=sideways", None, 422),
        ("GET", f"{base}/issues?per_page=many", None, 422),
        ("POST", f"{base}/issues", {"titel": "typo"}, 422),
        ("POST", f"{base}/issues/{number}/labels", ["bare", "array"], 422),
        ("POST", f"{base}/issues/comments/{comment['id']}/reactions", {"content": "thumbsup"}, 422),
        ("PATCH", f"{base}/issues/{number}", {"state": "done"}, 422),
    ]
    for method, path, body, status in attempts:
        answer = await call(fake_github, method, path, token=token, body=body)
        assert answer.status == status, (method, path)
    not_json = await call(fake_github, "POST", f"{base}/issues", token=token, raw=b"{title: x}")
    assert not_json.status == 400
    found = fake_github.clear_violations()
    assert len(found) >= len(attempts) + 1
    joined = "\n".join(found)
    for fragment in (
        "no such GitHub operation",
        "'bogus' is not declared",
        "'sideways'",
        "not an integer",
        "unknown property 'titel'",
        "missing required property 'title'",
        "'thumbsup'",
        "'done'",
        "not JSON",
    ):
        assert fragment in joined
    assert repo.issues[number]["state"] == "open" and len(repo.issues) == 1


async def test_without_the_description_only_unknown_operations_are_flagged(repo: FakeRepo) -> None:
    with FakeGitHub(openapi_path=None) as fake:
        fake.add_repo("acme/notes")
        token = fake.installation_token()
        lenient = await call(fake, "GET", "/repos/acme/notes/issues?bogus=1", token=token)
        unknown = await call(fake, "GET", "/repos/acme/notes/hooks", token=token)
    assert (lenient.status, unknown.status) == (200, 404)
    assert fake.violations == ["GET /repos/acme/notes/hooks: no such GitHub operation"]


@needs_spec
async def test_the_fakes_own_replies_are_checked_against_the_description(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    number = repo.add_issue("Draft")
    del repo.issues[number]["html_url"]
    repo.issues[number]["state_reason"] = "finished"
    answer = await call(fake_github, "GET", f"/repos/acme/notes/issues/{number}", token=token)
    assert answer.status == 200
    found = fake_github.clear_violations()
    assert any("missing required property 'html_url'" in v for v in found)
    assert any("'finished' is not one of" in v for v in found)


@needs_spec
async def test_every_operation_is_served_with_replies_that_match_the_description(
    fake_github: FakeGitHub, repo: FakeRepo
) -> None:
    repo.set_permission("alice", "write")
    fake_github.grant(1, contents="write")  # commit comments need contents:write
    before, after = repo.push({"notes/2024-05-08.md": "- TODO: x\n"})
    pull = repo.open_pull(head_files={"notes/2024-05-15.md": "- TODO: y\n"}, author="alice")
    key = fake_github.private_key_pem
    app_id = str(fake_github.app_id)
    async with aiohttp.ClientSession() as session:
        gh = GitHubAPI(session, "tests", base_url=fake_github.url, app_id=app_id, private_key=key)
        await gh.getitem("/repos/acme/notes/installation")
        minted = await apps.get_installation_access_token(
            gh, installation_id="1", app_id=app_id, private_key=key
        )
        gh = GitHubAPI(session, "tests", base_url=fake_github.url, oauth_token=minted["token"])
        base = "/repos/acme/notes"
        issue = await gh.post(
            f"{base}/issues", data={"title": "X", "labels": ["todo"], "assignees": ["alice"]}
        )
        n = issue["number"]
        comment = await gh.post(f"{base}/issues/{n}/comments", data={"body": "linked"})
        await gh.patch(f"{base}/issues/comments/{comment['id']}", data={"body": "edited"})
        await gh.post(f"{base}/issues/comments/{comment['id']}/reactions", data={"content": "eyes"})
        await gh.getitem(f"{base}/issues/{n}/comments")
        await gh.getitem(f"{base}/issues/{n}")
        await gh.patch(f"{base}/issues/{n}", data={"state": "closed", "state_reason": "completed"})
        await gh.post(f"{base}/issues/{n}/assignees", data={"assignees": ["alice"]})
        await gh.post(f"{base}/issues/{n}/labels", data={"labels": ["extra"]})
        await gh.delete(f"{base}/issues/{n}/labels/extra")
        await gh.getitem(f"{base}/issues?state=all")
        await gh.getitem(f"{base}/labels")
        await gh.post(f"{base}/labels", data={"name": "notes", "color": "00ff00"})
        await gh.getitem(f"{base}/assignees/alice")
        await gh.getitem(f"{base}/collaborators/alice/permission")
        await gh.getitem(f"{base}/commits/{after}")
        await gh.getitem(f"{base}/compare/{before}...{after}")
        await gh.getitem(f"{base}/contents/notes/2024-05-08.md?ref={after}")
        await gh.getitem(f"{base}/contents/notes")
        await gh.post(f"{base}/commits/{after}/comments", data={"body": "summary"})
        await gh.getitem(f"{base}/pulls/{pull}/files")
        await gh.getitem(f"{base}/pulls/{pull}")
        await gh.delete(f"{base}/issues/{n}/assignees", data={"assignees": ["alice"]})
        head = await gh.getitem(f"{base}/commits/HEAD")
        tree = await gh.getitem(f"{base}/git/trees/{head['commit']['tree']['sha']}?recursive=1")
        blob = next(entry for entry in tree["tree"] if entry["type"] == "blob")
        await gh.getitem(f"{base}/git/blobs/{blob['sha']}")
        run = await gh.post(f"{base}/check-runs", data={"name": "todo", "head_sha": after})
        await gh.patch(
            f"{base}/check-runs/{run['id']}",
            data={"conclusion": "success", "output": {"title": "t", "summary": "s"}},
        )
        await gh.getitem(f"{base}/commits/{after}/check-runs?check_name=todo")
        fake_github.hook.configure("http://127.0.0.1:9/webhook", "s")  # nobody listens there
        delivery = await fake_github.deliver("ping", {"zen": "x"})
        jwt_token = apps.get_jwt(app_id=app_id, private_key=key)
        await gh.getitem("/app/hook/deliveries?per_page=1", jwt=jwt_token)
        await gh.post(f"/app/hook/deliveries/{delivery.id}/attempts", data={}, jwt=jwt_token)
        await gh.post(
            f"{base}/pulls/{pull}/comments",
            data={
                "body": "?",
                "path": "notes/2024-05-15.md",
                "line": 1,
                "commit_id": repo.pull_head(pull),
            },
        )
    assert fake_github.violations == []
    assert SHARED_SPEC is not None
    spec = load_spec(SHARED_SPEC)
    for route in ROUTES:
        documented = spec.operation(route.method, route.template)
        assert documented is not None and documented.operation_id == route.operation_id, route
    served = {request.operation for request in fake_github.requests if request.ok}
    assert served == {route.operation_id for route in ROUTES}


def test_the_schema_validator_understands_the_subset_github_uses() -> None:
    document = {
        "components": {
            "schemas": {
                "user": {
                    "type": "object",
                    "required": ["login"],
                    "properties": {"login": {"type": "string"}},
                },
                "maybe-user": {"$ref": "#/components/schemas/user", "nullable": True},
            }
        }
    }
    user = {"$ref": "#/components/schemas/user"}
    assert validate({"login": "a", "extra": 1}, user, document) == []
    assert validate({"login": "a", "extra": 1}, user, document, closed=True) == [
        "$: unknown property 'extra'"
    ]
    assert validate({}, user, document) == ["$: missing required property 'login'"]
    assert validate(None, user, document) == ["$: expected object, got null"]
    assert validate(None, {"type": "string", "nullable": True}, document) == []
    either = {"oneOf": [{"type": "integer"}, {"type": "number"}]}
    assert validate(1.5, either, document) == []
    assert "matches 2 oneOf" in validate(1, either, document)[0]
    assert validate(True, {"anyOf": [{"type": "integer"}, {"type": "string"}]}, document)
    both = {"allOf": [user, {"properties": {"age": {"type": "integer"}}}]}
    assert validate({"login": "a", "age": 3}, both, document, closed=True) == []
    assert validate({"login": "a", "age": "3"}, both, document) == [
        "$.age: expected integer, got str '3'"
    ]
    closed = {"type": "object", "additionalProperties": False, "properties": {}}
    assert validate({"x": 1}, closed, document) == ["$: unknown property 'x'"]
    typed_extra = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert validate({"x": "1"}, typed_extra, document) == ["$.x: expected integer, got str '1'"]
    listing = {"type": "array", "minItems": 1, "items": {"enum": ["+1", "eyes"]}}
    assert validate([], listing, document) == ["$: item count 0 is below minItems 1"]
    assert validate(["+1", "wow"], listing, document) == [
        "$[1]: 'wow' is not one of ['+1', 'eyes']"
    ]
    assert validate(True, {"type": "integer"}, document) == ["$: expected integer, got bool True"]


# -- webhooks and the fixture --------------------------------------------------------------------


def test_sign_matches_githubs_documented_test_vector() -> None:
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert webhooks.sign(b"Hello, World!", "It's a Secret to Everybody") == expected
    headers = webhooks.delivery_headers("push", b"{}", "s", delivery_id="d-1")
    assert headers["X-GitHub-Delivery"] == "d-1"
    assert headers["X-Hub-Signature-256"] == webhooks.sign(b"{}", "s")


def test_push_payload_describes_every_pushed_commit(
    fake_github: FakeGitHub, history: tuple[FakeRepo, list[str]]
) -> None:
    repo, shas = history
    payload = webhooks.push_payload(fake_github, repo, shas[0], shas[3], pusher="alice")
    assert (payload["before"], payload["after"], payload["ref"]) == (
        shas[0],
        shas[3],
        "refs/heads/main",
    )
    assert [commit["id"] for commit in payload["commits"]] == shas[1:]
    moved, edited, dropped = payload["commits"]
    assert (moved["added"], moved["removed"], moved["modified"]) == (["notes/a.md"], ["a.md"], [])
    assert (edited["added"], edited["modified"]) == (["d.md"], ["notes/a.md"])
    assert (dropped["removed"], dropped["modified"]) == (["c.md"], ["b.md"])
    assert payload["head_commit"]["id"] == shas[3]
    assert payload["installation"]["id"] == 1 and payload["sender"]["login"] == "alice"
    repository = payload["repository"]
    assert (repository["full_name"], repository["name"], repository["owner"]["login"]) == (
        "acme/minutes",
        "minutes",
        "acme",
    )
    assert repository["default_branch"] == "main"
    assert repository["html_url"] == "https://github.com/acme/minutes"
    created = webhooks.push_payload(fake_github, repo, ZERO_SHA, shas[1])
    assert created["created"] and [c["id"] for c in created["commits"]] == shas[:2]


@pytest.mark.skipif(not WEBHOOK_SPEC.is_file(), reason="../shared webhook descriptions absent")
def test_webhook_payloads_match_githubs_webhook_descriptions(
    fake_github: FakeGitHub, repo: FakeRepo
) -> None:
    document = json.loads(WEBHOOK_SPEC.read_text())
    schemas = document["components"]["schemas"]
    before, after = repo.push({"notes/2024-05-08.md": "- TODO: x\n"})
    number = repo.open_pull(head_files={"notes/2024-05-15.md": "- TODO: y\n"}, author="carol")
    comment = repo.add_comment(number, "/todo preview", author="carol")
    payloads = {
        "webhook-push": webhooks.push_payload(fake_github, repo, before, after),
        "webhook-pull-request-opened": webhooks.pull_request_payload(repo, number, "opened"),
        "webhook-pull-request-synchronize": webhooks.pull_request_payload(
            repo, number, "synchronize"
        ),
        "webhook-issue-comment-created": webhooks.issue_comment_payload(repo, number, comment),
        "webhook-installation-created": webhooks.installation_payload(fake_github),
    }
    repo.merge_pull(number)
    closed = webhooks.pull_request_payload(repo, number, "closed")
    payloads["webhook-pull-request-closed"] = closed
    for name, payload in payloads.items():
        assert validate(payload, schemas[name], document) == [], name
    assert closed["pull_request"]["merged"] is True
    assert closed["pull_request"]["merge_commit_sha"] == repo.head()
    synchronize = payloads["webhook-pull-request-synchronize"]
    assert synchronize["after"] == synchronize["pull_request"]["head"]["sha"]
    assert payloads["webhook-issue-comment-created"]["issue"]["pull_request"]
    assert (
        webhooks.encode(payloads["webhook-push"]) == json.dumps(payloads["webhook-push"]).encode()
    )


def test_the_fixture_fails_a_test_that_broke_the_contract(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from fake_github.fixture import running_fake

        @pytest.fixture
        def fake_github():
            yield from running_fake()
        """
    )
    pytester.makepyfile(
        """
        import urllib.error
        import urllib.request

        def poke(fake):
            try:
                urllib.request.urlopen(fake.url + "/no/such/operation")
            except urllib.error.HTTPError as error:
                assert error.code == 404

        def test_breaks(fake_github):
            poke(fake_github)

        def test_breaks_on_purpose(fake_github):
            poke(fake_github)
            assert fake_github.clear_violations()

        def test_clean(fake_github):
            assert fake_github.url.startswith("http://127.0.0.1:")
        """
    )
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*GET /no/such/operation: no such GitHub operation*"])


# -- GitHub App permissions ----------------------------------------------------------------------


async def test_installation_tokens_carry_the_manifests_permissions_and_nothing_more(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    manifest = json.loads((Path(__file__).parents[1] / "docs" / "app-manifest.json").read_text())
    assert fake_github.accounts.installations[1].permissions == manifest["default_permissions"]
    assert manifest["default_permissions"]["checks"] == "write"
    number = repo.add_issue("Draft")
    assert (await call(fake_github, "GET", f"/repos/acme/notes/issues/{number}", token=token)).ok
    refused = await call(
        fake_github,
        "POST",
        f"/repos/acme/notes/commits/{repo.head()}/comments",
        token=token,
        body={"body": "x"},
    )
    assert refused.status == 403
    assert refused.body == {
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com/rest/commits/comments#create-a-commit-comment",
        "status": "403",
    }
    assert repo.commit_comments == []
    minted = await call(
        fake_github,
        "POST",
        "/app/installations/1/access_tokens",
        headers={"Authorization": f"Bearer {app_jwt(fake_github)}"},
    )
    assert minted.body["permissions"] == manifest["default_permissions"]


async def test_permissions_can_be_narrowed_granted_and_revoked(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    number = repo.add_issue("Draft")
    issue = f"/repos/acme/notes/issues/{number}"
    read_only = fake_github.installation_token(1, permissions={"issues": "read"})
    assert (await call(fake_github, "GET", issue, token=read_only)).status == 200
    edit = await call(fake_github, "PATCH", issue, token=read_only, body={"title": "x"})
    assert edit.status == 403
    assert (await call(fake_github, "GET", "/repos/acme/notes/labels", token=read_only)).ok
    assert (
        await call(fake_github, "GET", f"/repos/acme/notes/commits/{repo.head()}", token=read_only)
    ).status == 403
    too_much = await call(
        fake_github,
        "POST",
        "/app/installations/1/access_tokens",
        body={"permissions": {"administration": "write"}},
        headers={"Authorization": f"Bearer {app_jwt(fake_github)}"},
    )
    assert too_much.status == 422
    fake_github.grant(1, issues=None, pull_requests="read")
    assert (await call(fake_github, "PATCH", issue, token=token, body={"title": "y"})).ok
    later = fake_github.installation_token(1)
    assert (await call(fake_github, "GET", issue, token=later)).ok  # pull_requests:read will do
    assert (await call(fake_github, "PATCH", issue, token=later, body={"title": "z"})).status == 403
    create = await call(
        fake_github, "POST", "/repos/acme/notes/issues", token=later, body={"title": "t"}
    )
    assert create.status == 403  # creating an issue needs issues:write, nothing else will do
    fake_github.add_token("pat-alice", "alice")
    by_person = await call(
        fake_github,
        "POST",
        f"/repos/acme/notes/commits/{repo.head()}/comments",
        token="pat-alice",
        body={"body": "a person's token is not an app's"},
    )
    assert by_person.status == 201
    assert repo.issues[number]["title"] == "y"


def test_every_served_operation_has_a_permission_entry() -> None:
    from fake_github.permissions import APP_JWT, REQUIRED

    for route in ROUTES:
        need = REQUIRED[route.operation_id]
        assert (need == APP_JWT) == (route.auth == "jwt"), route.operation_id


# -- operations for a whole-tree read and check runs ---------------------------------------------


async def test_a_recursive_tree_lists_every_path_with_gits_ids_and_can_be_truncated(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    repo.push({"notes/sub/x.md": "x\n", "big.md": "b" * (1024 * 1024 + 1)})
    head = await call(fake_github, "GET", "/repos/acme/notes/commits/HEAD", token=token)
    root = head.body["commit"]["tree"]["sha"]
    answer = await call(
        fake_github, "GET", f"/repos/acme/notes/git/trees/{root}?recursive=1", token=token
    )
    assert answer.status == 200 and answer.body["truncated"] is False
    listed = [(e["path"], e["type"]) for e in answer.body["tree"]]
    assert listed == [
        ("README.md", "blob"),
        ("big.md", "blob"),
        ("notes", "tree"),
        ("notes/2024-05-01.md", "blob"),
        ("notes/sub", "tree"),
        ("notes/sub/x.md", "blob"),
    ]
    readme = answer.body["tree"][0]
    assert readme["sha"] == hashlib.sha1(b"blob 13\0# Team notes\n").hexdigest()
    assert readme["size"] == 13 and readme["mode"] == "100644"
    # git's id of the same tree, as `git write-tree` would give it for these files
    notes_sha = next(e["sha"] for e in answer.body["tree"] if e["path"] == "notes")
    listing = await call(fake_github, "GET", "/repos/acme/notes/contents/", token=token)
    assert next(e["sha"] for e in listing.body if e["name"] == "notes") == notes_sha
    shallow = await call(
        fake_github, "GET", f"/repos/acme/notes/git/trees/{notes_sha}", token=token
    )
    assert [(e["path"], e["type"]) for e in shallow.body["tree"]] == [
        ("2024-05-01.md", "blob"),
        ("sub", "tree"),
    ]
    by_ref = await call(fake_github, "GET", "/repos/acme/notes/git/trees/main", token=token)
    assert by_ref.body["sha"] == root
    fake_github.tree_entry_limit = 4
    cut = await call(
        fake_github, "GET", f"/repos/acme/notes/git/trees/{root}?recursive=1", token=token
    )
    assert cut.body["truncated"] is True and len(cut.body["tree"]) == 4
    missing = await call(fake_github, "GET", f"/repos/acme/notes/git/trees/{'a' * 40}", token=token)
    assert missing.status == 404


def test_tree_ids_are_gits() -> None:
    from fake_github.git import root_tree_sha, tree_objects

    # `git write-tree` after adding a = "hi\n" and d/b = "x\n"
    files = {"a": "hi\n", "d/b": "x\n"}
    assert root_tree_sha(files) == "bd925dfe4a912c27e4beb218958cf1b0aa58d15f"
    assert "2b4c1d0c6f3c005f72eb2ecd2eb2a25edecf9a50" in tree_objects(files)


async def test_blobs_come_base64_at_any_size_while_contents_leave_big_files_empty(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    big = "b" * (1024 * 1024 + 1)
    repo.push({"big.md": big})
    contents = await call(fake_github, "GET", "/repos/acme/notes/contents/big.md", token=token)
    assert (contents.body["encoding"], contents.body["content"]) == ("none", "")
    blob = await call(
        fake_github, "GET", f"/repos/acme/notes/git/blobs/{contents.body['sha']}", token=token
    )
    assert blob.body["encoding"] == "base64" and blob.body["size"] == len(big)
    assert base64.b64decode(blob.body["content"]).decode() == big
    gone = await call(fake_github, "GET", f"/repos/acme/notes/git/blobs/{'0' * 40}", token=token)
    assert gone.status == 404


async def test_a_pull_request_reads_back_and_assignees_can_be_removed(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    number = repo.open_pull(head_files={"notes/2024-05-08.md": "- TODO: x\n"}, author="carol")
    pull = await call(fake_github, "GET", f"/repos/acme/notes/pulls/{number}", token=token)
    assert pull.body["head"]["sha"] == repo.pull_head(number)
    assert (pull.body["changed_files"], pull.body["merged"]) == (1, False)
    assert (
        await call(fake_github, "GET", "/repos/acme/notes/pulls/999", token=token)
    ).status == 404
    issue = repo.add_issue("Draft")
    repo.set_permission("alice", "write")
    repo.set_permission("bob", "write")
    repo.edit_issue(issue, assignees=["alice", "bob"])
    removed = await call(
        fake_github,
        "DELETE",
        f"/repos/acme/notes/issues/{issue}/assignees",
        token=token,
        body={"assignees": ["ALICE", "nobody"]},
    )
    assert removed.status == 200
    assert [a["login"] for a in repo.issues[issue]["assignees"]] == ["bob"]


async def test_check_runs_are_created_updated_listed_and_readable_by_tests(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    sha = repo.head()
    made = await call(
        fake_github,
        "POST",
        "/repos/acme/notes/check-runs",
        token=token,
        body={"name": "todo", "head_sha": sha, "status": "in_progress"},
    )
    assert made.status == 201 and made.body["app"]["id"] == fake_github.app_id
    run = f"/repos/acme/notes/check-runs/{made.body['id']}"
    done = await call(
        fake_github,
        "PATCH",
        run,
        token=token,
        body={
            "conclusion": "neutral",
            "output": {"title": "21 items held back", "summary": "cap 20", "text": "details"},
        },
    )
    assert done.status == 200 and done.body["status"] == "completed"
    other = await call(
        fake_github,
        "POST",
        "/repos/acme/notes/check-runs",
        token=token,
        body={"name": "lint", "head_sha": sha, "conclusion": "success"},
    )
    assert other.status == 201
    listed = await call(
        fake_github, "GET", "/repos/acme/notes/commits/main/check-runs?check_name=todo", token=token
    )
    assert [r["id"] for r in listed.body["check_runs"]] == [made.body["id"]]
    everything = await call(
        fake_github, "GET", f"/repos/acme/notes/commits/{sha}/check-runs", token=token
    )
    assert everything.body["total_count"] == 2
    (report,) = repo.check_runs_for(name="todo")
    assert (report.conclusion, report.title, report.summary, report.text) == (
        "neutral",
        "21 items held back",
        "cap 20",
        "details",
    )
    fake_github.add_token("pat-alice", "alice")
    by_person = await call(
        fake_github,
        "POST",
        "/repos/acme/notes/check-runs",
        token="pat-alice",
        body={"name": "x", "head_sha": sha},
    )
    assert by_person.status == 403
    no_checks = fake_github.installation_token(1, permissions={"contents": "read"})
    refused = await call(fake_github, "PATCH", run, token=no_checks, body={"status": "queued"})
    assert refused.status == 403


# -- what the bot needs from GitHub Enterprise Server 3.19 ---------------------------------------

needs_ghes = pytest.mark.skipif(
    not coverage.GHES_SPEC_PATH.is_file(), reason="../shared GHES 3.19 description absent"
)


@needs_ghes
def test_every_operation_the_fake_serves_exists_in_ghes_3_19() -> None:
    served = [(route.method, route.template) for route in ROUTES]
    assert coverage.missing_from(served) == []
    assert coverage.missing_from([("GET", "/repos/{owner}/{repo}/no-such-thing")]) == [
        ("GET", "/repos/{owner}/{repo}/no-such-thing")
    ]


_API_SOURCE = Path(__file__).resolve().parents[1] / "bot" / "github" / "api.py"
_CALLS = {
    "get": "GET",
    "get_or_none": "GET",
    "exists": "GET",
    "pages": "GET",
    "getiter": "GET",
    "post": "POST",
    "patch": "PATCH",
    "delete": "DELETE",
}


def api_operations() -> set[tuple[str, str]]:
    """``(method, template)`` of every request a helper in ``bot/github/api.py`` can send: each
    helper's templates paired with the methods it calls the client with."""
    import re

    found: set[tuple[str, str]] = set()
    for helper in re.split(r"\n(?=(?:async )?def )", _API_SOURCE.read_text(encoding="utf-8")):
        templates = re.findall(r'url\(\s*"(/[^"]+)"', helper)
        methods = {_CALLS[m] for m in re.findall(r"\b\w*gh\.(\w+)\(", helper) if m in _CALLS}
        found.update(
            (method, template.replace("{+", "{")) for template in templates for method in methods
        )
    return found


@needs_ghes
def test_every_operation_the_bot_can_call_exists_in_ghes_3_19() -> None:
    operations = api_operations()
    # The helpers that speak GitHub's git database, pull requests and assignees are seen.
    for expected in [
        ("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}"),
        ("GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}"),
        ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"),
        ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/assignees"),
    ]:
        assert expected in operations
    assert coverage.missing_from(operations) == []


@needs_ghes
@pytest.mark.session_last
def test_every_operation_the_bot_called_in_this_session_exists_in_ghes_3_19() -> None:
    called = coverage.served_to(BOT_USER_AGENT)
    if not called:
        pytest.skip("no test of this session ran the bot against a fake")
    assert coverage.missing_from(called.values()) == []


async def test_the_opt_in_header_check_wants_githubs_version_and_media_type(
    fake_github: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    path = "/repos/acme/notes/labels"
    legacy = {"Accept": "application/vnd.github.v3+json"}
    assert (await call(fake_github, "GET", path, token=token, headers=legacy)).ok
    assert fake_github.violations == []  # off by default
    fake_github.strict_headers = True
    await call(fake_github, "GET", path, token=token, headers=legacy)
    found = fake_github.clear_violations()
    assert len(found) == 2 and "X-GitHub-Api-Version is None" in found[0]
    assert "'application/vnd.github.v3+json'" in found[1]
    good = {"X-GitHub-Api-Version": "2022-11-28"}
    assert (await call(fake_github, "GET", path, token=token, headers=good)).ok
    raw = {**good, "Accept": "application/vnd.github.raw+json"}
    await call(fake_github, "GET", "/repos/acme/notes/contents/README.md", token=token, headers=raw)
    assert fake_github.violations == []


# -- the app's webhook deliveries ----------------------------------------------------------------


async def test_deliveries_are_listed_with_cursors_and_failed_ones_redelivered(
    fake_github: FakeGitHub, repo: FakeRepo
) -> None:
    from aiohttp import web

    seen: list[tuple[str, str]] = []
    answers = iter([503, 202, 202, 202])

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        assert request.headers["X-Hub-Signature-256"] == webhooks.sign(body, "s3cret")
        seen.append((request.headers["X-GitHub-Delivery"], request.headers["X-GitHub-Event"]))
        return web.Response(status=next(answers))

    app = web.Application()
    app.router.add_post("/webhook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        fake_github.hook.configure(f"http://127.0.0.1:{port}/webhook", "s3cret")
        payload = webhooks.push_payload(fake_github, repo, *repo.push({"a.md": "a\n"}))
        failed = await fake_github.deliver("push", payload, delivery_id="guid-1")
        assert (failed.status_code, failed.ok) == (503, False)
        await fake_github.deliver("push", payload, delivery_id="guid-2")
        await fake_github.deliver("ping", {"zen": "hi"}, delivery_id="guid-3")
        auth = {"Authorization": f"Bearer {app_jwt(fake_github)}"}
        first = await call(fake_github, "GET", "/app/hook/deliveries?per_page=2", headers=auth)
        assert [d["guid"] for d in first.body] == ["guid-3", "guid-2"]
        assert first.body[1]["installation_id"] == 1 and first.body[1]["event"] == "push"
        next_url = first.headers["link"].split(";")[0].strip("<>")
        rest = await call(fake_github, "GET", next_url.removeprefix(fake_github.url), headers=auth)
        assert [(d["guid"], d["status_code"]) for d in rest.body] == [("guid-1", 503)]
        assert "link" not in rest.headers
        fake_github.hook.configure(fake_github.hook.url or "", "s3cret")  # signature re-made
        again = await call(
            fake_github, "POST", f"/app/hook/deliveries/{failed.id}/attempts", headers=auth
        )
        assert again.status == 202
        for _ in range(100):
            if (
                len(fake_github.hook.deliveries) == 4
                and fake_github.hook.deliveries[-1].status_code
            ):
                break
            await asyncio.sleep(0.02)
        redone = fake_github.hook.deliveries[-1]
        assert (redone.guid, redone.redelivery, redone.status_code) == ("guid-1", True, 202)
        assert seen[-1] == ("guid-1", "push")
        token = fake_github.installation_token()
        as_installation = await call(fake_github, "GET", "/app/hook/deliveries", token=token)
        assert as_installation.status == 401
        unknown = await call(fake_github, "POST", "/app/hook/deliveries/1/attempts", headers=auth)
        assert unknown.status == 404
        await runner.cleanup()
        gone = await fake_github.deliver("ping", {"zen": "bye"})
        assert (gone.status_code, gone.ok) == (0, False)
    finally:
        await runner.cleanup()
