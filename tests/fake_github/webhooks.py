"""Webhook deliveries shaped like GitHub's, built from the fake's state, and their signatures.

The shapes follow GitHub's webhook descriptions (``push``, ``pull_request``, ``issue_comment``,
``installation``); ``tests/test_fake_github.py`` validates them against
../shared/corpus/webhooks/github-webhooks-openapi-subset.json when it is present.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any

from .git import ZERO_SHA, Commit, patch_of
from .shapes import git_person, installation_json, node_id, tree_sha

if TYPE_CHECKING:
    from .repo import FakeRepo
    from .server import FakeGitHub

#: GitHub lists at most this many commits in a push delivery.
MAX_PUSH_COMMITS = 2048

_REPO_URL_FIELDS = {
    "forks_url": "/forks",
    "keys_url": "/keys{/key_id}",
    "collaborators_url": "/collaborators{/collaborator}",
    "teams_url": "/teams",
    "hooks_url": "/hooks",
    "issue_events_url": "/issues/events{/number}",
    "events_url": "/events",
    "assignees_url": "/assignees{/user}",
    "branches_url": "/branches{/branch}",
    "tags_url": "/tags",
    "blobs_url": "/git/blobs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "trees_url": "/git/trees{/sha}",
    "statuses_url": "/statuses/{sha}",
    "languages_url": "/languages",
    "stargazers_url": "/stargazers",
    "contributors_url": "/contributors",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "commits_url": "/commits{/sha}",
    "git_commits_url": "/git/commits{/sha}",
    "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}",
    "contents_url": "/contents/{+path}",
    "compare_url": "/compare/{base}...{head}",
    "merges_url": "/merges",
    "archive_url": "/{archive_format}{/ref}",
    "downloads_url": "/downloads",
    "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "labels_url": "/labels{/name}",
    "releases_url": "/releases{/id}",
    "deployments_url": "/deployments",
}


def sign(body: bytes, secret: str) -> str:
    """The ``X-Hub-Signature-256`` value for a delivery body."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def delivery_headers(
    event: str, body: bytes, secret: str, *, delivery_id: str | None = None
) -> dict[str, str]:
    """The headers GitHub sends with a delivery (signed with ``secret``)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/fake",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "1",
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-GitHub-Hook-Installation-Target-ID": "1",
        "X-Hub-Signature-256": sign(body, secret),
    }


def encode(payload: dict[str, Any]) -> bytes:
    """A payload as the bytes GitHub would send."""
    return json.dumps(payload).encode("utf-8")


def repository_json(repo: FakeRepo) -> dict[str, Any]:
    """The ``repository`` object of a delivery."""
    fake = repo.fake
    owner = fake.accounts.ensure_user(repo.owner, type="Organization")
    stamp = "2024-01-01T00:00:00Z"
    return {
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": fake.user_json(owner),
        "html_url": repo.html_url,
        "description": None,
        "fork": False,
        "url": repo.api_url,
        **{key: repo.api_url + suffix for key, suffix in _REPO_URL_FIELDS.items()},
        "created_at": stamp,
        "updated_at": stamp,
        "pushed_at": fake.timestamp(),
        "git_url": f"git://github.com/{repo.full_name}.git",
        "ssh_url": f"git@github.com:{repo.full_name}.git",
        "clone_url": f"{repo.html_url}.git",
        "svn_url": repo.html_url,
        "homepage": None,
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": None,
        "has_issues": True,
        "has_projects": True,
        "has_downloads": True,
        "has_wiki": True,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": 0,
        "mirror_url": None,
        "archived": False,
        "disabled": False,
        "open_issues_count": sum(1 for i in repo.issues.values() if i["state"] == "open"),
        "license": None,
        "forks": 0,
        "open_issues": sum(1 for i in repo.issues.values() if i["state"] == "open"),
        "watchers": 0,
        "default_branch": repo.default_branch,
        "topics": [],
        "visibility": "private" if repo.private else "public",
    }


def _installation(repo: FakeRepo) -> dict[str, Any]:
    if repo.installation_id is None:
        return {}
    return {
        "installation": {
            "id": repo.installation_id,
            "node_id": node_id("MDI", repo.installation_id),
        }
    }


def _sender(fake: FakeGitHub, login: str) -> dict[str, Any]:
    return fake.user_json(fake.accounts.ensure_user(login))


def _push_commit(fake: FakeGitHub, repo: FakeRepo, commit: Commit) -> dict[str, Any]:
    parent = commit.parents[0] if commit.parents else None
    added: list[str] = []
    removed: list[str] = []
    modified: list[str] = []
    for change in repo.git.diff(parent, commit.sha):
        if change.status == "renamed":  # push deliveries show a rename as remove + add
            assert change.previous_filename is not None
            removed.append(change.previous_filename)
            added.append(change.filename)
        else:
            {"added": added, "removed": removed, "modified": modified}[change.status].append(
                change.filename
            )
    person: dict[str, Any] = git_person(commit.author, commit.timestamp)
    if fake.accounts.user(commit.author) is not None:
        person["username"] = commit.author
    return {
        "id": commit.sha,
        "tree_id": tree_sha(commit.tree),
        "distinct": True,
        "message": commit.message,
        "timestamp": commit.timestamp,
        "url": f"{repo.html_url}/commit/{commit.sha}",
        "author": person,
        "committer": person,
        "added": added,
        "removed": removed,
        "modified": modified,
    }


def push_payload(
    fake: FakeGitHub,
    repo: FakeRepo,
    before: str,
    after: str,
    *,
    ref: str | None = None,
    pusher: str = "octocat",
    forced: bool = False,
) -> dict[str, Any]:
    """A ``push`` delivery for ``before..after`` (``ref`` defaults to the default branch)."""
    with fake.lock:
        git = repo.git
        if after == ZERO_SHA:
            commits: list[Commit] = []
        elif before in git.commits:
            commits = git.commits_between(before, after)
        else:
            # a new branch or an unknown base: GitHub lists the history leading to ``after``
            commits = sorted(
                (git.commits[sha] for sha in git.ancestors(after)), key=lambda c: c.seq
            )
        entries = [_push_commit(fake, repo, commit) for commit in commits[-MAX_PUSH_COMMITS:]]
        head = None if after == ZERO_SHA else _push_commit(fake, repo, git.commits[after])
        return {
            "ref": ref or f"refs/heads/{repo.default_branch}",
            "before": before,
            "after": after,
            "created": before == ZERO_SHA,
            "deleted": after == ZERO_SHA,
            "forced": forced,
            "base_ref": None,
            "compare": f"{repo.html_url}/compare/{before[:12]}...{after[:12]}",
            "commits": entries,
            "head_commit": head,
            "repository": repository_json(repo),
            "pusher": {"name": pusher, "email": f"{pusher}@users.noreply.github.com"},
            "sender": _sender(fake, pusher),
            **_installation(repo),
        }


def pull_json(repo: FakeRepo, number: int) -> dict[str, Any]:
    fake = repo.fake
    issue = repo.issues[number]
    pull = repo.pulls[number]
    author = issue["user"]
    head_sha = repo.pull_head(number)
    base_sha = pull.merged_base or repo.head(pull.base_branch)
    changes = repo.pull_changes(number)
    counted = [patch_of(change.old, change.new) for change in changes]
    url = f"{repo.api_url}/pulls/{number}"
    repo_json = repository_json(repo)
    owner = repo_json["owner"]
    links = {
        "self": url,
        "html": issue["html_url"],
        "issue": issue["url"],
        "comments": f"{issue['url']}/comments",
        "review_comments": f"{url}/comments",
        "review_comment": f"{repo.api_url}/pulls/comments{{/number}}",
        "commits": f"{url}/commits",
        "statuses": f"{repo.api_url}/statuses/{head_sha}",
    }
    merged = pull.merge_commit is not None
    return {
        "url": url,
        "id": issue["id"],
        "node_id": node_id("PR", issue["id"]),
        "html_url": issue["html_url"],
        "diff_url": f"{issue['html_url']}.diff",
        "patch_url": f"{issue['html_url']}.patch",
        "issue_url": issue["url"],
        "number": number,
        "state": issue["state"],
        "locked": False,
        "title": issue["title"],
        "user": author,
        "body": issue["body"],
        "created_at": issue["created_at"],
        "updated_at": issue["updated_at"],
        "closed_at": issue["closed_at"],
        "merged_at": issue["pull_request"]["merged_at"],
        "merge_commit_sha": pull.merge_commit,
        "assignee": issue["assignee"],
        "assignees": issue["assignees"],
        "requested_reviewers": [],
        "requested_teams": [],
        "labels": issue["labels"],
        "milestone": None,
        "draft": False,
        "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"],
        "comments_url": links["comments"],
        "statuses_url": links["statuses"],
        "head": {
            "label": f"{repo.owner}:{pull.branch}",
            "ref": pull.branch,
            "sha": head_sha,
            "user": owner,
            "repo": repo_json,
        },
        "base": {
            "label": f"{repo.owner}:{pull.base_branch}",
            "ref": pull.base_branch,
            "sha": base_sha,
            "user": owner,
            "repo": repo_json,
        },
        "_links": {key: {"href": href} for key, href in links.items()},
        "author_association": issue["author_association"],
        "auto_merge": None,
        "active_lock_reason": None,
        "merged": merged,
        "mergeable": None if merged else True,
        "rebaseable": None,
        "mergeable_state": "unknown" if merged else "clean",
        "merged_by": _sender(fake, "octocat") if merged else None,
        "comments": issue["comments"],
        "review_comments": sum(1 for c in repo.review_comments if c["pull_request_url"] == url),
        "maintainer_can_modify": False,
        "commits": len(repo.git.commits_between(repo.pull_base(number), head_sha)),
        "additions": sum(additions for _, additions, _ in counted),
        "deletions": sum(deletions for _, _, deletions in counted),
        "changed_files": len(changes),
    }


def pull_request_payload(
    repo: FakeRepo,
    number: int,
    action: str,
    *,
    sender: str | None = None,
    before: str | None = None,
    after: str | None = None,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``pull_request`` delivery (opened, reopened, synchronize, edited, closed...).

    ``synchronize`` carries ``before``/``after`` (``after`` defaults to the branch head);
    ``edited`` carries ``changes`` such as ``{"title": {"from": "Old"}}``.
    """
    fake = repo.fake
    with fake.lock:
        pull = pull_json(repo, number)
        payload: dict[str, Any] = {
            "action": action,
            "number": number,
            "pull_request": pull,
            "repository": repository_json(repo),
            "sender": _sender(fake, sender or pull["user"]["login"]),
            **_installation(repo),
        }
        if action == "synchronize":
            payload["before"] = before or pull["base"]["sha"]
            payload["after"] = after or pull["head"]["sha"]
        if action == "edited":
            payload["changes"] = changes or {}
        return payload


