"""A tiny git: commits with whole trees, branches, merges and GitHub-like tree diffs.

Renames are what the pusher declares (``renames={old: new}``), followed along the first-parent
chain, plus git's exact-content rename detection for a removed and an added file with the same
text. That is enough for GitHub's ``compare`` and ``commits`` answers about meeting notes.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

ZERO_SHA = "0" * 40

Status = Literal["added", "removed", "modified", "renamed"]


@dataclass(frozen=True)
class Commit:
    """One commit: its whole tree (path -> text) and the renames it made from its first parent."""

    sha: str
    parents: tuple[str, ...]
    tree: Mapping[str, str]
    message: str
    author: str
    timestamp: str
    renames: Mapping[str, str]
    seq: int


@dataclass(frozen=True)
class FileChange:
    """One entry of a tree diff, with the texts on both sides (``None`` where absent)."""

    status: Status
    filename: str
    previous_filename: str | None
    old: str | None
    new: str | None


def file_bytes(text: str) -> bytes:
    """A file's bytes. Files are kept as text; bytes that are not UTF-8 are pushed as
    ``raw.decode("utf-8", "surrogateescape")`` and come back as they were."""
    return text.encode("utf-8", "surrogateescape")


@functools.lru_cache(maxsize=4096)
def blob_sha(text: str) -> str:
    """The git blob id of a text, as GitHub reports it for file contents."""
    data = file_bytes(text)
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@functools.lru_cache(maxsize=2048)
def patch_of(old: str | None, new: str | None) -> tuple[str, int, int]:
    """A GitHub-style patch (hunks only) and its added and deleted line counts."""
    if old == new:
        return "", 0, 0  # a pure rename: GitHub sends no patch
    before = (old or "").splitlines()
    after = (new or "").splitlines()
    lines = list(difflib.unified_diff(before, after, lineterm="", n=3))[2:]
    additions = sum(1 for line in lines if line.startswith("+"))
    deletions = sum(1 for line in lines if line.startswith("-"))
    return "\n".join(lines), additions, deletions


class GitModel:
    """Commits and branches of one repository."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.commits: dict[str, Commit] = {}
        self.branches: dict[str, str] = {}
        self._seq = 0

    def commit(
        self,
        branch: str,
        files: Mapping[str, str | None],
        *,
        message: str,
        author: str,
        timestamp: str,
        renames: Mapping[str, str] | None = None,
        extra_parent: str | None = None,
        start_from: str | None = None,
        whole_tree: Mapping[str, str] | None = None,
    ) -> tuple[str, str]:
        """Commit on ``branch`` (created from ``start_from`` when new); return (before, after).

        Renames apply first (old path -> new path, keeping the text), then ``files``
        (``None`` deletes). ``extra_parent`` makes a merge commit; ``whole_tree`` gives its
        tree outright (``renames`` then only record what the merge brought in).
        """
        before = self.branches.get(branch)
        parent = before if before is not None else start_from
        tree = dict(self.commits[parent].tree) if parent is not None else {}
        if whole_tree is not None:
            tree = dict(whole_tree)
        else:
            _apply(tree, files, renames or {}, branch)
        parents = tuple(p for p in (parent, extra_parent) if p is not None)
        self._seq += 1
        seed = f"{self.name}\n{parents}\n{message}\n{author}\n{timestamp}\n{self._seq}"
        sha = hashlib.sha1(seed.encode("utf-8")).hexdigest()
        self.commits[sha] = Commit(
            sha=sha,
            parents=parents,
            tree=tree,
            message=message,
            author=author,
            timestamp=timestamp,
            renames=dict(renames or {}),
            seq=self._seq,
        )
        self.branches[branch] = sha
        return (before or ZERO_SHA, sha)

    def resolve(self, ref: str, default_branch: str) -> str | None:
        """The sha a ref names: a sha or unique prefix (7+), a branch, ``heads/x``, ``HEAD``."""
        if ref == "HEAD":
            ref = default_branch
        for prefix in ("refs/heads/", "heads/"):
            if ref.startswith(prefix) and ref[len(prefix) :] in self.branches:
                return self.branches[ref[len(prefix) :]]
        if ref in self.branches:
            return self.branches[ref]
        if ref in self.commits:
            return ref
        if len(ref) >= 7 and all(c in "0123456789abcdef" for c in ref):
            found = [sha for sha in self.commits if sha.startswith(ref)]
            if len(found) == 1:
                return found[0]
        return None

    def ancestors(self, sha: str) -> set[str]:
        """Every commit reachable from ``sha``, itself included."""
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.commits[current].parents)
        return seen

    def merge_base(self, a: str, b: str) -> str | None:
        """The newest commit reachable from both ``a`` and ``b``."""
        common = self.ancestors(a) & self.ancestors(b)
        if not common:
            return None
        return max(common, key=lambda sha: self.commits[sha].seq)

    def commits_between(self, base: str, head: str) -> list[Commit]:
        """Commits reachable from ``head`` but not from ``base``, oldest first."""
        wanted = self.ancestors(head) - self.ancestors(base)
        return sorted((self.commits[sha] for sha in wanted), key=lambda c: c.seq)

    def first_parent_chain(self, base: str | None, head: str) -> list[Commit] | None:
        """Commits after ``base`` up to ``head`` along first parents (``None``: off that line)."""
        chain: list[Commit] = []
        current: str | None = head
        while current != base:
            if current is None:
                return None  # base is not on head's first-parent line
            commit = self.commits[current]
            chain.append(commit)
            current = commit.parents[0] if commit.parents else None
        return list(reversed(chain))

    def diff(self, base: str | None, head: str) -> list[FileChange]:
        """The changes from ``base`` (``None``: the empty tree) to ``head``, sorted by path."""
        old_tree: Mapping[str, str] = self.commits[base].tree if base is not None else {}
        new_tree = self.commits[head].tree
        chain = self.first_parent_chain(base, head) or []
        return diff_trees(old_tree, new_tree, _declared_origins(old_tree, chain))

    def merge_tree(self, target: str, source: str) -> tuple[dict[str, str], dict[str, str]]:
        """The tree of merging ``source`` into ``target`` (source wins) and its renames."""
        base = self.merge_base(target, source)
        tree = dict(self.commits[target].tree)
        renames: dict[str, str] = {}
        for change in self.diff(base, source):
            if change.previous_filename is not None:
                tree.pop(change.previous_filename, None)
                renames[change.previous_filename] = change.filename
            if change.new is None:
                tree.pop(change.filename, None)
            else:
                tree[change.filename] = change.new
        return tree, renames


