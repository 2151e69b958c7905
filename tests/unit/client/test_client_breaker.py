"""CircuitBreaker state machine with a fake clock."""

from __future__ import annotations

import threading

import pytest

from payrec.client import CircuitBreaker, CircuitState


def state_of(breaker: CircuitBreaker) -> CircuitState:
    """The state, read through a call (keeps mypy from narrowing the property)."""
    return breaker.state


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert breaker.allow()
        breaker.record_failure()


def test_opens_after_threshold_consecutive_failures(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=10.0, clock=clock)
    fail(breaker, 2)
    assert state_of(breaker) is CircuitState.CLOSED
    assert breaker.failures == 2
    fail(breaker, 1)
    assert state_of(breaker) is CircuitState.OPEN
    assert not breaker.allow()
    assert breaker.retry_in() == pytest.approx(10.0)


def test_success_resets_the_count(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=10.0, clock=clock)
    fail(breaker, 2)
    assert breaker.allow()
    breaker.record_success()
    fail(breaker, 2)
    assert state_of(breaker) is CircuitState.CLOSED


def test_half_open_admits_exactly_one_trial(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=10.0, clock=clock)
    fail(breaker, 1)
    clock.advance(9.999)
    assert not breaker.allow()
    clock.advance(0.001)
    assert state_of(breaker) is CircuitState.HALF_OPEN
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # others still rejected
    assert not breaker.allow()
    breaker.record_success()
    assert state_of(breaker) is CircuitState.CLOSED
    assert breaker.allow()
    assert breaker.allow()


def test_failed_trial_reopens_and_restarts_timeout(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=5.0, clock=clock)
    fail(breaker, 2)
    clock.advance(5.0)
    assert breaker.allow()
    breaker.record_failure()
    assert state_of(breaker) is CircuitState.OPEN
    clock.advance(4.0)
    assert not breaker.allow()
    clock.advance(1.0)
    assert breaker.allow()


def test_released_trial_frees_the_slot(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=1.0, clock=clock)
    fail(breaker, 1)
    clock.advance(1.0)
    assert breaker.allow()
    breaker.release()  # no verdict (e.g. the caller was cancelled)
    assert state_of(breaker) is CircuitState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()


def test_late_failure_while_open_keeps_it_open(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=10.0, clock=clock)
    assert breaker.allow()  # admitted while closed ...
    fail(breaker, 1)  # ... meanwhile another call opens the circuit
    clock.advance(5.0)
    breaker.record_failure()  # the first one fails late: no extension, no double-open
    assert breaker.retry_in() == pytest.approx(5.0)


@pytest.mark.parametrize(
    "kwargs",
    [{"failure_threshold": 0}, {"reset_timeout": -1.0}, {"reset_timeout": float("nan")}],
)
def test_rejects_bad_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(**kwargs)  # type: ignore[arg-type]


def test_only_one_thread_gets_the_trial(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=1.0, clock=clock)
    fail(breaker, 1)
    clock.advance(1.0)
    barrier = threading.Barrier(16)
    admitted: list[bool] = []
    lock = threading.Lock()

    def contender() -> None:
        barrier.wait()
        ok = breaker.allow()
        with lock:
            admitted.append(ok)

    threads = [threading.Thread(target=contender) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert admitted.count(True) == 1


def test_concurrent_failures_are_all_counted(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=10_000, reset_timeout=1.0, clock=clock)

    def hammer() -> None:
        for _ in range(1000):
            breaker.record_failure()

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert breaker.failures == 8000
