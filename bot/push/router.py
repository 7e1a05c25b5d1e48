"""Pushes to the default branch: the notes they change become issues, kept in sync."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.checks.publish import publish_check
from bot.checks.report import plan_report, settings_report
from bot.context import BotContext
from bot.engine.held import HELD_MEMORY, HeldItem, held_items, remember_held
from bot.engine.read import ZERO_SHA
from bot.engine.reconcile import PushRange, reconcile
from bot.github import api
from bot.planner.actions import UpdateIssue
from bot.planner.plan import Plan
from bot.preview.keep import after_push
from bot.queue import DAY
from bot.recovery.catch_up import CATCH_UP_EVENT
from bot.settings import SettingsError
from bot.web.dispatch import acts_when

if TYPE_CHECKING:
    from bot.github import GitHubClient

router = Router()


def to_default_branch(data: Mapping[str, Any]) -> bool:
    """A push that moves the default branch forward (not a deletion, not another ref)."""
    repository = data.get("repository") or {}
    default_branch = repository.get("default_branch") or repository.get("master_branch") or ""
    return (
        data.get("ref") == f"refs/heads/{default_branch}"
        and not data.get("deleted")
        and data.get("after") not in (None, "", ZERO_SHA)
    )


@router.register("push")
@acts_when(to_default_branch)
async def on_push(event: Event, gh: GitHubClient, ctx: BotContext) -> None:
    """Plan and perform what a push to the default branch means for the bot's issues.

    Once that is done, the previews of the pull requests the push merged link the issues filed.
    """
    data = event.data
    repository = data.get("repository") or {}
    repo = str(repository.get("full_name", ""))
    default_branch = str(repository.get("default_branch") or repository.get("master_branch") or "")
    ref = str(data.get("ref", ""))
    after = str(data.get("after", ""))
    if not repo or ref != f"refs/heads/{default_branch}" or data.get("deleted") or not after:
        ctx.log.debug("push to %s %s: not the default branch, ignored", repo, ref)
        return
    before = str(data.get("before") or ZERO_SHA)
    if await handle_push(gh, ctx, repo, before, after, server_url(repository)):
        await remember_head(ctx, repository, after)
        await after_push(gh, ctx.store, repo, data, bot_login=ctx.config.bot_login)


#: The store's namespace for the ``before`` of the first push that broken settings stopped.
SETTINGS_PENDING = "settings-pending"

#: How long the last handled commit of a repository is remembered (a catch-up needs it).
HEAD_MEMORY = 60 * DAY


async def remember_head(ctx: BotContext, repository: dict[str, object], sha: str) -> None:
    """The default branch's commit the bot's issues now match (catch-ups start from it)."""
    await ctx.store.put("handled-head", f"repo:{repository.get('id')}", sha, HEAD_MEMORY)


@router.register(CATCH_UP_EVENT)
async def on_catch_up(event: Event, gh: GitHubClient, ctx: BotContext) -> None:
    """Reconcile the commits a repository's default branch gained since the last one handled,
    as one push would: pushes whose deliveries never came are healed by it.

    A repository never handled only has its head remembered: installing files nothing.
    """
    repository = event.data.get("repository") or {}
    repo = str(repository.get("full_name", ""))
    branch = str(repository.get("default_branch") or "")
    if not repo or not branch:
        return
    head = str((await api.head_commit(gh, repo, branch))["sha"])
    last = await ctx.store.get("handled-head", f"repo:{repository.get('id')}")
    if last == head:
        return
    if last is None:
        ctx.log.info("%s: catch-up starts from %s (nothing handled before)", repo, head[:7])
        await remember_head(ctx, repository, head)
        return
    ctx.log.info("%s: catching up %s..%s", repo, last[:7], head[:7])
    if await handle_push(gh, ctx, repo, last, head, server_url(repository)):
        await remember_head(ctx, repository, head)


async def handle_push(
    gh: GitHubClient, ctx: BotContext, repo: str, before: str, after: str, server: str
) -> bool:
    """Bring the bot's issues in line with the push ``before..after``.

    What was done, held back or could not be done is said in the ``meeting-todo-bot`` check
    run on ``after``. Returns False when the settings stopped it; raises when some write
    failed, so that the delivery counts as failed (a redelivery or ``sync`` heals).
    """
    held = await held_items(ctx.store, repo)
    # A push stopped by broken settings left its notes unread: the next push reads from there.
    pending = await ctx.store.get(SETTINGS_PENDING, repo.lower())
    if pending is not None:
        before = pending
    try:
        done = await reconcile(
            gh,
            ctx.store,
            repo,
            after,
            PushRange(before, tuple((h.key, h.path) for h in held)),
            bot_login=ctx.config.bot_login,
            server_url=server,
        )
    except SettingsError as exc:
        ctx.log.warning("%s@%s: settings problems: %s", repo, after[:7], "; ".join(exc.problems))
        # The notes of this push stay unread: the first push after the fix reads from here.
        await ctx.store.put_if_absent(SETTINGS_PENDING, repo.lower(), before, HELD_MEMORY)
        await publish_check(gh, repo, after, settings_report(exc.problems, repo=repo))
        return False
    result = done.planned
    if result is None:
        ctx.log.info("%s %s..%s: no notes changed", repo, before[:7], after[:7])
        await ctx.store.delete(SETTINGS_PENDING, repo.lower())
        return True
    for warning in result.warnings:
        ctx.log.warning("%s@%s: %s", repo, after[:7], warning)
    plan = result.plan
    ctx.log.info(
        "%s %s..%s: %d notes files read, %d actions planned%s",
        repo,
        before[:7],
        after[:7],
        result.files_read,
        len(plan.actions),
        f", {len(plan.held_back)} new issues held back (cap {plan.cap})" if plan.cap_hit else "",
    )
    if plan.held_destructive:
        ctx.log.warning(
            "%s@%s: held back closing or marking gone %d issues (limit %s): %s",
            repo,
            after[:7],
            len(plan.held_destructive),
            plan.destructive_limit,
            ", ".join(f"#{held.number}" for held in plan.held_destructive),
        )
    written = done.outcome
    if written is None or written.ok:
        # Past the cap: remembered, so the next push files them (a failed run keeps the old
        # list: its retry plans again from it).
        await remember_held(ctx.store, repo, [HeldItem.of(c) for c in plan.held_back])
        await ctx.store.delete(SETTINGS_PENDING, repo.lower())
    if (written is None or written.ok) and worth_a_check(plan, result.warnings):
        report = plan_report(
            plan,
            warnings=result.warnings,
            created=written.created if written is not None else {},
        )
        # A run that wrote nothing (a redelivery) leaves a check already there as it is.
        await publish_check(gh, repo, after, report, keep_existing=written is None)
    if written is None:
        return True
    ctx.log.info(
        "%s@%s: %d writes, %d already done, %d failed",
        repo,
        after[:7],
        len(written.performed),
        len(written.skipped),
        len(written.failed),
    )
    if not written.ok:
        raise RuntimeError(
            f"{len(written.failed)} actions failed; a redelivery of this push or `sync` heals them"
        )
    return True


def worth_a_check(plan: Plan, warnings: Sequence[str]) -> bool:
    """Whether a push's plan has anything to say: a push that changed only prose, or only
    moved the links in bodies (a renamed notes file), writes and reads nothing more; its
    unresolved owners were said when their issues were filed. A retry of a push whose check
    failed still has something to say: what it filed."""
    news = [a for a in plan.actions if not (isinstance(a, UpdateIssue) and a.is_body_only)]
    return bool(news or plan.filed_earlier or plan.held_back or plan.held_destructive or warnings)


def server_url(repository: dict[str, object]) -> str:
    """``https://github.com`` (or the Enterprise host) from the repository's ``html_url``."""
    html_url = str(repository.get("html_url") or "")
    full_name = str(repository.get("full_name") or "")
    if html_url and full_name and html_url.endswith("/" + full_name):
        return html_url[: -len(full_name) - 1]
    return "https://github.com"
