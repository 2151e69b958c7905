"""Pure retry decisions shared by the sync and async clients (no I/O, no clock of its own).

Retried: connection errors, timeouts, 408, 429, 5xx, and a 409 whose problem ``type`` says the
idempotency key is still in flight. Everything else (other 4xx, other 409s such as an illegal
transition or a stale lease) is final.

Delay before retry ``n`` (0-based): the server's ``Retry-After`` when given (capped at
``max_retry_after``), otherwise full jitter over an exponential ceiling:
``uniform(0, min(max_backoff, retry_delay * 2**n))``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from .errors import (
    ApiConnectionError,
    ApiError,
    ApiStatusError,
    ConflictError,
)

__all__ = [
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_RETRY_AFTER",
    "RetryPolicy",
    "backoff_delay",
    "counts_as_failure",
    "is_retryable",
    "is_retryable_status",
    "parse_retry_after",
    "retry_delay",
]

DEFAULT_MAX_BACKOFF = 30.0
DEFAULT_MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int
    retry_delay: float
    max_backoff: float = DEFAULT_MAX_BACKOFF
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    backoff_factor: float = 2.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        for name in ("retry_delay", "max_backoff", "max_retry_after"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0")
        if self.backoff_factor < 1:
            raise ValueError("backoff_factor must be >= 1")


def is_retryable_status(status_code: int) -> bool:
    """Status codes retried regardless of the body (409 needs the body: see is_retryable)."""
    return status_code in (408, 429) or 500 <= status_code <= 599


def is_retryable(error: ApiError) -> bool:
    if isinstance(error, ApiConnectionError):
        return True
    if isinstance(error, ConflictError):
        return error.is_idempotency_in_flight
    if isinstance(error, ApiStatusError):
        return is_retryable_status(error.status_code)
    return False


def counts_as_failure(error: ApiError) -> bool:
    """Whether a failed logical call counts towards opening the circuit breaker.

    Connection errors, timeouts, 408, 429 and 5xx do; other 4xx mean the backend is up and
    answering, so they do not.
    """
    if isinstance(error, ApiConnectionError):
        return True
    if isinstance(error, ApiStatusError):
        return is_retryable_status(error.status_code)
    return False


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP-date.

    ``None`` when absent or unparsable; a date in the past gives ``0.0``.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, policy: RetryPolicy, rand: Callable[[], float]) -> float:
    """Full-jitter exponential backoff before retry ``attempt`` (0 = first retry)."""
    try:
        ceiling = policy.retry_delay * policy.backoff_factor**attempt
    except OverflowError:
        ceiling = policy.max_backoff
    ceiling = min(policy.max_backoff, ceiling)
    return ceiling * min(1.0, max(0.0, rand()))


def retry_delay(
    error: ApiError,
    attempt: int,
    policy: RetryPolicy,
    rand: Callable[[], float],
) -> float | None:
    """Seconds to wait before retrying after ``error`` on retry ``attempt`` (0-based), or
    ``None`` when the call must not be retried (not retryable, or retries exhausted)."""
    if attempt >= policy.max_retries or not is_retryable(error):
        return None
    retry_after = error.retry_after if isinstance(error, ApiStatusError) else None
    if retry_after is not None:
        return min(retry_after, policy.max_retry_after)
    return backoff_delay(attempt, policy, rand)
