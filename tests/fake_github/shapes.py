"""GitHub-shaped JSON objects, built from the fake's state (pure functions).

Field sets follow GitHub's OpenAPI description; the fake validates its replies against it, so a
missing required field shows up as a recorded violation rather than as a surprise in the bot.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from .accounts import Installation, User
from .git import Commit, FileChange, blob_sha, file_bytes, root_tree_sha
from .permissions import default_permissions

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
APP_EVENTS = ["issue_comment", "pull_request", "push"]
EPOCH = "2024-01-01T00:00:00Z"


def iso(moment: datetime) -> str:
    """GitHub's timestamp format (UTC, seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, number: int) -> str:
    """An opaque GraphQL-style id, stable for one object."""
    return base64.b64encode(f"{kind}:{number}".encode()).decode("ascii").rstrip("=")


def user_json(api: str, web: str, user: User) -> dict[str, Any]:
    """A ``simple-user``."""
    url = f"{api}/users/{quote(user.login)}"
    html = (
        f"{web}/apps/{user.login.removesuffix('[bot]')}"
        if user.type == "Bot"
        else (f"{web}/{user.login}")
    )
    return {
        "login": user.login,
        "id": user.id,
        "node_id": node_id("U", user.id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": html,
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": user.type,
        "site_admin": False,
        "user_view_type": "public",
    }


def integration_json(api: str, web: str, app_id: int, slug: str, owner: User) -> dict[str, Any]:
    """The app as ``performed_via_github_app`` shows it."""
    return {
        "id": app_id,
        "slug": slug,
        "node_id": node_id("A", app_id),
        "client_id": f"Iv1.{app_id:016x}",
        "owner": user_json(api, web, owner),
        "name": slug,
        "description": "Turns action items in meeting notes into issues",
        "external_url": f"{web}/apps/{slug}",
        "html_url": f"{web}/apps/{slug}",
        "created_at": EPOCH,
        "updated_at": EPOCH,
        # what the app asks for; each installation's grant may differ
        "permissions": default_permissions(),
        "events": list(APP_EVENTS),
    }


def installation_json(
    api: str, web: str, installation: Installation, account: User, app_id: int, slug: str
) -> dict[str, Any]:
    """An ``installation``."""
    return {
        "id": installation.id,
        "account": user_json(api, web, account),
        "repository_selection": "selected",
        "access_tokens_url": f"{api}/app/installations/{installation.id}/access_tokens",
        "repositories_url": f"{api}/installation/repositories",
        "html_url": f"{web}/settings/installations/{installation.id}",
        "app_id": app_id,
        "app_slug": slug,
        "target_id": account.id,
        "target_type": account.type,
        "permissions": dict(installation.permissions),
        "events": list(APP_EVENTS),
        "created_at": EPOCH,
        "updated_at": EPOCH,
        "single_file_name": None,
        "suspended_by": None,
        "suspended_at": None,
    }


def reaction_rollup(url: str, reactions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The per-kind reaction counts every issue and comment carries."""
    counts = dict.fromkeys(REACTIONS, 0)
    for reaction in reactions or []:
        counts[reaction["content"]] += 1
    return {"url": url, "total_count": sum(counts.values()), **counts}


def label_json(
    repo_api: str, label_id: int, name: str, color: str, description: str | None
) -> dict[str, Any]:
    """A ``label``."""
    return {
        "id": label_id,
        "node_id": node_id("LA", label_id),
        "url": f"{repo_api}/labels/{quote(name)}",
        "name": name,
        "color": color,
        "default": False,
        "description": description,
    }


def git_person(name: str, timestamp: str) -> dict[str, str]:
    """The author/committer block inside a commit."""
    handle = name.replace(" ", "-").lower()
    return {"name": name, "email": f"{handle}@users.noreply.github.com", "date": timestamp}


def commit_json(
    repo_api: str,
    repo_web: str,
    commit: Commit,
    author: dict[str, Any] | None,
) -> dict[str, Any]:
    """A ``commit`` without its files (those are added by the caller when wanted)."""
    url = f"{repo_api}/commits/{commit.sha}"
    tree = tree_sha(commit.tree)
    return {
        "url": url,
        "sha": commit.sha,
        "node_id": node_id("C", commit.seq),
        "html_url": f"{repo_web}/commit/{commit.sha}",
        "comments_url": f"{url}/comments",
        "commit": {
            "url": f"{repo_api}/git/commits/{commit.sha}",
            "author": git_person(commit.author, commit.timestamp),
            "committer": git_person(commit.author, commit.timestamp),
            "message": commit.message,
            "comment_count": 0,
            "tree": {"sha": tree, "url": f"{repo_api}/git/trees/{tree}"},
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "payload": None,
                "signature": None,
                "verified_at": None,
            },
        },
        "author": author,
        "committer": author,
        "parents": [
            {
                "sha": parent,
                "url": f"{repo_api}/commits/{parent}",
                "html_url": f"{repo_web}/commit/{parent}",
            }
            for parent in commit.parents
        ],
    }


def tree_sha(tree: Mapping[str, str]) -> str:
    """Git's id of a tree (path -> text), so it can be read back with ``git/trees``."""
    return root_tree_sha(tree)


def diff_entry_json(
    repo_api: str,
    repo_web: str,
    head_sha: str,
    change: FileChange,
    patch: str | None,
    counts: tuple[int, int],
) -> dict[str, Any]:
    """A ``diff-entry`` (one file of a commit, comparison or pull request)."""
    additions, deletions = counts
    path = quote(change.filename)
    entry: dict[str, Any] = {
        "sha": blob_sha(change.new) if change.new is not None else None,
        "filename": change.filename,
        "status": change.status,
        "additions": additions,
        "deletions": deletions,
        "changes": additions + deletions,
        "blob_url": f"{repo_web}/blob/{head_sha}/{path}",
        "raw_url": f"{repo_web}/raw/{head_sha}/{path}",
        "contents_url": f"{repo_api}/contents/{path}?ref={head_sha}",
    }
    if patch is not None:
        entry["patch"] = patch
    if change.previous_filename is not None:
        entry["previous_filename"] = change.previous_filename
    return entry


def content_entry_json(
    repo_api: str, repo_web: str, ref: str, path: str, kind: str, sha: str, size: int
) -> dict[str, Any]:
    """The common part of a file's or directory's ``contents`` answer."""
    url = f"{repo_api}/contents/{quote(path)}?ref={quote(ref)}"
    html = f"{repo_web}/{'blob' if kind == 'file' else 'tree'}/{ref}/{quote(path)}"
    git = f"{repo_api}/git/{'blobs' if kind == 'file' else 'trees'}/{sha}"
    raw = f"{repo_web}/raw/{ref}/{quote(path)}" if kind == "file" else None
    return {
        "type": kind,
        "size": size,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "url": url,
        "git_url": git,
        "html_url": html,
        "download_url": raw,
        "_links": {"self": url, "git": git, "html": html},
    }


#: Files over 1 MB come back without content (GitHub: "encoding": "none").
MAX_INLINE_CONTENT = 1024 * 1024


def content_file_json(
    repo_api: str, repo_web: str, ref: str, path: str, text: str
) -> dict[str, Any]:
    """A ``content-file``: base64 wrapped at 60 characters a line, like GitHub's."""
    data = file_bytes(text)
    entry = content_entry_json(repo_api, repo_web, ref, path, "file", blob_sha(text), len(data))
    if len(data) > MAX_INLINE_CONTENT:
        return {**entry, "content": "", "encoding": "none"}
    encoded = base64.b64encode(data).decode("ascii")
    wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    return {**entry, "content": wrapped, "encoding": "base64"}