def issue_comment_payload(
    repo: FakeRepo,
    issue_number: int,
    comment: dict[str, Any],
    *,
    action: str = "created",
    sender: str | None = None,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An ``issue_comment`` delivery for a comment made with :meth:`FakeRepo.add_comment`."""
    fake = repo.fake
    with fake.lock:
        payload: dict[str, Any] = {
            "action": action,
            "issue": dict(repo.issues[issue_number]),
            "comment": dict(comment),
            "repository": repository_json(repo),
            "sender": _sender(fake, sender or comment["user"]["login"]),
            **_installation(repo),
        }
        if action == "edited":
            payload["changes"] = changes or {"body": {"from": ""}}
        return payload


def installation_payload(
    fake: FakeGitHub,
    installation_id: int = 1,
    *,
    action: str = "created",
    sender: str = "octocat",
) -> dict[str, Any]:
    """An ``installation`` delivery listing the installation's repositories."""
    with fake.lock:
        installation = fake.accounts.installations[installation_id]
        account = fake.accounts.ensure_user(installation.account, type="Organization")
        repos = [fake.repos[name] for name in sorted(installation.repos) if name in fake.repos]
        return {
            "action": action,
            "installation": installation_json(
                fake.url, fake.web_url, installation, account, fake.app_id, fake.app_slug
            ),
            "repositories": [
                {
                    "id": repo.id,
                    "node_id": node_id("R", repo.id),
                    "name": repo.name,
                    "full_name": repo.full_name,
                    "private": repo.private,
                }
                for repo in repos
            ],
            "requester": None,
            "sender": _sender(fake, sender),
        }
