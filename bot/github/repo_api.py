"""Typed helpers for the repository reads and the few lookups the bot makes.

Each takes the client explicitly, builds one REST path, and turns GitHub's answer into plain
Python values; errors other than the ones documented come out as
:class:`~bot.github.client.GitHubError`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from typing import Any
from urllib.parse import quote

from bot.github.client import GitHubClient, GitHubError

log = logging.getLogger(__name__)

#: GitHub lists at most this many files for one comparison; a page that long may be cut short.
COMPARE_FILES_CAP = 300
ROLES = ("admin", "maintain", "write", "triage", "read")


def _segment(value: str) -> str:
    """One URL path segment (a login, a label name, a ref), fully escaped."""
    return quote(value, safe="")


def _path(value: str) -> str:
    """A file path in a URL: slashes kept, everything else escaped."""
    return quote(value.strip("/"), safe="/")


async def read_file(gh: GitHubClient, repo: str, path: str, ref: str) -> str | None:
    """The text of ``path`` at ``ref``; None when absent, not a file, too large or not UTF-8.

    A leading byte-order mark is dropped.
    """
    data = await gh.get_or_none(f"/repos/{repo}/contents/{_path(path)}", {"ref": ref})
    if data is None:
        return None
    if not isinstance(data, dict) or data.get("type") != "file":
        log.info("%s: %s at %s is not a file", repo, path, ref)
        return None
    content = data.get("content")
    if data.get("encoding") != "base64" or not isinstance(content, str):
        # Files over 1 MB come without content; meeting notes are never that large.
        log.warning("%s: %s at %s is too large to read through the API", repo, path, ref)
        return None
    try:
        raw = base64.b64decode(content)
        return raw.decode("utf-8-sig")
    except (binascii.Error, UnicodeDecodeError):
        log.warning("%s: %s at %s is not UTF-8 text; skipped", repo, path, ref)
        return None


async def list_tree(gh: GitHubClient, repo: str, ref: str, prefix: str = "") -> list[str]:
    """Every file path at ``ref`` under ``prefix`` (the whole repository by default), sorted.

    Walks directories through the contents API, sibling directories concurrently. A prefix
    that does not exist gives an empty list; a prefix naming a file gives that file.
    """
    data = await gh.get_or_none(f"/repos/{repo}/contents/{_path(prefix)}", {"ref": ref})
    if data is None:
        return []
    if isinstance(data, dict):
        return [str(data["path"])] if data.get("type") == "file" else []
    files = [str(entry["path"]) for entry in data if entry.get("type") == "file"]
    subdirectories = [str(entry["path"]) for entry in data if entry.get("type") == "dir"]
    nested = await asyncio.gather(*(list_tree(gh, repo, ref, sub) for sub in subdirectories))
    for paths in nested:
        files.extend(paths)
    return sorted(files)


def _compare_url(repo: str, base: str, head: str) -> str:
    return f"/repos/{repo}/compare/{quote(base, safe='/')}...{quote(head, safe='/')}"


async def compare(gh: GitHubClient, repo: str, base: str, head: str) -> dict[str, Any] | None:
    """GitHub's comparison of two commits (first page); None when either is unknown (404)."""
    data = await gh.get_or_none(_compare_url(repo, base, head))
    return None if data is None else dict(data)


async def changed_files(
    gh: GitHubClient, repo: str, base: str, head: str
) -> list[dict[str, Any]] | None:
    """Every file changed between ``base`` and ``head`` (renames with ``previous_filename``).

    None when the comparison is unknown (404: a force-push or a new branch) *or* may be
    incomplete (GitHub stops listing at 300 files): either way the caller should read the
    notes at ``head`` in full instead.
    """
    files: dict[str, dict[str, Any]] = {}
    try:
        async for page in gh.pages(_compare_url(repo, base, head), {"per_page": 100}):
            page_files = page.get("files") or []
            if len(page_files) >= COMPARE_FILES_CAP:
                log.warning(
                    "%s: %s...%s changes %d+ files; the list may be cut short",
                    repo,
                    base[:12],
                    head[:12],
                    len(page_files),
                )
                return None
            for entry in page_files:
                files.setdefault(str(entry["filename"]), dict(entry))
    except GitHubError as exc:
        if exc.status == 404:
            return None
        raise
    return list(files.values())


