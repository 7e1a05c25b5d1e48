"""App routes, authenticated with the app's JWT: installation tokens and lookups."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from .replies import Reply, invalid, not_found
from .routing import Context, Route
from .shapes import installation_json, iso


def create_access_token(ctx: Context) -> Reply:
    """``POST /app/installations/{installation_id}/access_tokens``."""
    installation = ctx.fake.accounts.installations.get(ctx.number("installation_id"))
    if installation is None:
        raise not_found()
    body = ctx.body if isinstance(ctx.body, dict) else {}
    token = ctx.fake.accounts.issue_installation_token(
        installation, ctx.fake.token_lifetime, body.get("repositories"), body.get("permissions")
    )
    assert token.expires_at is not None
    expires = datetime.fromtimestamp(token.expires_at, UTC)
    return Reply(
        201,
        {
            "token": token.value,
            "expires_at": iso(expires),
            "permissions": dict(token.permissions or {}),
            "repository_selection": "selected",
        },
    )


def get_repo_installation(ctx: Context) -> Reply:
    """``GET /repos/{owner}/{repo}/installation``: 404 when the app is not installed there."""
    repo = ctx.the_repo
    installation = ctx.fake.accounts.installations.get(repo.installation_id or -1)
    if installation is None:
        raise not_found()
    account = ctx.fake.accounts.ensure_user(installation.account)
    return Reply(
        200,
        installation_json(
            ctx.fake.url,
            ctx.fake.web_url,
            installation,
            account,
            ctx.fake.app_id,
            ctx.fake.app_slug,
        ),
    )


def list_deliveries(ctx: Context) -> Reply:
    """``GET /app/hook/deliveries``: newest first, ``per_page`` (max 100) and an opaque
    ``cursor`` carried in the ``Link`` header, as GitHub pages this list."""
    hook = ctx.fake.hook
    newest_first = list(reversed(hook.deliveries))
    per_page = min(max(int(ctx.query.get("per_page", 30)), 1), 100)
    start = 0
    cursor = ctx.query.get("cursor")
    if cursor:
        wanted = int(cursor.removeprefix("v1_")) if cursor.startswith("v1_") else -1
        ids = [delivery.id for delivery in newest_first]
        if wanted not in ids:
            raise invalid("HookDelivery", "cursor", "invalid")
        start = ids.index(wanted)
    page = newest_first[start : start + per_page]
    headers = {}
    if start + per_page < len(newest_first):
        query = urlencode(
            {"per_page": per_page, "cursor": f"v1_{newest_first[start + per_page].id}"}
        )
        headers["Link"] = f'<{ctx.fake.url}/app/hook/deliveries?{query}>; rel="next"'
    return Reply(200, [delivery.item_json() for delivery in page], headers)


def redeliver(ctx: Context) -> Reply:
    """``POST /app/hook/deliveries/{delivery_id}/attempts``: 202, the attempt follows."""
    if not ctx.fake.hook.redeliver(ctx.number("delivery_id")):
        raise not_found()
    return Reply(202, {})


ROUTES = [
    Route(
        "GET",
        "/app/hook/deliveries",
        list_deliveries,
        auth="jwt",
        operation_id="apps/list-webhook-deliveries",
    ),
    Route(
        "POST",
        "/app/hook/deliveries/{delivery_id}/attempts",
        redeliver,
        auth="jwt",
        operation_id="apps/redeliver-webhook-delivery",
    ),
    Route(
        "POST",
        "/app/installations/{installation_id}/access_tokens",
        create_access_token,
        auth="jwt",
        operation_id="apps/create-installation-access-token",
    ),
    Route(
        "GET",
        "/repos/{owner}/{repo}/installation",
        get_repo_installation,
        auth="jwt",
        operation_id="apps/get-repo-installation",
    ),
]
