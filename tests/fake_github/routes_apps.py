"""App routes, authenticated with the app's JWT: installation tokens and lookups."""

from __future__ import annotations

from datetime import UTC, datetime

from .replies import Reply, not_found
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


ROUTES = [
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
