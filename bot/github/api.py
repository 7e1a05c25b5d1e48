"""Every GitHub REST call the bot makes, one named helper each (python/bedevere's ``util.py``).

Each takes the client explicitly, builds its path from a URI template through gidgethub's
``format_url`` (so every variable is escaped: a login, a label or a ref cannot change the
path), and turns GitHub's answer into plain Python values; errors other than the ones
documented come out as :class:`~bot.github.client.GitHubError`. No module outside
``bot/github/`` writes a REST path.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from gidgethub.sansio import format_url

from bot.github.client import GitHubClient, GitHubError

log = logging.getLogger(__name__)

#: GitHub lists at most this many files for one comparison; a page that long may be cut short.
COMPARE_FILES_CAP = 300
ROLES = ("admin", "maintain", "write", "triage", "read")


def url(template: str, repo: str | None = None, **url_vars: str | int) -> str:
    """The REST path ``template`` names, with ``{owner}`` and ``{repo}`` taken from ``repo``.

    Simple ``{name}`` variables are escaped whole (``/`` included); ``{+path}`` keeps a file
    path's slashes. A repository name that is not ``OWNER/NAME``, or whose parts are ``.`` or
    ``..``, is refused: it could only move the request elsewhere.
    """
    values: dict[str, str | int] = dict(url_vars)
    if repo is not None:
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name or {owner, name} & {".", ".."}:
            raise ValueError(f"not a repository name: {repo!r}")
        values["owner"], values["repo"] = owner, name
    return format_url(template, values, base_url="")


def slashed(value: str) -> str:
    """A file path or ref for a ``{+name}`` variable: slashes kept, every other character that
    is not plain escaped (git allows ``#`` and ``%`` in names, which would end or change a path)."""
    return quote(value.strip("/"), safe="/")


async def read_file(gh: GitHubClient, repo: str, path: str, ref: str) -> str | None:
    """The text of ``path`` at ``ref``; None when absent, not a file, too large or not UTF-8.

    A leading byte-order mark is dropped. For files whose absence must not be guessed (notes),
    use :func:`read_notes_text`.
    """
    data = await gh.get_or_none(
        url("/repos/{owner}/{repo}/contents/{+path}", repo, path=slashed(path)), {"ref": ref}
    )
    if data is None:
        return None
    if not isinstance(data, dict) or data.get("type") != "file":
        log.info("%s: %s at %s is not a file", repo, path, ref)
        return None
    content = data.get("content")
    if data.get("encoding") != "base64" or not isinstance(content, str):
        log.warning("%s: %s at %s is too large to read through the API", repo, path, ref)
        return None
    try:
        raw = base64.b64decode(content)
        return raw.decode("utf-8-sig")
    except (binascii.Error, UnicodeDecodeError):
        log.warning("%s: %s at %s is not UTF-8 text; skipped", repo, path, ref)
        return None


class Unreadable(GitHubError):
    """GitHub did not give a file it should have (the commit is unknown to it, or the file could
    not be read): nothing may be concluded from its absence."""

    def __init__(self, message: str, *, status: int | None, url: str) -> None:
        super().__init__(message, status=status, method="GET", url=url)


@dataclass(frozen=True)
class FileText:
    """A text file's content, and what was wrong with its bytes (for the people told)."""

    text: str
    problems: tuple[str, ...] = ()


async def read_notes_text(
    gh: GitHubClient, repo: str, path: str, ref: str, *, missing_ok: bool
) -> FileText | None:
    """The text of a notes file at ``ref``, read as far as it can be.

    ``None`` only when ``missing_ok`` and GitHub says there is no file there. Otherwise a
    missing or unreadable file raises :class:`Unreadable`: the caller's notes would be wrong
    without it, and items read as gone close issues. A file over 1 MB, which the contents API
    sends without its content, is read through its blob (up to 100 MB). Bytes that are not
    UTF-8 are replaced (U+FFFD) and reported, so one bad byte costs one character, not the file.
    """
    file_url = url("/repos/{owner}/{repo}/contents/{+path}", repo, path=slashed(path))
    data = await gh.get_or_none(file_url, {"ref": ref})
    if data is None:
        if missing_ok:
            return None
        raise Unreadable(f"{path} is not at {ref[:12]}", status=404, url=file_url)
    if not isinstance(data, dict) or data.get("type") != "file":
        if missing_ok:
            return None
        raise Unreadable(f"{path} at {ref[:12]} is not a file", status=None, url=file_url)
    content = data.get("content")
    if data.get("encoding") != "base64" or not isinstance(content, str):
        sha = data.get("sha")
        if not isinstance(sha, str) or not sha:
            raise Unreadable(
                f"{path} at {ref[:12]} came without content or sha", status=None, url=file_url
            )
        file_url = url("/repos/{owner}/{repo}/git/blobs/{file_sha}", repo, file_sha=sha)
        # Listed at ``ref`` a moment ago: a blob GitHub does not give is unread, never gone.
        blob = await gh.get_or_none(file_url)
        content = blob.get("content") if isinstance(blob, dict) else None
        if blob is None or blob.get("encoding") != "base64" or not isinstance(content, str):
            status = 404 if blob is None else None
            raise Unreadable(
                f"{path} at {ref[:12]}: its blob {sha[:12]} came without content",
                status=status,
                url=file_url,
            )
    try:
        raw = base64.b64decode(content)
    except binascii.Error as exc:
        raise Unreadable(f"{path} at {ref[:12]}: {exc}", status=None, url=file_url) from exc
    return decode_text(raw, path)


def decode_text(raw: bytes, path: str) -> FileText:
    """UTF-8 text (a byte-order mark dropped); invalid bytes replaced and counted."""
    try:
        return FileText(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        text = raw.decode("utf-8-sig", errors="replace")
        bad = text.count("\ufffd") - raw.decode("utf-8-sig", errors="ignore").count("\ufffd")
        return FileText(text, (f"{path}: {bad} invalid UTF-8 sequences, read as U+FFFD",))


#: Git's mode for a symbolic link: listed as a blob, but not a file the contents API reads.
_SYMLINK_MODE = "120000"


async def list_tree(gh: GitHubClient, repo: str, ref: str, prefix: str = "") -> list[str]:
    """Every file path at ``ref`` (a commit sha) under ``prefix`` (the whole repository by
    default), sorted.

    One request (``git/trees/{ref}?recursive=1``: GitHub takes a commit for the tree). When
    GitHub cuts that listing short (``truncated``), the trees are walked one level at a time,
    each by its own sha, until the listing is complete. A prefix that does not exist gives an
    empty list; a prefix naming a file gives that file. A commit GitHub does not know raises
    :class:`Unreadable`: an empty list there would read as every notes file deleted.
    """
    prefix = prefix.strip("/")
    tree_url = url("/repos/{owner}/{repo}/git/trees/{tree_sha}", repo, tree_sha=ref)
    data = await gh.get_or_none(tree_url, {"recursive": 1})
    if not isinstance(data, dict):
        raise Unreadable(f"no commit {ref[:12]} to list", status=404, url=tree_url)
    if data.get("truncated"):
        log.info("%s: the tree at %s is too large for one listing; walking it", repo, ref[:12])
        paths = await _walk_tree(gh, repo, str(data["sha"]), "", prefix)
    else:
        paths = _file_paths(data.get("tree") or (), "")
    return sorted(p for p in paths if _under(p, prefix))


def _file_paths(entries: Any, parent: str) -> list[str]:
    return [
        parent + str(entry["path"])
        for entry in entries
        if entry.get("type") == "blob" and entry.get("mode") != _SYMLINK_MODE
    ]


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix + "/")


async def _walk_tree(gh: GitHubClient, repo: str, sha: str, parent: str, prefix: str) -> list[str]:
    """The files of one tree and its subtrees (those that can hold ``prefix``), level by level,
    sibling trees concurrently."""
    tree_url = url("/repos/{owner}/{repo}/git/trees/{tree_sha}", repo, tree_sha=sha)
    data = await gh.get_or_none(tree_url)
    if not isinstance(data, dict) or data.get("truncated"):
        # A tree named by its parent that GitHub will not give (or give whole) leaves the
        # listing incomplete: missing files would read as deleted notes.
        raise Unreadable(
            f"tree {sha[:12]} ({parent or '/'}) not given whole", status=None, url=tree_url
        )
    entries = data.get("tree") or ()
    files = _file_paths(entries, parent)
    subtrees = [
        (str(entry["sha"]), f"{parent}{entry['path']}/")
        for entry in entries
        if entry.get("type") == "tree"
        and (
            _under(f"{parent}{entry['path']}", prefix)
            or prefix.startswith(f"{parent}{entry['path']}/")
        )
    ]
    nested = await asyncio.gather(*(_walk_tree(gh, repo, s, p, prefix) for s, p in subtrees))
    for paths in nested:
        files.extend(paths)
    return files


def _compare_url(repo: str, base: str, head: str) -> str:
    return url("/repos/{owner}/{repo}/compare/{basehead}", repo, basehead=f"{base}...{head}")


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
    return (await comparison(gh, repo, base, head)).files


@dataclass(frozen=True)
class Comparison:
    """What ``compare/BASE...HEAD`` says: where the branches met, and the files changed since."""

    merge_base: str | None
    #: None when unknown (404) or perhaps cut short (300 files or more).
    files: list[dict[str, Any]] | None


async def comparison(gh: GitHubClient, repo: str, base: str, head: str) -> Comparison:
    """One comparison, all pages: its merge base and every file changed since it."""
    files: dict[str, dict[str, Any]] = {}
    merge_base: str | None = None
    try:
        async for page in gh.pages(_compare_url(repo, base, head), {"per_page": 100}):
            found = (page.get("merge_base_commit") or {}).get("sha")
            if merge_base is None and isinstance(found, str) and found:
                merge_base = found
            page_files = page.get("files") or []
            if len(page_files) >= COMPARE_FILES_CAP:
                log.warning(
                    "%s: %s...%s changes %d+ files; the list may be cut short",
                    repo,
                    base[:12],
                    head[:12],
                    len(page_files),
                )
                return Comparison(merge_base, None)
            for entry in page_files:
                files.setdefault(str(entry["filename"]), dict(entry))
    except GitHubError as exc:
        if exc.status == 404:
            return Comparison(None, None)
        raise
    return Comparison(merge_base, list(files.values()))


async def commit_files(gh: GitHubClient, repo: str, ref: str) -> dict[str, Any]:
    """One commit (``GET commits/{ref}``) with ``files`` gathered from all its pages."""
    commit: dict[str, Any] | None = None
    files: list[dict[str, Any]] = []
    async for page in gh.pages(url("/repos/{owner}/{repo}/commits/{+ref}", repo, ref=slashed(ref))):
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
        async for issue in gh.getiter(url("/repos/{owner}/{repo}/issues", repo), params)
        if "pull_request" not in issue
    ]


