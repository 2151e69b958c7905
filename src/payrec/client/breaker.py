"""A thread-safe circuit breaker counting failed logical calls.

States:

* ``closed``: calls go through; ``failure_threshold`` consecutive failures open the circuit.
* ``open``: calls are rejected at once; after ``reset_timeout`` seconds the next caller gets
  the single trial slot (``half_open``).
* ``half_open``: exactly one trial call is in flight, every other call is rejected; its success
  closes the circuit, its failure reopens it (and restarts the timeout).

Outcomes that say nothing about the backend's health (a programming error, a cancelled call)
are reported with :meth:`CircuitBreaker.release`, which only frees a trial slot.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from enum import StrEnum

__all__ = ["CircuitBreaker", "CircuitState"]


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be >= 1")
        if not math.isfinite(reset_timeout) or reset_timeout < 0:
            raise ValueError("reset_timeout must be a finite number >= 0")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker(state={self.state.value}, failures={self.failures}, "
            f"failure_threshold={self.failure_threshold}, reset_timeout={self.reset_timeout})"
        )

    @property
    def state(self) -> CircuitState:
        """The current state (``open`` turns into ``half_open`` once the timeout has passed)."""
        with self._lock:
            if self._state is CircuitState.OPEN and self._timeout_elapsed():
                return CircuitState.HALF_OPEN
            return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures counted so far."""
        with self._lock:
            return self._failures

    def retry_in(self) -> float:
        """Seconds until an open circuit lets a trial call through (0 when not open)."""
        with self._lock:
            if self._state is not CircuitState.OPEN:
                return 0.0
            return max(0.0, self._opened_at + self.reset_timeout - self._clock())

    def _timeout_elapsed(self) -> bool:
        return self._clock() - self._opened_at >= self.reset_timeout

    def allow(self) -> bool:
        """Ask to make a call. ``True``: go ahead, and report the outcome with exactly one of
        :meth:`record_success`, :meth:`record_failure` or :meth:`release`. ``False``: reject
        the call without touching the network."""
        with self._lock:
            if self._state is CircuitState.CLOSED:
                return True
            if self._state is CircuitState.OPEN:
                if not self._timeout_elapsed():
                    return False
                self._state = CircuitState.HALF_OPEN
                self._trial_in_flight = False
            # half-open: a single trial call at a time.
            if self._trial_in_flight:
                return False
            self._trial_in_flight = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._state = CircuitState.CLOSED
            self._failures = 0
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            if self._state is CircuitState.HALF_OPEN:
                self._open()
                return
            if self._state is CircuitState.OPEN:
                # A call admitted before the circuit opened finished late: keep it open.
                return
            self._failures += 1
            if self._failures >= self.failure_threshold:
                self._open()

    def release(self) -> None:
        """The admitted call ended without a verdict on the backend's health."""
        with self._lock:
            if self._state is CircuitState.HALF_OPEN:
                self._trial_in_flight = False

    def reset(self) -> None:
        """Force the circuit closed."""
        self.record_success()

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._opened_at = self._clock()
        self._trial_in_flight = False
