"""Repository content routes: commits, comparisons, file contents and commit comments."""

from __future__ import annotations

from typing import Any

from .git import FileChange, blob_sha, file_bytes, patch_of
from .replies import Reply, invalid, not_found, paginate
from .routing import Context, Route
from .shapes import (
    commit_json,
    content_entry_json,
    content_file_json,
    diff_entry_json,
    node_id,
    reaction_rollup,
    tree_sha,
)

#: GitHub lists at most this many files for a comparison (the rest are silently cut).
MAX_COMPARE_FILES = 300
MAX_COMPARE_COMMITS = 250


def diff_entries(ctx: Context, head_sha: str, changes: list[FileChange]) -> list[dict[str, Any]]:
    """``diff-entry`` objects for a list of changes."""
    repo = ctx.the_repo
    entries = []
    for change in changes:
        patch, additions, deletions = patch_of(change.old, change.new)
        entries.append(
            diff_entry_json(
                repo.api_url,
                repo.html_url,
                head_sha,
                change,
                patch or None,
                (additions, deletions),
            )
        )
    return entries


def _commit(ctx: Context, sha: str) -> dict[str, Any]:
    repo = ctx.the_repo
    commit = repo.git.commits[sha]
    author = ctx.fake.accounts.user(commit.author)
    return commit_json(
        repo.api_url, repo.html_url, commit, ctx.fake.user_json(author) if author else None
    )


def _resolve(ctx: Context, ref: str) -> str:
    repo = ctx.the_repo
    sha = repo.git.resolve(ref, repo.default_branch)
    if sha is None:
        raise invalid("Commit", "ref", "invalid", message=f"No commit found for SHA: {ref}")
    return sha


def get_commit(ctx: Context) -> Reply:
    """``GET .../commits/{ref}``: the commit and the files it changed from its first parent."""
    repo = ctx.the_repo
    sha = repo.git.resolve(ctx.params["ref"], repo.default_branch)
    if sha is None:
        raise invalid(
            "Commit", "ref", "invalid", message=f"No commit found for SHA: {ctx.params['ref']}"
        )
    commit = repo.git.commits[sha]
    parent = commit.parents[0] if commit.parents else None
    entries = diff_entries(ctx, sha, repo.git.diff(parent, sha))
    files, links = paginate(
        entries, ctx.query, ctx.page_url, default_per_page=300, max_per_page=300
    )
    additions = sum(entry["additions"] for entry in entries)
    deletions = sum(entry["deletions"] for entry in entries)
    body = {
        **_commit(ctx, sha),
        "stats": {"additions": additions, "deletions": deletions, "total": additions + deletions},
        "files": files,
    }
    return Reply(200, body, links)


def compare(ctx: Context) -> Reply:
    """``GET .../compare/{base}...{head}``: status, commits and the files changed since the
    merge base (renames followed along the head's first-parent line)."""
    repo = ctx.the_repo
    base = repo.git.resolve(ctx.params["base"].split(":")[-1], repo.default_branch)
    head = repo.git.resolve(ctx.params["head"].split(":")[-1], repo.default_branch)
    if base is None or head is None:
        raise not_found()
    merge_base = repo.git.merge_base(base, head)
    if merge_base is None:
        raise not_found(
            f"No common ancestor between {ctx.params['base']} and {ctx.params['head']}."
        )
    ahead = repo.git.commits_between(base, head)
    behind = repo.git.commits_between(head, base)
    status = "identical"
    if ahead and behind:
        status = "diverged"
    elif ahead:
        status = "ahead"
    elif behind:
        status = "behind"
    paginated = "page" in ctx.query or "per_page" in ctx.query
    commits = ahead[:MAX_COMPARE_COMMITS]
    links: dict[str, str] = {}
    if paginated:
        commits, links = paginate(
            ahead,
            ctx.query,
            ctx.page_url,
            default_per_page=MAX_COMPARE_COMMITS,
            max_per_page=MAX_COMPARE_COMMITS,
        )
    url = f"{repo.api_url}/compare/{ctx.params['base']}...{ctx.params['head']}"
    html = f"{repo.html_url}/compare/{ctx.params['base']}...{ctx.params['head']}"
    body: dict[str, Any] = {
        "url": url,
        "html_url": html,
        "permalink_url": f"{repo.html_url}/compare/{base[:7]}...{head[:7]}",
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "base_commit": _commit(ctx, base),
        "merge_base_commit": _commit(ctx, merge_base),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [_commit(ctx, commit.sha) for commit in commits],
    }
    if not paginated or int(ctx.query.get("page", "1")) == 1:
        changes = repo.git.diff(merge_base, head)[:MAX_COMPARE_FILES]
        body["files"] = diff_entries(ctx, head, changes)
    return Reply(200, body, links)


