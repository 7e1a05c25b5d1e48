"""The pure parts of the client: retry decisions, backoff, retry-after parsing, pacing maths."""

from __future__ import annotations

import asyncio
import email.utils

import pytest

from bot.github.pacing import InstallationPacer, pacing_delay
from bot.github.retry import (
    Failure,
    RetryPlan,
    RetryPolicy,
    backoff_delay,
    classify_response,
    is_idempotent,
    parse_retry_after,
    plan_error_retry,
    plan_response_retry,
    rate_limit_reset_wait,
)

NOW = 1_700_000_000.0
POLICY = RetryPolicy()


def test_retry_after_in_seconds() -> None:
    assert parse_retry_after("30", NOW) == 30.0
    assert parse_retry_after(" 0 ", NOW) == 0.0
    assert parse_retry_after("-5", NOW) == 0.0


def test_retry_after_as_http_date() -> None:
    value = email.utils.formatdate(NOW + 90, usegmt=True)
    assert parse_retry_after(value, NOW) == pytest.approx(90.0)
    past = email.utils.formatdate(NOW - 90, usegmt=True)
    assert parse_retry_after(past, NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "Mon, 99 Foo 2024"])
def test_retry_after_unreadable(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_rate_limit_reset_wait_only_when_spent() -> None:
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 120))}
    assert rate_limit_reset_wait(spent, NOW) == 121.0
    assert rate_limit_reset_wait({**spent, "x-ratelimit-remaining": "3"}, NOW) is None
    assert rate_limit_reset_wait({"x-ratelimit-remaining": "0"}, NOW) is None
    already = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW - 10))}
    assert rate_limit_reset_wait(already, NOW) == 1.0


def test_backoff_schedule_doubles_and_scales() -> None:
    assert [backoff_delay(n, POLICY) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    fast = RetryPolicy(backoff_scale=0.01)
    assert [backoff_delay(n, fast) for n in (1, 2, 3)] == pytest.approx([0.01, 0.02, 0.04])


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/repos/o/r/issues", True),
        ("PATCH", "/repos/o/r/issues/3", True),
        ("DELETE", "/repos/o/r/issues/3/labels/todo", True),
        ("POST", "/repos/o/r/issues", False),
        ("POST", "/repos/o/r/issues/3/comments", False),
        ("POST", "/repos/o/r/commits/abc/comments", False),
        ("POST", "/repos/o/r/pulls/2/comments", False),
        ("POST", "/repos/o/r/issues/3/labels", True),
        ("POST", "/repos/o/r/issues/3/assignees", True),
        ("POST", "/repos/o/r/labels", True),
        ("POST", "/repos/o/r/issues/comments/9/reactions", True),
        ("POST", "/api/v3/app/installations/5/access_tokens", True),
    ],
)
def test_which_requests_may_be_repeated(method: str, path: str, expected: bool) -> None:
    assert is_idempotent(method, path) is expected


def _plan(
    status: int,
    headers: dict[str, str],
    *,
    method: str = "GET",
    failures: int = 1,
    body: bytes = b"",
    path: str = "/repos/o/r/issues",
) -> RetryPlan:
    return plan_response_retry(
        method=method,
        path=path,
        status=status,
        headers=headers,
        body=body,
        failures=failures,
        now=NOW,
        policy=POLICY,
    )


def test_success_and_plain_client_errors_are_not_retried() -> None:
    for status in (200, 304, 400, 404, 410, 422):
        plan = _plan(status, {})
        assert not plan.retry and plan.give_up is None
    # A 403 that is not a rate limit (no permission) is final too.
    assert classify_response(403, {"x-ratelimit-remaining": "4000"}, b"{}") is None


def test_retry_after_is_honoured_for_403_and_429_even_on_posts() -> None:
    for status in (403, 429):
        plan = _plan(status, {"retry-after": "17"}, method="POST")
        assert plan.retry and plan.delay == 17.0 and plan.throttle
        assert plan.failure is Failure.RATE_LIMITED


def test_spent_budget_waits_for_the_reset() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 300))}
    plan = _plan(403, headers)
    assert plan.retry and plan.delay == 301.0


def test_a_wait_past_the_cap_gives_up_with_a_message() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 3600))}
    plan = _plan(403, headers)
    assert not plan.retry
    assert plan.give_up is not None and "3601 s" in plan.give_up and "900 s" in plan.give_up


