"""Write the ``meeting-todo-bot`` check run on a commit: once, and again only when it changes.

One conditional read lists the commit's runs of that name; a run that already says the same
is left alone, so a redelivered push writes nothing. An installation that was not granted
``checks: write`` (GitHub answers 403) gets one log line: the issues are what matters, and a
retry would be refused again. Any other failure raises, so the delivery is retried (its issue
writes are idempotent).
"""

from __future__ import annotations

import logging

from bot.checks.report import CHECK_NAME, CheckOutput
from bot.github import GitHubClient, GitHubError, api

log = logging.getLogger(__name__)


async def publish_check(
    gh: GitHubClient,
    repo: str,
    sha: str,
    output: CheckOutput,
    *,
    keep_existing: bool = False,
    only_existing: bool = False,
) -> str:
    """Make the commit's check run say ``output``; what was done: created, updated,
    unchanged or refused. ``keep_existing``: a run already there stays as it is (this run of
    the push wrote nothing, so the first run's report is the truer one). ``only_existing``:
    correct a run already there, create none."""
    try:
        runs = await api.check_runs_for_ref(gh, repo, sha, CHECK_NAME)
        if runs and (keep_existing or output.matches(runs[0])):
            return "unchanged"
        if runs or only_existing:
            if not runs:
                return "unchanged"
            await api.update_check_run(gh, repo, int(runs[0]["id"]), output.fields())
            return "updated"
        await api.create_check_run(
            gh, repo, {"name": CHECK_NAME, "head_sha": sha, **output.fields()}
        )
        return "created"
    except GitHubError as exc:
        if exc.status != 403:
            raise
        log.warning(
            "%s@%s: check run not written (the installation lacks checks: write?): %s",
            repo,
            sha[:7],
            exc.message,
        )
        return "refused"