def get_contents(ctx: Context) -> Reply:
    """``GET .../contents/{path}?ref=``: a file (base64) or a directory listing."""
    repo = ctx.the_repo
    ref = ctx.query.get("ref") or repo.default_branch
    sha = repo.git.resolve(ref, repo.default_branch)
    if sha is None:
        raise not_found(f"No commit found for the ref {ref}")
    tree = repo.git.commits[sha].tree
    path = ctx.params["path"].strip("/")
    if path in tree:
        if "raw" in ctx.headers.get("accept", ""):
            return Reply(200, raw=tree[path], content_type="application/vnd.github.raw")
        return Reply(200, content_file_json(repo.api_url, repo.html_url, ref, path, tree[path]))
    prefix = f"{path}/" if path else ""
    children: dict[str, dict[str, str]] = {}
    for file_path, text in tree.items():
        if file_path.startswith(prefix):
            name = file_path[len(prefix) :].split("/", 1)[0]
            children.setdefault(name, {})[file_path] = text
    if not children:
        raise not_found()
    listing = []
    for name in sorted(children):
        child = prefix + name
        if child in tree:
            entry = content_entry_json(
                repo.api_url,
                repo.html_url,
                ref,
                child,
                "file",
                blob_sha(tree[child]),
                len(file_bytes(tree[child])),
            )
        else:
            entry = content_entry_json(
                repo.api_url,
                repo.html_url,
                ref,
                child,
                "dir",
                tree_sha({p[len(child) + 1 :]: t for p, t in children[name].items()}),
                0,
            )
        listing.append(entry)
    return Reply(200, listing)


def create_commit_comment(ctx: Context) -> Reply:
    """``POST .../commits/{commit_sha}/comments``."""
    repo = ctx.the_repo
    sha = _resolve(ctx, ctx.params["commit_sha"])
    author = ctx.actor_user()
    comment_id = ctx.fake.next_id("commit_comment")
    now = ctx.fake.timestamp()
    url = f"{repo.api_url}/comments/{comment_id}"
    comment = {
        "id": comment_id,
        "node_id": node_id("CC", comment_id),
        "url": url,
        "html_url": f"{repo.html_url}/commit/{sha}#commitcomment-{comment_id}",
        "body": ctx.body["body"],
        "path": ctx.body.get("path"),
        "position": ctx.body.get("position"),
        "line": ctx.body.get("line"),
        "commit_id": sha,
        "user": ctx.fake.user_json(author),
        "created_at": now,
        "updated_at": now,
        "author_association": repo.author_association(author),
        "reactions": reaction_rollup(f"{url}/reactions"),
    }
    repo.commit_comments.append(comment)
    return Reply(201, comment, {"Location": url})


ROUTES = [
    Route(
        "GET", "/repos/{owner}/{repo}/commits/{ref}", get_commit, operation_id="repos/get-commit"
    ),
    Route(
        "GET",
        "/repos/{owner}/{repo}/compare/{base}...{head}",
        compare,
        operation_id="repos/compare-commits",
    ),
    Route(
        "GET",
        "/repos/{owner}/{repo}/contents/{path}",
        get_contents,
        operation_id="repos/get-content",
    ),
    Route(
        "POST",
        "/repos/{owner}/{repo}/commits/{commit_sha}/comments",
        create_commit_comment,
        operation_id="repos/create-commit-comment",
    ),
]
