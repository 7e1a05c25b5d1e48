"""``python -m bot sync OWNER/REPO [--dry-run]``: reconcile issues with all notes at the head.

For a backfill after installing the app, and to heal missed deliveries. It runs the same
engine as the push handler, over every notes file at the default branch's head.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

from bot.config import Config, ConfigError
from bot.engine.read import PlanResult
from bot.engine.reconcile import EveryNotesFile, reconcile
from bot.github import GitHubError, GitHubFactory, api
from bot.markdown.issue_body import DEFAULT_SERVER_URL
from bot.queue import MemoryStore
from bot.settings import SettingsError

REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def sync_repository(config: Config, repo: str, *, dry_run: bool) -> int:
    """Plan (and unless ``dry_run`` perform) a full reconciliation; returns the exit status."""
    factory = GitHubFactory(config)
    try:
        gh = await factory.for_repo(repo)
        commit = await api.head_commit(gh, repo, "HEAD")
        head = str(commit["sha"])
        _say(f"{repo}: reading notes at {head[:7]} (the default branch's head)")

        def show(result: PlanResult) -> None:
            for warning in result.warnings:
                _say(f"warning: {warning}")
            plan = result.plan
            _say(f"{repo}: {result.files_read} notes files, {len(plan.actions)} actions planned")
            for line in plan.summary_lines():
                print(("would " if dry_run else "") + line, flush=True)
            for unresolved in plan.unresolved:
                item = unresolved.item
                names = ", ".join(unresolved.names)
                _say(f"note: {item.path}:{item.line}: owners not found: {names} ({unresolved.fix})")
            for refused in plan.unassignable:
                item = refused.item
                logins = ", ".join(refused.logins)
                _say(
                    f"note: {item.path}:{item.line}: GitHub would not assign {logins}; "
                    "named instead"
                )

        done = await reconcile(
            gh,
            MemoryStore(),  # one run: nothing to share with another process
            repo,
            head,
            EveryNotesFile(capped=False),  # a deliberate backfill: not capped
            bot_login=config.bot_login,
            server_url=web_url(commit, repo),
            dry_run=dry_run,
            on_plan=show,
            progress=_say,
        )
        outcome = done.outcome
        if outcome is None:
            return 0
        _say(
            f"{repo}: {len(outcome.performed)} writes, {len(outcome.skipped)} already done, "
            f"{len(outcome.failed)} failed"
        )
        return 0 if outcome.ok else 1
    finally:
        await factory.close()


def web_url(commit: Mapping[str, Any], repo: str) -> str:
    """``https://github.com`` (or the Enterprise host) from a commit's ``html_url``."""
    html_url = str(commit.get("html_url") or "")
    where = html_url.lower().find(f"/{repo.lower()}/commit/")
    return html_url[:where] if where > 0 else DEFAULT_SERVER_URL


def run_sync(repo: str, *, dry_run: bool) -> int:
    """Entry point of ``python -m bot sync``."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not REPO_RE.match(repo):
        _say(f"error: {repo!r} is not OWNER/REPO")
        return 2
    try:
        config = Config.from_env()
        config.require_credentials()
    except ConfigError as exc:
        _say(f"error: {exc}")
        return 2
    try:
        return asyncio.run(sync_repository(config, repo, dry_run=dry_run))
    except SettingsError as exc:
        _say("error: the repository's settings file has problems:")
        for problem in exc.problems:
            _say(f"  {problem}")
        return 2
    except GitHubError as exc:
        _say(f"error: {exc}")
        return 1
