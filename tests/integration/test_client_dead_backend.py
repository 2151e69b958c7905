"""The circuit breaker against a dead backend (a closed loopback port)."""

from __future__ import annotations

import socket
import statistics
import time

import pytest

from payrec.client import (
    ApiConnectionError,
    AutomationApiClient,
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
)
from tests.support.fault_proxy import FaultProxy, Respond, wait_until

KEY = "prk_test_dead_backend_key_0123456789"


def state_of(breaker: CircuitBreaker) -> CircuitState:
    """The state, read through a call (keeps mypy from narrowing the property)."""
    return breaker.state


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when we leave: nobody listens


def test_breaker_opens_fails_fast_and_half_opens() -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=0.3)
    client = AutomationApiClient(
        f"http://127.0.0.1:{closed_port()}",
        KEY,
        max_retries=1,
        retry_delay=0.001,
        circuit_breaker=breaker,
        timeout=2.0,
    )
    with client:
        for expected_failures in (1, 2):
            with pytest.raises(ApiConnectionError):
                client.get_scheduled_tasks()
            assert breaker.failures == expected_failures
            assert state_of(breaker) is CircuitState.CLOSED
        with pytest.raises(ApiConnectionError):
            client.get_scheduled_tasks()
        assert state_of(breaker) is CircuitState.OPEN  # at the threshold

        durations = []
        for _ in range(300):
            started = time.perf_counter()
            with pytest.raises(CircuitOpenError) as info:
                client.create_scheduled_task({"type": "REMINDER"})
            durations.append(time.perf_counter() - started)
            assert info.value.request_id
        assert statistics.median(durations) < 0.0005  # well under a millisecond

        wait_until(lambda: state_of(breaker) is CircuitState.HALF_OPEN, timeout=5.0)
        # the single trial goes to the network (and fails: the backend is still dead) ...
        with pytest.raises(ApiConnectionError):
            client.get_scheduled_tasks()
        # ... which reopens the circuit at once
        assert state_of(breaker) is CircuitState.OPEN
        with pytest.raises(CircuitOpenError):
            client.get_scheduled_tasks()


def test_half_open_trial_success_closes() -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=0.2)
    with FaultProxy() as proxy:  # no upstream: only scripted answers
        proxy.fail_next(4, status=503)
        proxy.enqueue(Respond(200, json_body={"tasks": [], "total": 0, "page": 0, "size": 20}))
        with AutomationApiClient(
            proxy.url, KEY, max_retries=1, retry_delay=0.001, circuit_breaker=breaker
        ) as client:
            for _ in range(2):
                with pytest.raises(Exception, match="503"):
                    client.get_scheduled_tasks()
            assert state_of(breaker) is CircuitState.OPEN
            with pytest.raises(CircuitOpenError):
                client.get_scheduled_tasks()
            assert proxy.count() == 4  # the rejected call never reached the proxy
            wait_until(lambda: state_of(breaker) is CircuitState.HALF_OPEN, timeout=5.0)
            assert client.get_scheduled_tasks() == []
            assert state_of(breaker) is CircuitState.CLOSED
            assert proxy.count() == 5
