"""Check runs: created and updated by the app, listed per commit; kept on the repository so
tests can read what the bot reported (:meth:`FakeRepo.check_runs_for`)."""

from __future__ import annotations

from typing import Any

from .replies import ApiError, Reply, invalid, not_found, paginate
from .routing import Context, Route
from .shapes import node_id

#: GitHub refuses more than 50 annotations in one request.
MAX_ANNOTATIONS = 50
_OUTPUT_LIMIT = 65535


def _apply(ctx: Context, run: dict[str, Any], body: dict[str, Any]) -> None:
    for name in ("name", "details_url", "external_id", "started_at", "actions"):
        if name in body:
            run[name] = body[name]
    if "output" in body:
        output = dict(body["output"])
        annotations = output.pop("annotations", None) or []
        if len(annotations) > MAX_ANNOTATIONS:
            raise invalid("CheckRun", "annotations", "too_many")
        for name in ("summary", "text"):
            if len(output.get(name) or "") > _OUTPUT_LIMIT:
                raise invalid("CheckRun", f"output.{name}", "too_long")
        run["_annotations"] = run.get("_annotations", []) + list(annotations)
        run["output"] = {
            "title": output.get("title"),
            "summary": output.get("summary"),
            "text": output.get("text"),
            "annotations_count": len(run["_annotations"]),
            "annotations_url": f"{run['url']}/annotations",
        }
    if "status" in body:
        run["status"] = body["status"]
    if body.get("conclusion") is not None:
        run["conclusion"] = body["conclusion"]
        run["status"] = "completed"  # GitHub: a conclusion completes the run
    if run["status"] == "completed":
        if run["conclusion"] is None:
            raise invalid("CheckRun", "conclusion", "missing_field")
        run["completed_at"] = body.get("completed_at") or ctx.fake.timestamp()


def create_check_run(ctx: Context) -> Reply:
    """``POST .../check-runs``: only GitHub Apps may create check runs."""
    if ctx.actor.kind != "installation":
        raise ApiError(403, "You must authenticate via a GitHub App.")
    repo = ctx.the_repo
    sha = repo.git.resolve(str(ctx.body.get("head_sha", "")), repo.default_branch)
    if sha is None or sha != ctx.body.get("head_sha"):
        raise invalid("CheckRun", "head_sha", "invalid", message="No commit found for SHA")
    run_id = ctx.fake.next_id("check_run")
    url = f"{repo.api_url}/check-runs/{run_id}"
    run: dict[str, Any] = {
        "id": run_id,
        "node_id": node_id("CR", run_id),
        "head_sha": sha,
        "external_id": "",
        "url": url,
        "html_url": f"{repo.html_url}/runs/{run_id}",
        "details_url": None,
        "status": "queued",
        "conclusion": None,
        "started_at": ctx.fake.timestamp(),
        "completed_at": None,
        "output": {
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{url}/annotations",
        },
        "name": ctx.body["name"],
        "check_suite": {"id": ctx.fake.next_id("check_suite")},
        "app": ctx.fake.app_json(),
        "pull_requests": [],
    }
    _apply(ctx, run, ctx.body)
    repo.check_runs.append(run)
    return Reply(201, _public(run))


def update_check_run(ctx: Context) -> Reply:
    """``PATCH .../check-runs/{check_run_id}``: only the app that created it may."""
    run = _find(ctx, ctx.number("check_run_id"))
    if ctx.actor.kind != "installation":
        raise ApiError(403, "You must authenticate via a GitHub App.")
    _apply(ctx, run, ctx.body)
    return Reply(200, _public(run))


def list_for_ref(ctx: Context) -> Reply:
    """``GET .../commits/{ref}/check-runs``: newest first; ``filter=latest`` (the default)
    keeps the newest run of each name."""
    repo = ctx.the_repo
    sha = repo.git.resolve(ctx.params["ref"], repo.default_branch)
    if sha is None:
        raise invalid(
            "Commit", "ref", "invalid", message=f"No commit found for {ctx.params['ref']}"
        )
    runs = [run for run in reversed(repo.check_runs) if run["head_sha"] == sha]
    if ctx.query.get("check_name"):
        runs = [run for run in runs if run["name"] == ctx.query["check_name"]]
    if ctx.query.get("status"):
        runs = [run for run in runs if run["status"] == ctx.query["status"]]
    if ctx.query.get("filter", "latest") == "latest":
        latest: dict[str, dict[str, Any]] = {}
        for run in runs:
            latest.setdefault(run["name"], run)
        runs = list(latest.values())
    page, links = paginate(runs, ctx.query, ctx.page_url)
    return Reply(
        200, {"total_count": len(runs), "check_runs": [_public(run) for run in page]}, links
    )


def _find(ctx: Context, run_id: int) -> dict[str, Any]:
    for run in ctx.the_repo.check_runs:
        if run["id"] == run_id:
            return run
    raise not_found()


def _public(run: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in run.items() if not key.startswith("_")}


ROUTES = [
    Route(
        "GET",
        "/repos/{owner}/{repo}/commits/{ref}/check-runs",
        list_for_ref,
        operation_id="checks/list-for-ref",
    ),
    Route(
        "POST", "/repos/{owner}/{repo}/check-runs", create_check_run, operation_id="checks/create"
    ),
    Route(
        "PATCH",
        "/repos/{owner}/{repo}/check-runs/{check_run_id}",
        update_check_run,
        operation_id="checks/update",
    ),
]
