"""One repository of the fake: its git history, people's roles, issues and pull requests.

Every public method takes the fake's lock, so tests may call them while the bot is talking to
the server thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import tracker
from .accounts import User
from .git import FileChange, GitModel

if TYPE_CHECKING:
    from .server import FakeGitHub

ROLES = ("none", "read", "triage", "write", "maintain", "admin")
ASSIGNABLE_ROLES = frozenset({"triage", "write", "maintain", "admin"})


@dataclass
class PullState:
    """The git side of a pull request: its branch and, once merged, where it landed."""

    number: int
    branch: str
    base_branch: str
    merged_base: str | None = None
    merge_commit: str | None = None


@dataclass(frozen=True)
class CheckReport:
    """One check run as the app last left it: what a maintainer would read on GitHub."""

    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    title: str | None
    summary: str | None
    text: str | None
    annotations: list[dict[str, Any]]


class FakeRepo:
    """A repository with a default branch, issues, comments, labels and pull requests."""

    def __init__(
        self,
        fake: FakeGitHub,
        full_name: str,
        *,
        repo_id: int,
        default_branch: str,
        installation_id: int | None,
    ) -> None:
        self.fake = fake
        self.full_name = full_name
        self.owner, self.name = full_name.split("/", 1)
        self.id = repo_id
        self.default_branch = default_branch
        self.installation_id = installation_id
        self.private = False
        self.git = GitModel(full_name)
        self.permissions: dict[str, str] = {}
        self.assignables: set[str] = set()
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.comment_index: dict[int, int] = {}
        self.commit_comments: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.labels: dict[str, dict[str, Any]] = {}
        self.reactions: dict[int, list[dict[str, Any]]] = {}
        self.pulls: dict[int, PullState] = {}
        #: Check runs as GitHub keeps them, oldest first (read them with check_runs_for).
        self.check_runs: list[dict[str, Any]] = []
        self._last_number = 0

    # -- addresses ----------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """``{api}/repos/{owner}/{repo}``."""
        return f"{self.fake.url}/repos/{self.full_name}"

    @property
    def html_url(self) -> str:
        """``https://github.com/{owner}/{repo}`` (the fake's web address)."""
        return f"{self.fake.web_url}/{self.full_name}"

    def next_number(self) -> int:
        """The next issue/pull request number (they share one sequence, like GitHub's)."""
        self._last_number += 1
        return self._last_number

    # -- git ----------------------------------------------------------------------------------

    def push(
        self,
        files: Mapping[str, str | None],
        *,
        message: str = "",
        branch: str | None = None,
        renames: Mapping[str, str] | None = None,
        author: str = "octocat",
    ) -> tuple[str, str]:
        """Commit ``files`` (``None`` deletes) after ``renames`` (old -> new); (before, after)."""
        with self.fake.lock:
            target = branch or self.default_branch
            start = self.git.branches.get(self.default_branch)  # where a new branch starts
            return self.git.commit(
                target,
                files,
                message=message or "Update notes",
                author=author,
                timestamp=self.fake.timestamp(),
                renames=renames,
                start_from=start,
            )

    def head(self, branch: str | None = None) -> str:
        """The sha at the tip of ``branch`` (default: the default branch)."""
        with self.fake.lock:
            return self.git.branches[branch or self.default_branch]

    def files_at(self, ref: str | None = None) -> dict[str, str]:
        """The whole tree at a ref (default: the default branch's head)."""
        with self.fake.lock:
            sha = self.git.resolve(ref or self.default_branch, self.default_branch)
            if sha is None:
                raise KeyError(ref)
            return dict(self.git.commits[sha].tree)

    # -- people -------------------------------------------------------------------------------

    def set_permission(self, login: str, permission: str) -> None:
        """Give ``login`` a role; triage and above also make the account assignable."""
        if permission not in ROLES:
            raise ValueError(f"permission must be one of {ROLES}, not {permission!r}")
        with self.fake.lock:
            self.fake.accounts.ensure_user(login)
            self.permissions[login.lower()] = permission

    def add_assignable(self, login: str) -> None:
        """Make ``login`` assignable without a role (GitHub: an organisation member)."""
        with self.fake.lock:
            self.fake.accounts.ensure_user(login)
            self.assignables.add(login.lower())

    def permission(self, login: str) -> str | None:
        """The role of ``login`` here (``None`` when no such account exists)."""
        user = self.fake.accounts.user(login)
        if user is None:
            return None
        if user.login.lower() in self.permissions:
            return self.permissions[user.login.lower()]
        if user.login.lower() == self.owner.lower() and user.type == "User":
            return "admin"
        return "none" if self.private else "read"

    def is_assignable(self, login: str) -> bool:
        """Whether GitHub would accept ``login`` as an assignee here."""
        role = self.permission(login)
        return role in ASSIGNABLE_ROLES or login.lower() in self.assignables

    def author_association(self, user: User) -> str:
        """How GitHub labels an author's relation to this repository."""
        if user.type == "Bot":
            return "NONE"
        if user.login.lower() == self.owner.lower():
            return "OWNER"
        if self.permissions.get(user.login.lower(), "none") != "none":
            return "COLLABORATOR"
        if user.login.lower() in self.assignables:
            return "MEMBER"
        return "NONE"

    # -- what people do on GitHub -------------------------------------------------------------

    def add_issue(
        self,
        title: str,
        body: str = "",
        *,
        author: str = "octocat",
        labels: Sequence[str] = (),
        state: str = "open",
    ) -> int:
        """A person files an issue; returns its number."""
        with self.fake.lock:
            user = self.fake.accounts.ensure_user(author)
            issue = tracker.create_issue(self, user, title, body, labels=labels)
            if state != "open":
                tracker.update_issue(self, issue["number"], user, {"state": state})
            return int(issue["number"])

    def add_comment(
        self, number: int, body: str, *, author: str = "octocat", author_type: str = "User"
    ) -> dict[str, Any]:
        """A person (or another bot, ``author_type="Bot"``) comments; returns the comment."""
        with self.fake.lock:
            user = self.fake.accounts.ensure_user(author, type=author_type)
            return tracker.create_comment(self, number, user, body)

    def edit_issue(self, number: int, *, actor: str = "octocat", **fields: Any) -> None:
        """A person edits an issue: title, body, state, state_reason, labels, assignees."""
        with self.fake.lock:
            user = self.fake.accounts.ensure_user(actor)
            tracker.update_issue(self, number, user, fields)

    def check_runs_for(
        self, ref: str | None = None, *, name: str | None = None
    ) -> list[CheckReport]:
        """What the app reported on a commit (default: the default branch's head), oldest
        first, optionally only the runs called ``name``."""
        with self.fake.lock:
            sha = self.git.resolve(ref or self.default_branch, self.default_branch)
            return [
                CheckReport(
                    id=run["id"],
                    name=run["name"],
                    head_sha=run["head_sha"],
                    status=run["status"],
                    conclusion=run["conclusion"],
                    title=run["output"]["title"],
                    summary=run["output"]["summary"],
                    text=run["output"]["text"],
                    annotations=list(run.get("_annotations", [])),
                )
                for run in self.check_runs
                if run["head_sha"] == sha and (name is None or run["name"] == name)
            ]

    # -- pull requests ------------------------------------------------------------------------

    def open_pull(
        self,
        *,
        head_files: Mapping[str, str | None],
        author: str,
        title: str = "Notes",
        renames: Mapping[str, str] | None = None,
        body: str = "",
    ) -> int:
        """Open a pull request from a new branch off the default branch; returns its number."""
        with self.fake.lock:
            user = self.fake.accounts.ensure_user(author)
            issue = tracker.create_issue(self, user, title, body, pull=True)
            number = int(issue["number"])
            branch = f"{user.login}/notes-{number}"
            self.pulls[number] = PullState(number, branch, self.default_branch)
            self.git.commit(
                branch,
                head_files,
                message=title,
                author=user.login,
                timestamp=self.fake.timestamp(),
                renames=renames,
                start_from=self.head(),
            )
            return number

    def push_pull(
        self,
        number: int,
        files: Mapping[str, str | None],
        *,
        renames: Mapping[str, str] | None = None,
    ) -> tuple[str, str]:
        """Push another commit to a pull request's branch; (before, after)."""
        with self.fake.lock:
            pull = self._pull(number)
            author = self.issues[number]["user"]["login"]
            return self.push(files, branch=pull.branch, renames=renames, author=author)

    def merge_pull(self, number: int) -> tuple[str, str]:
        """Merge a pull request with a merge commit on its base branch; (before, after)."""
        with self.fake.lock:
            pull = self._pull(number)
            if pull.merge_commit is not None:
                raise ValueError(f"pull request #{number} is already merged")
            target = self.git.branches[pull.base_branch]
            source = self.git.branches[pull.branch]
            pull.merged_base = self.git.merge_base(target, source)
            tree, renames = self.git.merge_tree(target, source)
            before, after = self.git.commit(
                pull.base_branch,
                {},
                message=f"Merge pull request #{number} from {pull.branch}",
                author=self.issues[number]["user"]["login"],
                timestamp=self.fake.timestamp(),
                renames=renames,
                extra_parent=source,
                whole_tree=tree,
            )
            pull.merge_commit = after
            issue = self.issues[number]
            merger = self.fake.accounts.ensure_user("octocat")
            tracker.update_issue(self, number, merger, {"state": "closed"})
            issue["pull_request"]["merged_at"] = issue["closed_at"]
            return before, after

    def pull_head(self, number: int) -> str:
        """The sha at the tip of a pull request's branch."""
        with self.fake.lock:
            return self.git.branches[self._pull(number).branch]

    def pull_base(self, number: int) -> str:
        """The commit a pull request's changes are measured from (its merge base)."""
        with self.fake.lock:
            pull = self._pull(number)
            if pull.merged_base is not None:
                return pull.merged_base
            base = self.git.merge_base(
                self.git.branches[pull.base_branch], self.git.branches[pull.branch]
            )
            assert base is not None, "pull requests branch off the default branch"
            return base

    def pull_changes(self, number: int) -> list[FileChange]:
        """The files a pull request changes, as its "Files changed" tab lists them."""
        with self.fake.lock:
            return self.git.diff(self.pull_base(number), self.pull_head(number))

    def _pull(self, number: int) -> PullState:
        pull = self.pulls.get(number)
        if pull is None:
            raise KeyError(f"#{number} is not a pull request of {self.full_name}")
        return pull