def test_secondary_limit_without_retry_after_waits_a_minute_doubling() -> None:
    body = b'{"message": "You have exceeded a secondary rate limit."}'
    assert _plan(403, {}, body=body).delay == 60.0
    assert _plan(403, {}, body=body, failures=2).delay == 120.0
    assert _plan(429, {}).delay == 60.0


def test_rate_limit_retries_are_bounded() -> None:
    plan = _plan(429, {"retry-after": "1"}, failures=POLICY.max_rate_limit_retries + 1)
    assert not plan.retry and plan.give_up is not None


def test_server_errors_back_off_then_stop() -> None:
    delays = [_plan(502, {}, failures=n).delay for n in (1, 2, 3)]
    assert delays == [1.0, 2.0, 4.0]
    last = _plan(502, {}, failures=4)
    assert not last.retry and last.give_up is None  # the 502 goes back to the caller


def test_server_error_on_issue_creation_is_not_repeated() -> None:
    assert not _plan(500, {}, method="POST", path="/repos/o/r/issues").retry
    assert _plan(500, {}, method="PATCH", path="/repos/o/r/issues/4").retry


def test_connection_errors() -> None:
    def plan(method: str, sent: bool, failures: int) -> RetryPlan:
        return plan_error_retry(
            method=method, path="/repos/o/r/issues", sent=sent, failures=failures, policy=POLICY
        )

    assert plan("GET", True, 1).delay == 1.0
    assert not plan("GET", True, 4).retry
    # A timeout after sending an issue: it may exist now; a refused connection: it cannot.
    assert not plan("POST", True, 1).retry
    assert plan("POST", False, 1).retry


def test_pacing_delay() -> None:
    assert pacing_delay(None, 1.0, 50.0) == 0.0
    assert pacing_delay(49.5, 1.0, 50.0) == pytest.approx(0.5)
    assert pacing_delay(40.0, 1.0, 50.0) == 0.0


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []
        self._released = asyncio.Event()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def held_sleep(self, seconds: float) -> None:
        """A sleep that lasts until :meth:`release`, for looking at waiters mid-wait."""
        self.slept.append(seconds)
        await self._released.wait()

    def release(self) -> None:
        self._released.set()


async def test_pacer_spaces_mutations() -> None:
    fake = FakeTime()
    pacer = InstallationPacer(1.0, sleep=fake.sleep, clock=fake.clock)
    await pacer.before_mutation()
    pacer.after_mutation()
    fake.now += 0.25
    await pacer.before_mutation()
    assert fake.slept == [pytest.approx(0.75)]


async def test_pacer_pause_applies_once_per_waiter() -> None:
    fake = FakeTime()
    pacer = InstallationPacer(0.0, sleep=fake.sleep, clock=fake.clock)
    pacer.pause(30.0)
    pacer.pause(10.0)  # a shorter pause does not shorten the longer one
    assert await pacer.wait_if_paused() == 30.0
    assert await pacer.wait_if_paused() == 0.0
    assert fake.slept == [30.0]


async def test_pacer_pause_is_one_wait_shared_by_concurrent_waiters() -> None:
    fake = FakeTime()
    pacer = InstallationPacer(0.0, sleep=fake.held_sleep, clock=fake.clock)
    pacer.pause(30.0)
    waiters = [asyncio.ensure_future(pacer.wait_if_paused()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    fake.release()
    assert await asyncio.gather(*waiters) == [30.0] * 3
    assert fake.slept == [30.0]


async def test_pacer_pause_lengthened_while_in_progress_sleeps_only_the_difference() -> None:
    fake = FakeTime()
    pacer = InstallationPacer(0.0, sleep=fake.held_sleep, clock=fake.clock)
    pacer.pause(30.0)
    waiter = asyncio.ensure_future(pacer.wait_if_paused())
    await asyncio.sleep(0)
    pacer.pause(45.0)  # a later refusal asks for longer while the first wait runs
    fake.release()
    await waiter
    assert fake.slept == [30.0, 15.0]
    assert await pacer.wait_if_paused() == 0.0


async def test_pacer_pause_survives_a_cancelled_waiter() -> None:
    fake = FakeTime()
    pacer = InstallationPacer(0.0, sleep=fake.held_sleep, clock=fake.clock)
    pacer.pause(30.0)
    cancelled = asyncio.ensure_future(pacer.wait_if_paused())
    other = asyncio.ensure_future(pacer.wait_if_paused())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    assert not other.done()
    fake.release()
    assert await other == 30.0
    assert fake.slept == [30.0]
