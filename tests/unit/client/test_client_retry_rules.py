"""Pure retry decisions: classification, backoff with jitter, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from payrec.client import _retry
from payrec.client.errors import (
    ApiConnectionError,
    ApiError,
    ApiStatusError,
    ApiTimeoutError,
    CircuitOpenError,
    error_for_status,
)

NOW = datetime(2026, 1, 15, 10, 0, 0, tzinfo=UTC)
IN_FLIGHT = {"type": "https://payrec.dev/problems/idempotency-in-flight", "status": 409}
ILLEGAL = {"type": "https://payrec.dev/problems/illegal-transition", "status": 409}
STALE = {"type": "https://payrec.dev/problems/stale-lease", "status": 409}


def status(
    code: int, problem: dict[str, object] | None = None, retry_after: float | None = None
) -> ApiStatusError:
    return error_for_status(
        code, problem or {"status": code}, "rid", "msg", retry_after=retry_after
    )


@pytest.mark.parametrize(
    ("error", "retryable", "breaker_failure"),
    [
        (ApiConnectionError("refused"), True, True),
        (ApiTimeoutError("read timeout"), True, True),
        (status(408), True, True),
        (status(409, IN_FLIGHT), True, False),
        (status(409, ILLEGAL), False, False),
        (status(409, STALE), False, False),
        (status(409), False, False),
        (status(429), True, True),
        (status(500), True, True),
        (status(502), True, True),
        (status(503), True, True),
        (status(504), True, True),
        (status(599), True, True),
        (status(400), False, False),
        (status(401), False, False),
        (status(403), False, False),
        (status(404), False, False),
        (status(413), False, False),
        (status(422), False, False),
        (CircuitOpenError("open"), False, False),
        (ApiError("invalid JSON"), False, False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_classification(error: ApiError, retryable: bool, breaker_failure: bool) -> None:
    assert _retry.is_retryable(error) is retryable
    assert _retry.counts_as_failure(error) is breaker_failure


POLICY = _retry.RetryPolicy(max_retries=10, retry_delay=1.0, max_backoff=30.0, max_retry_after=60.0)


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (0, 1.0, 1.0),  # ceiling 1 * 2**0
        (0, 0.5, 0.5),
        (0, 0.0, 0.0),  # full jitter reaches zero
        (1, 1.0, 2.0),
        (2, 0.25, 1.0),  # ceiling 4
        (3, 1.0, 8.0),
        (4, 1.0, 16.0),
        (5, 1.0, 30.0),  # 32 capped at 30
        (5, 0.5, 15.0),
        (60, 1.0, 30.0),  # huge exponents stay capped
        (5000, 0.1, 3.0),  # even past float overflow
    ],
)
def test_backoff_full_jitter_capped(attempt: int, rand: float, expected: float) -> None:
    assert _retry.backoff_delay(attempt, POLICY, lambda: rand) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("1", 1.0),
        ("  7 ", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("garbage", None),
        ("inf", None),
        (format_datetime(NOW + timedelta(seconds=10), usegmt=True), 10.0),
        (format_datetime(NOW - timedelta(seconds=10), usegmt=True), 0.0),
        ("Thu, 15 Jan 2026 10:02:00 GMT", 120.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    result = _retry.parse_retry_after(value, NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@pytest.mark.parametrize(
    ("error", "attempt", "expected"),
    [
        (status(503), 0, 0.5),  # backoff: 1 * 2**0 * 0.5
        (status(503), 2, 2.0),  # 4 * 0.5
        (status(429, retry_after=1.0), 0, 1.0),  # Retry-After wins over backoff
        (status(503, retry_after=7.0), 3, 7.0),
        (status(429, retry_after=0.0), 0, 0.0),
        (status(429, retry_after=3600.0), 0, 60.0),  # capped
        (ApiConnectionError("x"), 1, 1.0),
        (status(409, IN_FLIGHT), 0, 0.5),
        (status(409, ILLEGAL), 0, None),
        (status(422), 0, None),
        (status(404), 0, None),
        (status(503), 10, None),  # retries exhausted (max_retries=10)
        (ApiTimeoutError("x"), 10, None),
    ],
)
def test_retry_delay_decision(error: ApiError, attempt: int, expected: float | None) -> None:
    assert _retry.retry_delay(error, attempt, POLICY, lambda: 0.5) == expected


def test_zero_retries_never_retries() -> None:
    policy = _retry.RetryPolicy(max_retries=0, retry_delay=1.0)
    assert _retry.retry_delay(status(503), 0, policy, lambda: 0.5) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1, "retry_delay": 1.0},
        {"max_retries": 1, "retry_delay": -1.0},
        {"max_retries": 1, "retry_delay": float("nan")},
        {"max_retries": 1, "retry_delay": 1.0, "max_backoff": float("inf")},
    ],
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        _retry.RetryPolicy(**kwargs)  # type: ignore[arg-type]
