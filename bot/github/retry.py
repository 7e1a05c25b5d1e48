"""When to retry a GitHub request, and how long to wait first (pure: no I/O, no clock).

The transport in :mod:`bot.github.client` asks :func:`plan_response_retry` after every response
and :func:`plan_error_retry` after every connection error or timeout; it performs the wait.

What is retried:

* 403/429 carrying ``retry-after``: wait that long. The request was refused, never applied,
  so this is safe for every method.
* 403/429 with ``x-ratelimit-remaining: 0``: wait until ``x-ratelimit-reset``.
* 403/429 whose message names a *secondary* rate limit but gives no time: wait a minute, doubling.
* Any of those waits longer than :attr:`RetryPolicy.max_rate_limit_wait`: give up at once with
  a message saying when the budget comes back, rather than sleep for an hour.
* 5xx, timeouts and dropped connections: bounded exponential backoff (1, 2, 4 s by default),
  but only for requests that are safe to repeat. A ``POST`` that creates something (an issue,
  a comment) may have been applied before the failure; repeating it could file a duplicate, so
  it fails at once with ``maybe_applied`` set and the caller re-checks (the issue list is the
  bot's only state, so the next push or ``sync`` heals it). A refused connection never reached
  GitHub and is retried for every method.
* Any other 4xx: not retried.
"""

from __future__ import annotations

import email.utils
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

MUTATING_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})

#: POST routes that GitHub applies idempotently: repeating them after an unknown outcome
#: cannot create a second object.
_IDEMPOTENT_POSTS = (
    re.compile(r"/app/installations/[^/]+/access_tokens$"),
    re.compile(r"/repos/[^/]+/[^/]+/issues/\d+/labels$"),
    re.compile(r"/repos/[^/]+/[^/]+/issues/\d+/assignees$"),
    re.compile(r"/repos/[^/]+/[^/]+/issues/comments/\d+/reactions$"),
    # Creating a label twice answers 422 "already_exists" rather than making a second one.
    re.compile(r"/repos/[^/]+/[^/]+/labels$"),
)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying; ``backoff_scale`` shrinks every backoff (tests use a tiny one)."""

    max_retries: int = 3
    backoff_base: float = 1.0
    backoff_scale: float = 1.0
    max_rate_limit_wait: float = 15 * 60.0
    max_rate_limit_retries: int = 5
    secondary_limit_wait: float = 60.0


class Failure(enum.Enum):
    """Why an attempt did not succeed, for the purpose of retrying."""

    RATE_LIMITED = "rate limited"
    TRANSIENT = "transient"


@dataclass(frozen=True)
class RetryPlan:
    """What to do after a failed attempt.

    ``retry`` False with ``give_up`` None means: hand the response to the caller as it is.
    ``give_up`` is a message for a person when retrying was considered and refused.
    ``throttle`` says the wait applies to every request of the installation, not just this one.
    """

    retry: bool
    delay: float = 0.0
    failure: Failure | None = None
    give_up: str | None = None
    throttle: bool = False


DONT_RETRY = RetryPlan(retry=False)


def is_mutation(method: str) -> bool:
    """True for the methods GitHub's secondary limits count as content-changing."""
    return method.upper() in MUTATING_METHODS


def is_idempotent(method: str, path: str) -> bool:
    """True when repeating the request after an unknown outcome cannot do harm twice."""
    method = method.upper()
    if method in {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"}:
        return True
    path = path.split("?", 1)[0].rstrip("/")
    return method == "POST" and any(p.search(path) for p in _IDEMPOTENT_POSTS)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``retry-after`` header (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def rate_limit_reset_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until the primary budget resets when it is spent, else None.

    One second is added because ``x-ratelimit-reset`` is truncated to whole seconds.
    """
    remaining = headers.get("x-ratelimit-remaining")
    reset = headers.get("x-ratelimit-reset")
    if remaining is None or reset is None:
        return None
    try:
        if int(remaining) > 0:
            return None
        return max(0.0, float(reset) - now) + 1.0
    except ValueError:
        return None


def backoff_delay(failures: int, policy: RetryPolicy) -> float:
    """The wait before retry number ``failures`` (1-based): base, 2·base, 4·base, … scaled."""
    doubling: float = 2.0 ** max(0, failures - 1)
    return policy.backoff_base * doubling * policy.backoff_scale


def _is_secondary_limit(body: bytes) -> bool:
    return b"secondary rate limit" in body.lower() or b"abuse detection" in body.lower()


def classify_response(status: int, headers: Mapping[str, str], body: bytes) -> Failure | None:
    """Whether a response is worth retrying at all, and why."""
    if status in {403, 429} and (
        "retry-after" in headers
        or headers.get("x-ratelimit-remaining") == "0"
        or _is_secondary_limit(body)
        or status == 429
    ):
        return Failure.RATE_LIMITED
    if status >= 500:
        return Failure.TRANSIENT
    return None


def plan_response_retry(
    *,
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    failures: int,
    now: float,
    policy: RetryPolicy,
) -> RetryPlan:
    """Decide about a response.

    ``failures`` counts the failures of this kind so far for the request, this one included.
    """
    failure = classify_response(status, headers, body)
    if failure is None:
        return DONT_RETRY
    if failure is Failure.TRANSIENT:
        if not is_idempotent(method, path):
            return DONT_RETRY
        if failures > policy.max_retries:
            return DONT_RETRY
        return RetryPlan(retry=True, delay=backoff_delay(failures, policy), failure=failure)
    return _plan_rate_limit(status, headers, body, failures, now, policy)


def _plan_rate_limit(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    failures: int,
    now: float,
    policy: RetryPolicy,
) -> RetryPlan:
    delay = parse_retry_after(headers.get("retry-after"), now)
    reason = "retry-after"
    if delay is None:
        delay = rate_limit_reset_wait(headers, now)
        reason = "rate limit budget spent"
    if delay is None:
        delay = policy.secondary_limit_wait * 2.0 ** max(0, failures - 1)
        reason = "secondary rate limit"
    if failures > policy.max_rate_limit_retries:
        return RetryPlan(
            retry=False,
            failure=Failure.RATE_LIMITED,
            give_up=f"{status} {reason}: still limited after {failures - 1} waits, giving up",
        )
    if delay > policy.max_rate_limit_wait:
        return RetryPlan(
            retry=False,
            failure=Failure.RATE_LIMITED,
            give_up=(
                f"{status} {reason}: GitHub asks to wait {delay:.0f} s, more than the "
                f"{policy.max_rate_limit_wait:.0f} s this bot will wait; giving up "
                "(the next push or `sync` will catch up)"
            ),
        )
    return RetryPlan(retry=True, delay=delay, failure=Failure.RATE_LIMITED, throttle=True)


def plan_error_retry(
    *,
    method: str,
    path: str,
    sent: bool,
    failures: int,
    policy: RetryPolicy,
) -> RetryPlan:
    """Decide about a timeout or connection error.

    ``sent`` is False when the connection was never made (the request cannot have been applied).
    """
    if failures > policy.max_retries:
        return DONT_RETRY
    if sent and not is_idempotent(method, path):
        return DONT_RETRY
    return RetryPlan(retry=True, delay=backoff_delay(failures, policy), failure=Failure.TRANSIENT)