async def can_assign(gh: GitHubClient, repo: str, login: str) -> bool:
    """Whether ``login`` may be assigned issues in ``repo`` (remembered for a few minutes)."""
    key = ("assignable", repo.lower(), login.lower())
    known = gh.memo.get(key)
    if known is not None:
        return bool(known)
    answer = await gh.exists(
        url("/repos/{owner}/{repo}/assignees/{assignee}", repo, assignee=login)
    )
    gh.memo[key] = answer
    return answer


async def permission(gh: GitHubClient, repo: str, login: str) -> str:
    """``login``'s role in ``repo``: admin, maintain, write, triage, read or none.

    A custom role falls back to the base permission GitHub reports alongside it.
    """
    data = await gh.get_or_none(
        url("/repos/{owner}/{repo}/collaborators/{username}/permission", repo, username=login)
    )
    if data is None:
        return "none"
    role = data.get("role_name")
    if role in ROLES:
        return str(role)
    base = data.get("permission")
    return str(base) if base in ROLES else "none"


async def list_comments(gh: GitHubClient, repo: str, number: int) -> list[dict[str, Any]]:
    """All comments of an issue or pull request, oldest first."""
    return [
        c
        async for c in gh.getiter(
            url("/repos/{owner}/{repo}/issues/{issue_number}/comments", repo, issue_number=number)
        )
    ]


