"""Git database routes: trees (``recursive=1`` in one request) and blobs, with git's real ids."""

from __future__ import annotations

import base64
from typing import Any

from .git import TreeEntry, blob_sha, file_bytes, tree_objects
from .replies import Reply, not_found
from .routing import Context, Route
from .shapes import node_id

#: GitHub cuts a recursive tree listing at 100,000 entries (``truncated: true``); tests lower it
#: with ``fake.tree_entry_limit``.
MAX_TREE_ENTRIES = 100_000


def _find_tree(ctx: Context, wanted: str) -> tuple[str, dict[str, tuple[TreeEntry, ...]]] | None:
    repo = ctx.the_repo
    commit = repo.git.resolve(wanted, repo.default_branch)
    if commit is not None:  # GitHub also takes a ref or commit for the tree
        objects = tree_objects(repo.git.commits[commit].tree)
        return next(iter(objects)), objects
    for candidate in repo.git.commits.values():
        objects = tree_objects(candidate.tree)
        if wanted in objects:
            return wanted, objects
    return None


def get_tree(ctx: Context) -> Reply:
    """``GET .../git/trees/{tree_sha}[?recursive=1]``: entries, subtrees expanded if asked."""
    repo = ctx.the_repo
    found = _find_tree(ctx, ctx.params["tree_sha"])
    if found is None:
        raise not_found()
    sha, objects = found
    recursive = ctx.query.get("recursive") not in (None, "", "0", "false")
    listed: list[TreeEntry] = []

    def walk(tree: str, prefix: str) -> None:
        for entry in objects[tree]:
            listed.append(
                TreeEntry(prefix + entry.path, entry.mode, entry.type, entry.sha, entry.size)
            )
            if recursive and entry.type == "tree":
                walk(entry.sha, f"{prefix}{entry.path}/")

    walk(sha, "")
    # The limit is the recursive listing's (a lowered one must not cut a single tree silently).
    limit = ctx.fake.tree_entry_limit if recursive else MAX_TREE_ENTRIES
    truncated = len(listed) > limit
    body = {
        "sha": sha,
        "url": f"{repo.api_url}/git/trees/{sha}",
        "tree": [_entry_json(repo.api_url, entry) for entry in listed[:limit]],
        "truncated": truncated,
    }
    return Reply(200, body)


def _entry_json(api: str, entry: TreeEntry) -> dict[str, Any]:
    kind = "blobs" if entry.type == "blob" else "trees"
    item: dict[str, Any] = {
        "path": entry.path,
        "mode": entry.mode,
        "type": entry.type,
        "sha": entry.sha,
        "url": f"{api}/git/{kind}/{entry.sha}",
    }
    if entry.size is not None:
        item["size"] = entry.size
    return item


def get_blob(ctx: Context) -> Reply:
    """``GET .../git/blobs/{file_sha}``: base64 content of any size up to GitHub's 100 MB."""
    repo = ctx.the_repo
    wanted = ctx.params["file_sha"]
    for commit in repo.git.commits.values():
        for text in commit.tree.values():
            if blob_sha(text) == wanted:
                data = file_bytes(text)
                encoded = base64.b64encode(data).decode("ascii")
                wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
                return Reply(
                    200,
                    {
                        "sha": wanted,
                        "node_id": node_id("B", int(wanted[:8], 16)),
                        "size": len(data),
                        "url": f"{repo.api_url}/git/blobs/{wanted}",
                        "content": wrapped,
                        "encoding": "base64",
                    },
                )
    raise not_found()


ROUTES = [
    Route(
        "GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}", get_tree, operation_id="git/get-tree"
    ),
    Route(
        "GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}", get_blob, operation_id="git/get-blob"
    ),
]
