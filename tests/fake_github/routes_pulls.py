"""Pull request routes: the files a pull request changes and line comments on them."""

from __future__ import annotations

from .git import patch_of
from .replies import Reply, invalid, not_found, paginate
from .routes_git import diff_entries
from .routing import Context, Route
from .shapes import node_id, reaction_rollup

#: GitHub lists at most 3000 files of a pull request.
MAX_PULL_FILES = 3000


def _pull_number(ctx: Context) -> int:
    number = ctx.number("pull_number")
    if number not in ctx.the_repo.pulls:
        raise not_found()
    return number


def get_pull(ctx: Context) -> Reply:
    """``GET .../pulls/{pull_number}``: the pull request with its head, base and counts."""
    from .webhooks import pull_json  # webhooks builds its payloads from the same shape

    return Reply(200, pull_json(ctx.the_repo, _pull_number(ctx)))


def list_files(ctx: Context) -> Reply:
    """``GET .../pulls/{pull_number}/files``: paginated ``diff-entry`` objects."""
    repo = ctx.the_repo
    number = _pull_number(ctx)
    head = repo.pull_head(number)
    entries = diff_entries(ctx, head, repo.pull_changes(number)[:MAX_PULL_FILES])
    page, links = paginate(entries, ctx.query, ctx.page_url)
    return Reply(200, page, links)


def create_review_comment(ctx: Context) -> Reply:
    """``POST .../pulls/{pull_number}/comments``: a comment on a line of a changed file."""
    repo = ctx.the_repo
    number = _pull_number(ctx)
    body = ctx.body
    changes = {change.filename: change for change in repo.pull_changes(number)}
    path = body.get("path")
    if not body.get("body"):
        raise invalid("PullRequestReviewComment", "body", "missing_field")
    if path not in changes:
        raise invalid(
            "PullRequestReviewComment",
            "path",
            "invalid",
            message="pull_request_review_thread.path is not part of the diff",
        )
    if (
        body.get("line") is None
        and body.get("position") is None
        and (body.get("subject_type") != "file")
    ):
        raise invalid("PullRequestReviewComment", "line", "missing_field")
    commit_id = body.get("commit_id") or repo.pull_head(number)
    if repo.git.resolve(commit_id, repo.default_branch) is None:
        raise invalid("PullRequestReviewComment", "commit_id", "invalid")
    author = ctx.actor_user()
    comment_id = ctx.fake.next_id("review_comment")
    now = ctx.fake.timestamp()
    url = f"{repo.api_url}/pulls/comments/{comment_id}"
    pull_url = f"{repo.api_url}/pulls/{number}"
    html = f"{repo.html_url}/pull/{number}#discussion_r{comment_id}"
    patch, _, _ = patch_of(changes[path].old, changes[path].new)
    comment = {
        "id": comment_id,
        "node_id": node_id("PRRC", comment_id),
        "url": url,
        "pull_request_review_id": ctx.fake.next_id("review"),
        "diff_hunk": patch.split("\n@@", 1)[0] if patch else "",
        "path": path,
        "commit_id": commit_id,
        "original_commit_id": commit_id,
        "user": ctx.fake.user_json(author),
        "body": body["body"],
        "created_at": now,
        "updated_at": now,
        "html_url": html,
        "pull_request_url": pull_url,
        "author_association": repo.author_association(author),
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
            "pull_request": {"href": pull_url},
        },
        "line": body.get("line"),
        "original_line": body.get("line"),
        "side": body.get("side", "RIGHT"),
        "subject_type": body.get("subject_type", "line"),
        "reactions": reaction_rollup(f"{url}/reactions"),
    }
    if comment["line"] is None:
        del comment["line"], comment["original_line"]
    repo.review_comments.append(comment)
    return Reply(201, comment, {"Location": url})


ROUTES = [
    Route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", get_pull, operation_id="pulls/get"),
    Route(
        "GET",
        "/repos/{owner}/{repo}/pulls/{pull_number}/files",
        list_files,
        operation_id="pulls/list-files",
    ),
    Route(
        "POST",
        "/repos/{owner}/{repo}/pulls/{pull_number}/comments",
        create_review_comment,
        operation_id="pulls/create-review-comment",
    ),
]