async def get_pull(gh: GitHubClient, repo: str, number: int) -> dict[str, Any] | None:
    """A pull request as GitHub shows it now (its real base and head); None when there is
    none. Conditional: the same URL every time, so an unchanged pull request costs a 304."""
    data = await gh.get_or_none(
        url("/repos/{owner}/{repo}/pulls/{pull_number}", repo, pull_number=number)
    )
    return None if data is None else dict(data)


async def pull_files(gh: GitHubClient, repo: str, number: int) -> list[dict[str, Any]]:
    """All files a pull request changes (GitHub lists up to 3000)."""
    return [
        f
        async for f in gh.getiter(
            url("/repos/{owner}/{repo}/pulls/{pull_number}/files", repo, pull_number=number)
        )
    ]


async def ensure_label(
    gh: GitHubClient, repo: str, name: str, color: str, description: str
) -> None:
    """Create the label unless the repository has it (any case); an existing one is left as is."""
    key = ("label", repo.lower(), name.casefold())
    if gh.memo.get(key):
        return
    wanted = name.casefold()
    for label in await label_names(gh, repo):
        if label.casefold() == wanted:
            gh.memo[key] = True
            return
    try:
        await gh.post(
            url("/repos/{owner}/{repo}/labels", repo),
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


async def label_names(gh: GitHubClient, repo: str) -> list[str]:
    """The names of every label the repository has."""
    return [
        str(label.get("name", ""))
        async for label in gh.getiter(url("/repos/{owner}/{repo}/labels", repo))
    ]


async def head_commit(gh: GitHubClient, repo: str, ref: str) -> dict[str, Any]:
    """The commit ``ref`` (a branch, a tag, a SHA or ``HEAD``) names."""
    return dict(await gh.get(url("/repos/{owner}/{repo}/commits/{+ref}", repo, ref=slashed(ref))))


async def get_issue(gh: GitHubClient, repo: str, number: int) -> dict[str, Any] | None:
    """An issue or pull request as GitHub shows it now; None when there is none (404/410)."""
    data = await gh.get_or_none(
        url("/repos/{owner}/{repo}/issues/{issue_number}", repo, issue_number=number)
    )
    return None if data is None else dict(data)


async def create_issue(gh: GitHubClient, repo: str, fields: dict[str, Any]) -> dict[str, Any]:
    """File an issue (``fields``: title, body, labels, assignees); returns it."""
    return dict(await gh.post(url("/repos/{owner}/{repo}/issues", repo), fields))


async def update_issue(
    gh: GitHubClient, repo: str, number: int, fields: dict[str, Any]
) -> dict[str, Any]:
    """Change an issue's title, body, state, state reason or assignees; returns it."""
    issue_url = url("/repos/{owner}/{repo}/issues/{issue_number}", repo, issue_number=number)
    return dict(await gh.patch(issue_url, fields))


async def add_labels(gh: GitHubClient, repo: str, number: int, labels: list[str]) -> list[Any]:
    """Add labels to an issue; returns every label it then has."""
    labels_url = url(
        "/repos/{owner}/{repo}/issues/{issue_number}/labels", repo, issue_number=number
    )
    return list(await gh.post(labels_url, {"labels": labels}))


async def remove_label(gh: GitHubClient, repo: str, number: int, name: str) -> None:
    """Take one label off an issue (a 404 means it was not there)."""
    await gh.delete(
        url(
            "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
            repo,
            issue_number=number,
            name=name,
        )
    )


async def add_assignees(
    gh: GitHubClient, repo: str, number: int, logins: list[str]
) -> dict[str, Any]:
    """Assign people to an issue (GitHub skips those it will not assign); returns the issue."""
    assignees_url = url(
        "/repos/{owner}/{repo}/issues/{issue_number}/assignees", repo, issue_number=number
    )
    return dict(await gh.post(assignees_url, {"assignees": logins}))


async def remove_assignees(
    gh: GitHubClient, repo: str, number: int, logins: list[str]
) -> dict[str, Any]:
    """Take people off an issue (others are left as they are); returns the issue."""
    assignees_url = url(
        "/repos/{owner}/{repo}/issues/{issue_number}/assignees", repo, issue_number=number
    )
    return dict(await gh.delete(assignees_url, {"assignees": logins}))


async def create_comment(gh: GitHubClient, repo: str, number: int, body: str) -> dict[str, Any]:
    """Comment on an issue or pull request; returns the comment."""
    comments_url = url(
        "/repos/{owner}/{repo}/issues/{issue_number}/comments", repo, issue_number=number
    )
    return dict(await gh.post(comments_url, {"body": body}))


async def update_comment(gh: GitHubClient, repo: str, comment_id: int, body: str) -> None:
    """Replace the text of an issue or pull-request comment."""
    await gh.patch(
        url("/repos/{owner}/{repo}/issues/comments/{comment_id}", repo, comment_id=comment_id),
        {"body": body},
    )


async def react_to_comment(gh: GitHubClient, repo: str, comment_id: int, content: str) -> None:
    """Add a reaction (``+1``, ``confused``, …) to an issue or pull-request comment."""
    await gh.post(
        url(
            "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
            repo,
            comment_id=comment_id,
        ),
        {"content": content},
    )


async def check_runs_for_ref(
    gh: GitHubClient, repo: str, sha: str, name: str
) -> list[dict[str, Any]]:
    """The newest check run called ``name`` on commit ``sha`` of each app, newest first.

    Conditional: the same URL for the same commit, so an unchanged list costs a 304.
    """
    data = await gh.get(
        url("/repos/{owner}/{repo}/commits/{ref}/check-runs", repo, ref=sha),
        {"check_name": name, "filter": "latest"},
    )
    runs = data.get("check_runs") if isinstance(data, dict) else None
    return [dict(run) for run in runs or () if isinstance(run, dict)]


async def create_check_run(gh: GitHubClient, repo: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Create a check run (``fields``: name, head_sha, status, conclusion, output)."""
    return dict(await gh.post(url("/repos/{owner}/{repo}/check-runs", repo), fields))


async def update_check_run(
    gh: GitHubClient, repo: str, run_id: int, fields: dict[str, Any]
) -> dict[str, Any]:
    """Change a check run this app created (its conclusion, its output)."""
    return dict(
        await gh.patch(
            url("/repos/{owner}/{repo}/check-runs/{check_run_id}", repo, check_run_id=run_id),
            fields,
        )
    )


async def hook_deliveries(app_gh: GitHubClient) -> AsyncIterator[dict[str, Any]]:
    """The App's webhook deliveries, newest first, page by page (cursor pagination).

    Needs the App's own (JWT) client.
    """
    async for page in app_gh.pages(url("/app/hook/deliveries"), {"per_page": 100}):
        for item in page or ():
            if isinstance(item, dict):
                yield item


async def redeliver(app_gh: GitHubClient, attempt_id: int) -> None:
    """Ask GitHub to deliver again the delivery of which ``attempt_id`` was one attempt."""
    await app_gh.post(
        url("/app/hook/deliveries/{delivery_id}/attempts", delivery_id=attempt_id), None
    )


async def installations(app_gh: GitHubClient) -> list[dict[str, Any]]:
    """Every installation of the App (needs the App's own client)."""
    return [i async for i in app_gh.getiter(url("/app/installations"))]


async def installation_repositories(gh: GitHubClient) -> list[dict[str, Any]]:
    """The repositories an installation's token reaches."""
    return [repo async for repo in gh.getiter(url("/installation/repositories"))]


async def read_file_on_default_branch(gh: GitHubClient, repo: str, path: str) -> str | None:
    """The text of ``path`` on ``repo``'s default branch; None as :func:`read_file` gives it.

    No ``ref``, so the URL stays the same from one call to the next and the read is
    conditional: an unchanged file costs a 304, which GitHub does not count against the rate
    limit. A repository the token cannot see answers 404 (absent) or 403
    (:class:`~bot.github.client.GitHubError`), as GitHub decides.
    """
    data = await gh.get_or_none(
        url("/repos/{owner}/{repo}/contents/{+path}", repo, path=slashed(path))
    )
    if not isinstance(data, dict) or data.get("type") != "file":
        return None
    content = data.get("content")
    if data.get("encoding") != "base64" or not isinstance(content, str):
        log.warning("%s: %s is too large to read through the API", repo, path)
        return None
    try:
        return base64.b64decode(content).decode("utf-8-sig")
    except (binascii.Error, UnicodeDecodeError):
        log.warning("%s: %s is not UTF-8 text; skipped", repo, path)
        return None
