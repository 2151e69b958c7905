"""Failed sign-ins are throttled even when the shared Redis is down, never answered with an
error (the sign-in page called Redis on the event loop and a refused connection was a 500)."""

from __future__ import annotations

import time

import pytest

from payrec.server.users.throttle import LimitsThrottle

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_an_unreachable_redis_keeps_the_counts_in_this_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    throttle = LimitsThrottle("3/minute", "100/minute", UNREACHABLE_REDIS, prefix="t")
    started = time.monotonic()
    with caplog.at_level("WARNING", logger="payrec.signin"):
        assert throttle.retry_after("ana@example.com", "10.0.0.1") is None
        for _ in range(3):
            throttle.failed("Ana@Example.com ", "10.0.0.1")
        wait = throttle.retry_after("ana@example.com", "10.0.0.1")
    assert wait is not None and 1 <= wait <= 60
    assert "Redis unreachable for sign-in counts" in caplog.text
    assert time.monotonic() - started < 5  # one timeout, then Redis is left alone a while
    throttle.succeeded("ana@example.com")
    assert throttle.retry_after("ana@example.com", "10.0.0.2") is None


def test_an_address_is_throttled_across_accounts() -> None:
    throttle = LimitsThrottle("100/minute", "2/minute")
    throttle.failed("a@example.com", "10.0.0.9")
    throttle.failed("b@example.com", "10.0.0.9")
    assert throttle.retry_after("c@example.com", "10.0.0.9") is not None
    assert throttle.retry_after("c@example.com", "10.0.0.8") is None
