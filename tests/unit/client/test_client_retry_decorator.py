"""The guide's retry_with_backoff decorator."""

from __future__ import annotations

import asyncio
import logging

import pytest

from payrec.client import (
    ApiConnectionError,
    NotFoundError,
    ServerError,
    retry_with_backoff,
)


class Flaky:
    def __init__(self, failures: list[BaseException], result: str = "ok") -> None:
        self.failures = failures
        self.calls = 0
        self.result = result

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.result


def test_guide_semantics_attempts_and_delays(caplog: pytest.LogCaptureFixture) -> None:
    slept: list[float] = []
    flaky = Flaky([ValueError("a"), ValueError("b")])
    wrapped = retry_with_backoff(max_retries=3, initial_delay=1.0, sleep=slept.append)(flaky)
    caplog.set_level(logging.WARNING)
    assert wrapped() == "ok"
    assert flaky.calls == 3
    assert slept == [1.0, 2.0]
    assert sum("Retrying in" in r.getMessage() for r in caplog.records) == 2


def test_gives_up_after_max_retries_attempts() -> None:
    slept: list[float] = []
    flaky = Flaky([ValueError(str(i)) for i in range(5)])
    wrapped = retry_with_backoff(
        max_retries=3, initial_delay=0.5, backoff_factor=3.0, sleep=slept.append
    )(flaky)
    with pytest.raises(ValueError, match="2"):
        wrapped()
    assert flaky.calls == 3
    assert slept == [0.5, 1.5]


def test_only_listed_exceptions_retried() -> None:
    flaky = Flaky([KeyError("k")])
    wrapped = retry_with_backoff(exceptions=(ValueError,), sleep=lambda s: None)(flaky)
    with pytest.raises(KeyError):
        wrapped()
    assert flaky.calls == 1


def test_permanent_api_errors_not_retried_transient_are() -> None:
    not_found = NotFoundError(404, {"status": 404}, "rid", "missing")
    flaky = Flaky([not_found])
    wrapped = retry_with_backoff(sleep=lambda s: None)(flaky)
    with pytest.raises(NotFoundError):
        wrapped()
    assert flaky.calls == 1
    flaky = Flaky([ServerError(503, {}, "rid", "down"), ApiConnectionError("refused")])
    assert retry_with_backoff(sleep=lambda s: None)(flaky)() == "ok"
    assert flaky.calls == 3


def test_preserves_metadata_and_works_on_coroutines() -> None:
    slept: list[float] = []
    calls = 0

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    @retry_with_backoff(max_retries=2, initial_delay=0.1, async_sleep=fake_sleep)
    async def fetch(x: int) -> int:
        """Doc."""
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ApiConnectionError("refused")
        return x * 2

    assert fetch.__name__ == "fetch" and fetch.__doc__ == "Doc."
    assert asyncio.run(fetch(21)) == 42
    assert slept == [0.1]
