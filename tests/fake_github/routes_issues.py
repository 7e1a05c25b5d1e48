"""Issue routes: list, create, read, update, assignees and the labels on an issue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import tracker
from .replies import ApiError, Reply, invalid, paginate
from .routing import Context, Route

SORT_KEYS = {
    "created": lambda issue: (issue["created_at"], issue["number"]),
    "updated": lambda issue: (issue["updated_at"], issue["number"]),
    "comments": lambda issue: (issue["comments"], issue["number"]),
}
#: Filters GitHub offers that the bot has no use for: the fake refuses them loudly rather
#: than answer as if they had been applied.
UNSUPPORTED_FILTERS = ("type", "mentioned", "issue_field_values")


def _matches(issue: dict[str, Any], query: dict[str, str]) -> bool:
    state = query.get("state", "open")
    if state != "all" and issue["state"] != state:
        return False
    creator = query.get("creator")
    if creator and issue["user"]["login"].lower() != creator.lower():
        return False
    wanted = [name.strip().lower() for name in query.get("labels", "").split(",") if name.strip()]
    have = {label["name"].lower() for label in issue["labels"]}
    if any(name not in have for name in wanted):
        return False
    assignee = query.get("assignee")
    logins = {person["login"].lower() for person in issue["assignees"]}
    if assignee == "none" and logins:
        return False
    if assignee == "*" and not logins:
        return False
    if assignee not in (None, "none", "*") and assignee.lower() not in logins:
        return False
    if query.get("milestone") not in (None, "none"):
        return False  # the fake has no milestones
    since = query.get("since")
    return not since or _parse(issue["updated_at"]) >= _parse(since)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def list_issues(ctx: Context) -> Reply:
    """``GET .../issues``: issues and pull requests, filtered, sorted and paginated."""
    for name in UNSUPPORTED_FILTERS:
        if name in ctx.query:
            ctx.fake.record_violation(f"the fake does not implement the {name!r} issue filter")
            raise invalid("Issue", name, "unsupported_by_fake")
    found = [issue for issue in ctx.the_repo.issues.values() if _matches(issue, ctx.query)]
    key = SORT_KEYS.get(ctx.query.get("sort", "created"), SORT_KEYS["created"])
    found.sort(key=key, reverse=ctx.query.get("direction", "desc") == "desc")
    page, links = paginate(found, ctx.query, ctx.page_url)
    return Reply(200, page, links)


def create_issue(ctx: Context) -> Reply:
    """``POST .../issues``: authored by the caller (``<app>[bot]`` for installation tokens)."""
    body = ctx.body
    if body.get("milestone") is not None:
        raise invalid("Issue", "milestone", "invalid", message="the fake has no milestones")
    assignees = list(body.get("assignees") or [])
    if body.get("assignee"):
        assignees.append(body["assignee"])
    title = body.get("title")
    issue = tracker.create_issue(
        ctx.the_repo,
        ctx.actor_user(),
        str(title) if title is not None else "",
        body.get("body"),
        labels=tracker.label_names(body.get("labels") or []),
        assignees=assignees,
        via_app=ctx.actor.kind == "installation",
    )
    return Reply(201, issue, {"Location": issue["url"]})


def get_issue(ctx: Context) -> Reply:
    """``GET .../issues/{issue_number}``."""
    return Reply(200, tracker.get_issue(ctx.the_repo, ctx.number("issue_number")))


def update_issue(ctx: Context) -> Reply:
    """``PATCH .../issues/{issue_number}``."""
    if ctx.body.get("milestone") is not None:
        raise invalid("Issue", "milestone", "invalid", message="the fake has no milestones")
    issue = tracker.update_issue(
        ctx.the_repo, ctx.number("issue_number"), ctx.actor_user(), dict(ctx.body)
    )
    return Reply(200, issue)


def add_assignees(ctx: Context) -> Reply:
    """``POST .../issues/{issue_number}/assignees``."""
    raw = ctx.body.get("assignees") or []
    logins = [item["login"] if isinstance(item, dict) else str(item) for item in raw]
    issue = tracker.add_assignees(ctx.the_repo, ctx.number("issue_number"), logins)
    return Reply(201, issue)


def remove_assignees(ctx: Context) -> Reply:
    """``DELETE .../issues/{issue_number}/assignees``."""
    raw = ctx.body.get("assignees") or [] if isinstance(ctx.body, dict) else []
    issue = tracker.remove_assignees(ctx.the_repo, ctx.number("issue_number"), list(map(str, raw)))
    return Reply(200, issue)


def add_labels(ctx: Context) -> Reply:
    """``POST .../issues/{issue_number}/labels`` with ``{"labels": [...]}``."""
    if not isinstance(ctx.body, dict) or not ctx.body.get("labels"):
        raise invalid("Label", "labels", "missing_field")
    names = tracker.label_names(ctx.body["labels"])
    return Reply(200, tracker.add_labels(ctx.the_repo, ctx.number("issue_number"), names))


def remove_label(ctx: Context) -> Reply:
    """``DELETE .../issues/{issue_number}/labels/{name}``."""
    labels = tracker.remove_label(ctx.the_repo, ctx.number("issue_number"), ctx.params["name"])
    return Reply(200, labels)


def list_labels(ctx: Context) -> Reply:
    """``GET .../labels``."""
    labels = sorted(ctx.the_repo.labels.values(), key=lambda label: label["id"])
    page, links = paginate(labels, ctx.query, ctx.page_url)
    return Reply(200, page, links)


def create_label(ctx: Context) -> Reply:
    """``POST .../labels``."""
    name = ctx.body.get("name")
    if not isinstance(name, str):
        raise invalid("Label", "name", "missing_field")
    label = tracker.create_label(
        ctx.the_repo, name, ctx.body.get("color"), ctx.body.get("description")
    )
    return Reply(201, label, {"Location": label["url"]})


def check_assignee(ctx: Context) -> Reply:
    """``GET .../assignees/{assignee}``: 204 when assignable, else 404."""
    if not ctx.the_repo.is_assignable(ctx.params["assignee"]):
        raise ApiError(404, "Not Found")
    return Reply(204)


def get_permission(ctx: Context) -> Reply:
    """``GET .../collaborators/{username}/permission``: legacy ``permission`` and ``role_name``."""
    repo = ctx.the_repo
    role = repo.permission(ctx.params["username"])
    user = ctx.fake.accounts.user(ctx.params["username"])
    if role is None or user is None:
        raise ApiError(404, "Not Found")
    legacy = {"maintain": "write", "triage": "read"}.get(role, role)
    levels = ("read", "triage", "write", "maintain", "admin")
    rank = levels.index(role) if role in levels else -1
    account = {
        **ctx.fake.user_json(user),
        "role_name": role,
        "permissions": {
            "pull": rank >= 0,
            "triage": rank >= 1,
            "push": rank >= 2,
            "maintain": rank >= 3,
            "admin": rank >= 4,
        },
    }
    return Reply(200, {"permission": legacy, "role_name": role, "user": account})


ROUTES = [
    Route(
        "DELETE",
        "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
        remove_assignees,
        operation_id="issues/remove-assignees",
    ),
    Route("GET", "/repos/{owner}/{repo}/issues", list_issues, operation_id="issues/list-for-repo"),
    Route("POST", "/repos/{owner}/{repo}/issues", create_issue, operation_id="issues/create"),
    Route(
        "GET", "/repos/{owner}/{repo}/issues/{issue_number}", get_issue, operation_id="issues/get"
    ),
    Route(
        "PATCH",
        "/repos/{owner}/{repo}/issues/{issue_number}",
        update_issue,
        operation_id="issues/update",
    ),
    Route(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
        add_assignees,
        operation_id="issues/add-assignees",
    ),
    Route(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        add_labels,
        operation_id="issues/add-labels",
    ),
    Route(
        "DELETE",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
        remove_label,
        operation_id="issues/remove-label",
    ),
    Route(
        "GET",
        "/repos/{owner}/{repo}/labels",
        list_labels,
        operation_id="issues/list-labels-for-repo",
    ),
    Route("POST", "/repos/{owner}/{repo}/labels", create_label, operation_id="issues/create-label"),
    Route(
        "GET",
        "/repos/{owner}/{repo}/assignees/{assignee}",
        check_assignee,
        operation_id="issues/check-user-can-be-assigned",
    ),
    Route(
        "GET",
        "/repos/{owner}/{repo}/collaborators/{username}/permission",
        get_permission,
        operation_id="repos/get-collaborator-permission-level",
    ),
]
