"""Issues, pull-request conversations, comments, labels and reactions of one repository.

Shared by the HTTP routes (the bot's writes) and the test API (people's writes); callers hold
the fake's lock. Limits and quirks follow GitHub: 422 for unassignable assignees on create and
update, silent drops on ``POST .../assignees``, labels created on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .accounts import User
from .replies import invalid, not_found
from .shapes import label_json, node_id, reaction_rollup

if TYPE_CHECKING:
    from .repo import FakeRepo

MAX_TITLE = 256
MAX_BODY = 65536
MAX_LABEL_NAME = 50
DEFAULT_LABEL_COLOR = "ededed"


def find_label(repo: FakeRepo, name: str) -> dict[str, Any] | None:
    """The repository's label with this name (case-insensitive, like GitHub)."""
    for label in repo.labels.values():
        if label["name"].lower() == name.lower():
            return label
    return None


def create_label(
    repo: FakeRepo, name: str, color: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """A new label; 422 ``already_exists`` when the name is taken."""
    if not name.strip():
        raise invalid("Label", "name", "missing_field")
    if len(name) > MAX_LABEL_NAME:
        raise invalid("Label", "name", "invalid", message="name is too long (maximum is 50)")
    if find_label(repo, name) is not None:
        raise invalid("Label", "name", "already_exists")
    label = label_json(
        repo.api_url,
        repo.fake.next_id("label"),
        name,
        (color or DEFAULT_LABEL_COLOR).lstrip("#"),
        description,
    )
    repo.labels[name] = label
    return label


def ensure_labels(repo: FakeRepo, names: Iterable[str]) -> list[dict[str, Any]]:
    """The labels with these names, creating the unknown ones (GitHub does, on issues)."""
    found: list[dict[str, Any]] = []
    for name in names:
        label = find_label(repo, name) or create_label(repo, name)
        if label not in found:
            found.append(label)
    return found


def label_names(raw: Sequence[Any]) -> list[str]:
    """Label names from a request list of strings or ``{"name": ...}`` objects."""
    return [item["name"] if isinstance(item, dict) else str(item) for item in raw]


def assignee_users(repo: FakeRepo, logins: Iterable[str], *, strict: bool) -> list[User]:
    """The assignable accounts among ``logins``: 422 for the others when ``strict``."""
    users: list[User] = []
    for login in logins:
        user = repo.fake.accounts.user(login)
        if user is None or not repo.is_assignable(user.login):
            if strict:
                raise invalid(
                    "Issue",
                    "assignees",
                    "invalid",
                    value=login,
                    message=f"assignees {login} cannot be assigned to this issue",
                )
            continue
        if user not in users:
            users.append(user)
    return users


def get_issue(repo: FakeRepo, number: int) -> dict[str, Any]:
    """The issue or pull request with this number, else 404."""
    issue = repo.issues.get(number)
    if issue is None:
        raise not_found()
    return issue


def _check_text(title: str | None, body: str | None) -> None:
    if title is not None and len(title) > MAX_TITLE:
        raise invalid("Issue", "title", "custom", message="title is too long (maximum is 256)")
    if body is not None and len(body) > MAX_BODY:
        raise invalid("Issue", "body", "custom", message="body is too long (maximum is 65536)")


def create_issue(
    repo: FakeRepo,
    author: User,
    title: str,
    body: str | None,
    *,
    labels: Sequence[str] = (),
    assignees: Sequence[str] = (),
    via_app: bool = False,
    pull: bool = False,
) -> dict[str, Any]:
    """File a new issue (or, with ``pull``, the conversation of a new pull request)."""
    if not title:
        raise invalid("Issue", "title", "missing_field")
    _check_text(title, body)
    people = assignee_users(repo, assignees, strict=True)
    number = repo.next_number()
    issue_id = repo.fake.next_id("issue")
    now = repo.fake.timestamp()
    url = f"{repo.api_url}/issues/{number}"
    kind = "pull" if pull else "issues"
    issue: dict[str, Any] = {
        "id": issue_id,
        "node_id": node_id("I", issue_id),
        "url": url,
        "repository_url": repo.api_url,
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": f"{repo.html_url}/{kind}/{number}",
        "number": number,
        "state": "open",
        "state_reason": None,
        "title": title,
        "body": body or None,
        "user": repo.fake.user_json(author),
        "labels": ensure_labels(repo, labels),
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": 0,
        "closed_at": None,
        "created_at": now,
        "updated_at": now,
        "closed_by": None,
        "author_association": repo.author_association(author),
        "performed_via_github_app": repo.fake.app_json() if via_app else None,
        "reactions": reaction_rollup(f"{url}/reactions"),
        "timeline_url": f"{url}/timeline",
    }
    if pull:
        pull_url = f"{repo.api_url}/pulls/{number}"
        issue["pull_request"] = {
            "url": pull_url,
            "html_url": issue["html_url"],
            "diff_url": f"{issue['html_url']}.diff",
            "patch_url": f"{issue['html_url']}.patch",
            "merged_at": None,
        }
        issue["draft"] = False
    _set_assignees(repo, issue, people)
    repo.issues[number] = issue
    repo.comments[number] = []
    return issue


def _set_assignees(repo: FakeRepo, issue: dict[str, Any], people: list[User]) -> None:
    issue["assignees"] = [repo.fake.user_json(user) for user in people]
    issue["assignee"] = issue["assignees"][0] if people else None


def update_issue(
    repo: FakeRepo, number: int, actor: User, fields: dict[str, Any], *, strict: bool = True
) -> dict[str, Any]:
    """Apply a ``PATCH`` (title, body, state, state_reason, labels, assignees)."""
    issue = get_issue(repo, number)
    title = fields.get("title")
    if "title" in fields and title is not None:
        title = str(title)
        if not title:
            raise invalid("Issue", "title", "missing_field")
    _check_text(title, fields.get("body"))
    people = None
    if "assignees" in fields or "assignee" in fields:
        logins = fields.get("assignees")
        if logins is None:
            logins = [fields["assignee"]] if fields.get("assignee") else []
        people = assignee_users(repo, logins, strict=strict)
    if title is not None:
        issue["title"] = title
    if "body" in fields:
        issue["body"] = fields["body"] or None
    if "labels" in fields and fields["labels"] is not None:
        issue["labels"] = ensure_labels(repo, label_names(fields["labels"]))
    if people is not None:
        _set_assignees(repo, issue, people)
    if fields.get("state") in ("open", "closed") and fields["state"] != issue["state"]:
        _change_state(repo, issue, fields["state"], fields.get("state_reason"), actor)
    issue["updated_at"] = repo.fake.timestamp()
    return issue


def _change_state(
    repo: FakeRepo, issue: dict[str, Any], state: str, reason: str | None, actor: User
) -> None:
    issue["state"] = state
    if state == "closed":
        issue["state_reason"] = reason if reason in ("completed", "not_planned") else "completed"
        issue["closed_at"] = repo.fake.timestamp()
        issue["closed_by"] = repo.fake.user_json(actor)
    else:
        issue["state_reason"] = "reopened"
        issue["closed_at"] = None
        issue["closed_by"] = None


def add_assignees(repo: FakeRepo, number: int, logins: Sequence[str]) -> dict[str, Any]:
    """``POST .../assignees``: adds the assignable logins, silently ignores the others."""
    issue = get_issue(repo, number)
    current = [repo.fake.accounts.ensure_user(a["login"]) for a in issue["assignees"]]
    added = assignee_users(repo, logins, strict=False)
    _set_assignees(repo, issue, current + [user for user in added if user not in current])
    issue["updated_at"] = repo.fake.timestamp()
    return issue


def remove_assignees(repo: FakeRepo, number: int, logins: Sequence[str]) -> dict[str, Any]:
    """``DELETE .../assignees``: removes the named logins (others are ignored)."""
    issue = get_issue(repo, number)
    gone = {login.lower() for login in logins}
    kept = [
        repo.fake.accounts.ensure_user(a["login"])
        for a in issue["assignees"]
        if a["login"].lower() not in gone
    ]
    _set_assignees(repo, issue, kept)
    issue["updated_at"] = repo.fake.timestamp()
    return issue


def add_labels(repo: FakeRepo, number: int, names: Sequence[str]) -> list[dict[str, Any]]:
    """``POST .../labels``: adds labels (creating unknown ones); returns the issue's labels."""
    issue = get_issue(repo, number)
    for label in ensure_labels(repo, names):
        if all(existing["id"] != label["id"] for existing in issue["labels"]):
            issue["labels"].append(label)
    issue["updated_at"] = repo.fake.timestamp()
    return list(issue["labels"])


def remove_label(repo: FakeRepo, number: int, name: str) -> list[dict[str, Any]]:
    """``DELETE .../labels/{name}``: 404 "Label does not exist" when it is not on the issue."""
    issue = get_issue(repo, number)
    kept = [label for label in issue["labels"] if label["name"].lower() != name.lower()]
    if len(kept) == len(issue["labels"]):
        raise not_found("Label does not exist")
    issue["labels"] = kept
    issue["updated_at"] = repo.fake.timestamp()
    return list(kept)


def create_comment(
    repo: FakeRepo, number: int, author: User, body: str, *, via_app: bool = False
) -> dict[str, Any]:
    """A new comment on an issue or pull request conversation."""
    issue = get_issue(repo, number)
    if not body:
        raise invalid("IssueComment", "body", "missing_field")
    _check_text(None, body)
    comment_id = repo.fake.next_id("comment")
    now = repo.fake.timestamp()
    url = f"{repo.api_url}/issues/comments/{comment_id}"
    comment: dict[str, Any] = {
        "id": comment_id,
        "node_id": node_id("IC", comment_id),
        "url": url,
        "html_url": f"{issue['html_url']}#issuecomment-{comment_id}",
        "issue_url": issue["url"],
        "body": body,
        "user": repo.fake.user_json(author),
        "created_at": now,
        "updated_at": now,
        "author_association": repo.author_association(author),
        "performed_via_github_app": repo.fake.app_json() if via_app else None,
        "reactions": reaction_rollup(f"{url}/reactions"),
    }
    repo.comments[number].append(comment)
    repo.comment_index[comment_id] = number
    issue["comments"] += 1
    issue["updated_at"] = now
    return comment


def get_comment(repo: FakeRepo, comment_id: int) -> dict[str, Any]:
    """The issue comment with this id, else 404."""
    number = repo.comment_index.get(comment_id)
    if number is None:
        raise not_found()
    return next(c for c in repo.comments[number] if c["id"] == comment_id)


def update_comment(repo: FakeRepo, comment_id: int, body: str) -> dict[str, Any]:
    """Edit a comment's body in place."""
    comment = get_comment(repo, comment_id)
    if not body:
        raise invalid("IssueComment", "body", "missing_field")
    _check_text(None, body)
    comment["body"] = body
    comment["updated_at"] = repo.fake.timestamp()
    return comment


def add_reaction(
    repo: FakeRepo, comment_id: int, user: User, content: str
) -> tuple[bool, dict[str, Any]]:
    """React to a comment; ``(False, existing)`` when this user already reacted so."""
    comment = get_comment(repo, comment_id)
    if content not in ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"):
        raise invalid("Reaction", "content", "invalid")
    reactions = repo.reactions.setdefault(comment_id, [])
    for reaction in reactions:
        if reaction["user"]["login"] == user.login and reaction["content"] == content:
            return False, reaction
    reaction_id = repo.fake.next_id("reaction")
    reaction = {
        "id": reaction_id,
        "node_id": node_id("REA", reaction_id),
        "user": repo.fake.user_json(user),
        "content": content,
        "created_at": repo.fake.timestamp(),
    }
    reactions.append(reaction)
    comment["reactions"] = reaction_rollup(comment["reactions"]["url"], reactions)
    return True, reaction
