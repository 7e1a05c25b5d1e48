"""Comment routes: list and create on an issue or pull request, edit, react."""

from __future__ import annotations

from datetime import datetime

from . import tracker
from .replies import Reply, paginate
from .routing import Context, Route


def list_comments(ctx: Context) -> Reply:
    """``GET .../issues/{issue_number}/comments``: oldest first, paginated, ``since``-able."""
    repo = ctx.the_repo
    tracker.get_issue(repo, ctx.number("issue_number"))
    comments = list(repo.comments[ctx.number("issue_number")])
    since = ctx.query.get("since")
    if since:
        floor = datetime.fromisoformat(since.replace("Z", "+00:00"))
        comments = [
            comment
            for comment in comments
            if datetime.fromisoformat(comment["updated_at"].replace("Z", "+00:00")) >= floor
        ]
    page, links = paginate(comments, ctx.query, ctx.page_url)
    return Reply(200, page, links)


def create_comment(ctx: Context) -> Reply:
    """``POST .../issues/{issue_number}/comments``."""
    comment = tracker.create_comment(
        ctx.the_repo,
        ctx.number("issue_number"),
        ctx.actor_user(),
        str(ctx.body.get("body") or ""),
        via_app=ctx.actor.kind == "installation",
    )
    return Reply(201, comment, {"Location": comment["url"]})


def update_comment(ctx: Context) -> Reply:
    """``PATCH .../issues/comments/{comment_id}``."""
    comment = tracker.update_comment(
        ctx.the_repo, ctx.number("comment_id"), str(ctx.body.get("body") or "")
    )
    return Reply(200, comment)


def create_reaction(ctx: Context) -> Reply:
    """``POST .../issues/comments/{comment_id}/reactions``: 201 new, 200 already there."""
    created, reaction = tracker.add_reaction(
        ctx.the_repo, ctx.number("comment_id"), ctx.actor_user(), str(ctx.body.get("content"))
    )
    return Reply(201 if created else 200, reaction)


ROUTES = [
    Route(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        list_comments,
        operation_id="issues/list-comments",
    ),
    Route(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        create_comment,
        operation_id="issues/create-comment",
    ),
    Route(
        "PATCH",
        "/repos/{owner}/{repo}/issues/comments/{comment_id}",
        update_comment,
        operation_id="issues/update-comment",
    ),
    Route(
        "POST",
        "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
        create_reaction,
        operation_id="reactions/create-for-issue-comment",
    ),
]