async def commit_files(gh: GitHubClient, repo: str, ref: str) -> dict[str, Any]:
    """One commit (``GET commits/{ref}``) with ``files`` gathered from all its pages."""
    commit: dict[str, Any] | None = None
    files: list[dict[str, Any]] = []
    async for page in gh.pages(f"/repos/{repo}/commits/{quote(ref, safe='/')}"):
        if commit is None:
            commit = dict(page)
        files.extend(page.get("files") or [])
    assert commit is not None  # pages() yields at least one page or raises
    commit["files"] = files
    return commit


async def bot_issues(gh: GitHubClient, repo: str, creator: str) -> list[dict[str, Any]]:
    """Every issue ``creator`` opened in ``repo``, open or closed, oldest first; no PRs."""
    params = {"state": "all", "creator": creator, "sort": "created", "direction": "asc"}
    return [
        issue
        async for issue in gh.getiter(f"/repos/{repo}/issues", params)
        if "pull_request" not in issue
    ]


async def can_assign(gh: GitHubClient, repo: str, login: str) -> bool:
    """Whether ``login`` may be assigned issues in ``repo`` (remembered for a few minutes)."""
    key = ("assignable", repo.lower(), login.lower())
    known = gh.memo.get(key)
    if known is not None:
        return bool(known)
    answer = await gh.exists(f"/repos/{repo}/assignees/{_segment(login)}")
    gh.memo[key] = answer
    return answer


async def permission(gh: GitHubClient, repo: str, login: str) -> str:
    """``login``'s role in ``repo``: admin, maintain, write, triage, read or none.

    A custom role falls back to the base permission GitHub reports alongside it.
    """
    data = await gh.get_or_none(f"/repos/{repo}/collaborators/{_segment(login)}/permission")
    if data is None:
        return "none"
    role = data.get("role_name")
    if role in ROLES:
        return str(role)
    base = data.get("permission")
    return str(base) if base in ROLES else "none"


async def list_comments(gh: GitHubClient, repo: str, number: int) -> list[dict[str, Any]]:
    """All comments of an issue or pull request, oldest first."""
    return [c async for c in gh.getiter(f"/repos/{repo}/issues/{number}/comments")]


async def pull_files(gh: GitHubClient, repo: str, number: int) -> list[dict[str, Any]]:
    """All files a pull request changes (GitHub lists up to 3000)."""
    return [f async for f in gh.getiter(f"/repos/{repo}/pulls/{number}/files")]


async def ensure_label(
    gh: GitHubClient, repo: str, name: str, color: str, description: str
) -> None:
    """Create the label unless the repository has it (any case); an existing one is left as is."""
    key = ("label", repo.lower(), name.casefold())
    if gh.memo.get(key):
        return
    wanted = name.casefold()
    async for label in gh.getiter(f"/repos/{repo}/labels"):
        if str(label.get("name", "")).casefold() == wanted:
            gh.memo[key] = True
            return
    try:
        await gh.post(
            f"/repos/{repo}/labels",
            {"name": name, "color": color.lstrip("#"), "description": description},
        )
    except GitHubError as exc:
        # Created meanwhile by someone else: that is what we wanted.
        if not _already_exists(exc):
            raise
    gh.memo[key] = True


def _already_exists(exc: GitHubError) -> bool:
    if exc.status != 422 or not isinstance(exc.errors, list):
        return False
    return any(isinstance(e, dict) and e.get("code") == "already_exists" for e in exc.errors)
