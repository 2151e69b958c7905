"""The client through a real fault-injecting proxy, against a stub upstream (no backend needed).

The same scenarios run against the real backend in test_client_backend.py; these keep the
client's network behaviour covered on their own and exercise tests/support/fault_proxy.py.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Iterator

import pytest

from payrec.client import (
    ApiTimeoutError,
    AsyncAutomationApiClient,
    AutomationApiClient,
    CircuitBreaker,
    ServerError,
    UnprocessableEntityError,
)
from tests.support.fault_proxy import (
    Delay,
    Drop,
    FaultProxy,
    ForwardThenDrop,
    Respond,
    StubUpstream,
)

KEY = "prk_test_stub_key_0123456789"


class IdempotentStub:
    """A minimal stand-in of the automation API: POST /tasks creates a task, honouring
    Idempotency-Key by replaying the first answer; 422 when ``type`` is missing."""

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, object]] = {}
        self.replies: dict[str, tuple[int, bytes]] = {}
        self.ids = itertools.count(1)
        self.lock = threading.Lock()

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        json_type = {"Content-Type": "application/json"}
        if method == "POST" and path.endswith("/tasks"):
            key = headers.get("idempotency-key", "")
            with self.lock:
                if key in self.replies:
                    status, payload = self.replies[key]
                    return status, {**json_type, "Idempotent-Replayed": "true"}, payload
                data = json.loads(body)
                if "type" not in data:
                    problem = {
                        "type": "about:blank",
                        "title": "Unprocessable Entity",
                        "status": 422,
                        "errors": [{"field": "type", "message": "required"}],
                    }
                    return (
                        422,
                        {"Content-Type": "application/problem+json"},
                        json.dumps(problem).encode(),
                    )
                task = {"id": f"task-{next(self.ids)}", "status": "PENDING", **data}
                self.tasks[str(task["id"])] = task
                payload = json.dumps(task).encode()
                self.replies[key] = (201, payload)
                return 201, json_type, payload
        if path.startswith("/api/v1/automation/recovery-cases/pending"):
            payload = b'{"cases": [{"id": "case-1", "amount": 5000.00}], "total": 1}'
            return 200, json_type, payload
        return 200, json_type, b"{}"


@pytest.fixture
def stub() -> Iterator[tuple[IdempotentStub, StubUpstream]]:
    handler = IdempotentStub()
    with StubUpstream(handler) as upstream:
        yield handler, upstream


@pytest.fixture
def proxy(stub: tuple[IdempotentStub, StubUpstream]) -> Iterator[FaultProxy]:
    with FaultProxy(stub[1].url) as fault_proxy:
        yield fault_proxy


def client_for(proxy: FaultProxy, **kwargs: object) -> AutomationApiClient:
    options: dict[str, object] = {"max_retries": 3, "retry_delay": 0.01}
    options.update(kwargs)
    return AutomationApiClient(proxy.url, KEY, **options)  # type: ignore[arg-type]


def test_two_503_then_success(proxy: FaultProxy) -> None:
    proxy.fail_next(2, status=503, path="/recovery-cases/pending")
    with client_for(proxy) as client:
        cases = client.get_pending_recovery_cases()
    assert [c["id"] for c in cases] == ["case-1"]
    assert str(cases[0]["amount"]) == "5000.00"
    seen = proxy.requests
    assert [r.action for r in seen] == ["respond", "respond", "forward"]
    assert len({r.headers["x-request-id"] for r in seen}) == 1


def test_429_retry_after_is_waited(proxy: FaultProxy) -> None:
    proxy.rate_limit_next("1", path="/recovery-cases/pending")
    with client_for(proxy, retry_delay=0.0) as client:
        started = time.monotonic()
        client.get_pending_recovery_cases()
        elapsed = time.monotonic() - started
    assert elapsed >= 1.0
    assert proxy.count() == 2


def test_lost_response_retried_with_same_key_creates_once(
    proxy: FaultProxy, stub: tuple[IdempotentStub, StubUpstream]
) -> None:
    proxy.enqueue(ForwardThenDrop(), method="POST", path="/tasks")
    with client_for(proxy) as client:
        task = client.create_scheduled_task({"type": "REMINDER", "recoveryCaseId": "case-1"})
    posts = proxy.requests
    assert [(r.action, r.upstream_status) for r in posts] == [
        ("forward-then-drop", 201),
        ("forward", 201),
    ]
    assert posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]
    assert list(stub[0].tasks) == [task["id"]]


def test_422_raised_after_one_attempt(proxy: FaultProxy) -> None:
    with client_for(proxy) as client, pytest.raises(UnprocessableEntityError) as info:
        client.create_scheduled_task({"recoveryCaseId": "case-1"})
    assert proxy.count() == 1
    assert info.value.errors == [{"field": "type", "message": "required"}]


def test_read_timeout_then_dropped_connection_then_success(proxy: FaultProxy) -> None:
    proxy.enqueue(Delay(0.5, Respond(200)), Drop(), path="/recovery-cases/pending")
    with client_for(proxy, timeout=0.1) as client:
        assert client.get_pending_recovery_cases()[0]["id"] == "case-1"
    assert proxy.count() == 3


def test_persistent_failure_surfaces_after_retries(proxy: FaultProxy) -> None:
    proxy.fail_next(10, status=502)
    breaker = CircuitBreaker(failure_threshold=5)
    client = client_for(proxy, max_retries=2, circuit_breaker=breaker)
    with client, pytest.raises(ServerError):
        client.get_task("task-1")
    assert proxy.count() == 3
    assert breaker.failures == 1


def test_timeouts_are_api_timeout_errors(proxy: FaultProxy) -> None:
    proxy.enqueue(*(Delay(0.5, Respond(200)) for _ in range(2)))
    client = client_for(proxy, timeout=0.1, max_retries=1)
    with client, pytest.raises(ApiTimeoutError):
        client.get_task("task-1")


def test_async_client_through_proxy(
    proxy: FaultProxy, stub: tuple[IdempotentStub, StubUpstream]
) -> None:
    proxy.fail_next(1, status=503, method="POST")
    proxy.enqueue(ForwardThenDrop(), method="POST")

    async def run() -> dict[str, object]:
        async with AsyncAutomationApiClient(proxy.url, KEY, max_retries=3, retry_delay=0.01) as c:
            return await c.create_scheduled_task({"type": "REMINDER"})

    task = asyncio.run(run())
    assert proxy.count(method="POST") == 3
    assert len({r.headers["idempotency-key"] for r in proxy.requests}) == 1
    assert list(stub[0].tasks) == [task["id"]]