def _apply(
    tree: dict[str, str], files: Mapping[str, str | None], renames: Mapping[str, str], branch: str
) -> None:
    for old, new in renames.items():
        if old not in tree:
            raise ValueError(f"cannot rename {old!r}: no such file at {branch}")
        tree[new] = tree.pop(old)
    for path, text in files.items():
        if text is None:
            if path not in tree:
                raise ValueError(f"cannot delete {path!r}: no such file at {branch}")
            del tree[path]
        else:
            tree[path] = text


def _declared_origins(old_tree: Mapping[str, str], chain: list[Commit]) -> dict[str, str]:
    """For each path of the newest tree, the path it was renamed from in ``old_tree``."""
    origin = {path: path for path in old_tree}
    for commit in chain:
        for old, new in commit.renames.items():
            if old in origin:
                origin[new] = origin.pop(old)
        for path in [p for p in origin if p not in commit.tree]:
            del origin[path]
    return {new: old for new, old in origin.items() if new != old}


def diff_trees(
    old_tree: Mapping[str, str], new_tree: Mapping[str, str], origins: Mapping[str, str]
) -> list[FileChange]:
    """Path-by-path diff, pairing removed and added files into renames like git does."""
    added = [path for path in new_tree if path not in old_tree]
    removed = {path for path in old_tree if path not in new_tree}
    changes: list[FileChange] = []
    for path in new_tree:
        if path in old_tree and old_tree[path] != new_tree[path]:
            changes.append(FileChange("modified", path, None, old_tree[path], new_tree[path]))
    unpaired: list[str] = []
    for path in added:
        source = origins.get(path)
        if source in removed:
            removed.discard(source)
            changes.append(FileChange("renamed", path, source, old_tree[source], new_tree[path]))
        else:
            unpaired.append(path)
    by_text: dict[str, list[str]] = {}
    for path in sorted(removed):
        by_text.setdefault(old_tree[path], []).append(path)
    for path in unpaired:
        same = by_text.get(new_tree[path])
        if same:
            source = same.pop(0)
            removed.discard(source)
            changes.append(FileChange("renamed", path, source, old_tree[source], new_tree[path]))
        else:
            changes.append(FileChange("added", path, None, None, new_tree[path]))
    changes += [FileChange("removed", path, None, old_tree[path], None) for path in removed]
    return sorted(changes, key=lambda change: change.filename)


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a git tree object."""

    path: str  # relative to the tree listed
    mode: str
    type: str  # "blob" or "tree"
    sha: str
    size: int | None


@functools.lru_cache(maxsize=1024)
def _tree_objects(files: tuple[tuple[str, str], ...]) -> dict[str, tuple[TreeEntry, ...]]:
    """Every tree object of a commit's tree, by git id; the root comes first."""
    children: dict[str, dict[str, tuple[str, str | None]]] = {"": {}}
    for path, text in files:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent, name = "/".join(parts[: depth - 1]), parts[depth - 1]
            children.setdefault(parent, {})[name] = ("tree", None)
            children.setdefault("/".join(parts[:depth]), {})
        children.setdefault("/".join(parts[:-1]), {})[parts[-1]] = ("blob", text)
    objects: dict[str, tuple[TreeEntry, ...]] = {}
    ids: dict[str, str] = {}

    def build(directory: str) -> str:
        entries: list[TreeEntry] = []
        raw = b""
        # git orders entries by name, a tree's name compared as if it ended in "/"
        for name, (kind, text) in sorted(
            children[directory].items(),
            key=lambda item: item[0] + ("/" if item[1][0] == "tree" else ""),
        ):
            full = f"{directory}/{name}" if directory else name
            if kind == "tree":
                sha, mode, size = build(full), "040000", None
            else:
                assert text is not None
                sha, mode, size = blob_sha(text), "100644", len(file_bytes(text))
            raw += f"{mode.lstrip('0')} {name}".encode() + b"\0" + bytes.fromhex(sha)
            entries.append(TreeEntry(name, mode, kind, sha, size))
        sha = hashlib.sha1(b"tree %d\0" % len(raw) + raw).hexdigest()
        objects[sha] = tuple(entries)
        ids[directory] = sha
        return sha

    root = build("")
    return {root: objects.pop(root), **objects}


def tree_objects(tree: Mapping[str, str]) -> dict[str, tuple[TreeEntry, ...]]:
    """Every tree object of a whole tree (path -> text), by git id; the root first."""
    return _tree_objects(tuple(sorted(tree.items())))


def root_tree_sha(tree: Mapping[str, str]) -> str:
    """Git's id of a commit's root tree."""
    return next(iter(tree_objects(tree)))
