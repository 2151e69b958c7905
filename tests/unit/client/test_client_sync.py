"""AutomationApiClient over a scripted transport: requests, retries, idempotency, errors."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from payrec.client import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    AutomationApiClient,
    BadRequestError,
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
from tests.unit.client.client_fakes import API_KEY, Script, Sleeps, problem

IN_FLIGHT = "https://payrec.dev/problems/idempotency-in-flight"


def state_of(breaker: CircuitBreaker) -> CircuitState:
    """The state, read through a call (keeps mypy from narrowing the property)."""
    return breaker.state


def make(script: Script, sleeps: Sleeps, **kwargs: object) -> AutomationApiClient:
    options: dict[str, object] = {"max_retries": 3, "retry_delay": 1.0, "rand": lambda: 1.0}
    options.update(kwargs)
    return AutomationApiClient(
        "http://backend.test:8080",
        API_KEY,
        transport=script.transport(),
        sleep=sleeps,
        **options,  # type: ignore[arg-type]
    )


# request building ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://localhost:8080", "http://localhost:8080/api/v1/automation"),
        ("http://localhost:8080/", "http://localhost:8080/api/v1/automation"),
        ("http://localhost:8080/api/v1/automation", "http://localhost:8080/api/v1/automation"),
        ("http://localhost:8080/api/v1/automation/", "http://localhost:8080/api/v1/automation"),
        ("http://localhost:8080/api/v1", "http://localhost:8080/api/v1/automation"),
        ("https://api.example.com/base", "https://api.example.com/base/api/v1/automation"),
        (" https://api.example.com ", "https://api.example.com/api/v1/automation"),
    ],
)
def test_base_url_normalisation(base_url: str, expected: str) -> None:
    with AutomationApiClient(base_url, API_KEY) as client:
        assert client.base_url == expected


@pytest.mark.parametrize("base_url", ["localhost:8080", "ftp://x", "http://", "http://h/?a=1"])
def test_bad_base_url_rejected(base_url: str) -> None:
    with pytest.raises(ValueError):
        AutomationApiClient(base_url, API_KEY)


def test_empty_api_key_rejected() -> None:
    with pytest.raises(ValueError):
        AutomationApiClient("http://localhost", "")


def test_headers_and_paths(sleeps: Sleeps) -> None:
    script = Script(default=httpx.Response(200, json={"cases": [{"id": "case-1"}], "total": 1}))
    with make(script, sleeps) as client:
        cases = client.get_pending_recovery_cases(status="OVERDUE", priority="HIGH", limit=5)
    assert cases == [{"id": "case-1"}]
    (request,) = script.requests
    assert request.method == "GET"
    assert request.url.path == "/api/v1/automation/recovery-cases/pending"
    assert dict(request.url.params) == {"limit": "5", "status": "OVERDUE", "priority": "HIGH"}
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["x-service-name"] == "python-automation"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("payrec-client/")
    assert len(request.headers["x-request-id"]) == 36
    assert "idempotency-key" not in request.headers  # GET


def test_every_method_hits_its_endpoint(sleeps: Sleeps) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/content"):
            return httpx.Response(
                200, content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}
            )
        return httpx.Response(
            200, json={"id": "x", "tasks": [], "documents": [], "notifications": []}
        )

    script = Script(default=answer)
    due = datetime(2030, 1, 1, tzinfo=UTC)
    with make(script, sleeps, service_name="python-scheduler") as c:
        c.update_recovery_case("case-1", {"status": "IN_PROGRESS"})
        c.get_scheduled_tasks()
        c.get_scheduled_tasks(status="FAILED", type="REMINDER", due_before=due, page=2, size=50)
        c.create_scheduled_task({"type": "REMINDER"})
        c.update_task_status("task-1", "COMPLETED", {"sentAt": "x"}, lease_token="lease-1")
        c.update_task_status("task-1", "FAILED")
        c.get_pending_documents()
        c.get_pending_documents("INVOICE", limit=7)
        c.submit_extraction("doc-1", {"extractionType": "INVOICE", "confidence": 0.95})
        c.create_reminder({"recoveryCaseId": "case-1"})
        c.record_reminder_sent("rem-1", {"status": "SENT"})
        c.create_notification({"recoveryCaseId": "case-1"})
        c.update_notification_status(
            "ntf-1",
            "SENT",
            sent_at=datetime(2024, 1, 15, 11, 0, 5, tzinfo=timezone(timedelta(hours=1))),
            external_id="m-1",
        )
        c.get_recovery_case("case-1")
        c.get_task("task-1")
        c.claim_tasks("w-1", types=["REMINDER"], limit=3, lease_seconds=30)
        c.heartbeat("task-1", "lease-1", lease_seconds=45)
        c.heartbeat("task-1", "lease-1")
        c.heartbeat_tasks({"task-1": "lease-1", "task-2": "lease-2"}, lease_seconds=45)
        c.get_reminder("rem-1")
        assert c.download_document("doc-1") == b"%PDF-1.7"
        c.claim_notifications("w-1", limit=2, lease_seconds=20)
        c.get_notification("ntf-1")
        c.get_task("task/../../admin")  # ids are one escaped path segment
    seen = [(r.method, r.url.raw_path.decode()) for r in script.requests]
    p = "/api/v1/automation"
    assert seen == [
        ("PUT", f"{p}/recovery-cases/case-1"),
        ("GET", f"{p}/tasks/scheduled"),
        (
            "GET",
            f"{p}/tasks/scheduled?status=FAILED&type=REMINDER&dueBefore=2030-01-01T00%3A00%3A00Z"
            "&page=2&size=50",
        ),
        ("POST", f"{p}/tasks"),
        ("PUT", f"{p}/tasks/task-1/status"),
        ("PUT", f"{p}/tasks/task-1/status"),
        ("GET", f"{p}/documents/pending-extraction?limit=50"),
        ("GET", f"{p}/documents/pending-extraction?limit=7&type=INVOICE"),
        ("POST", f"{p}/extractions"),
        ("POST", f"{p}/reminders"),
        ("PUT", f"{p}/reminders/rem-1/sent"),
        ("POST", f"{p}/notifications"),
        ("PUT", f"{p}/notifications/ntf-1/status"),
        ("GET", f"{p}/recovery-cases/case-1"),
        ("GET", f"{p}/tasks/task-1"),
        ("POST", f"{p}/tasks/claim"),
        ("POST", f"{p}/tasks/task-1/heartbeat"),
        ("POST", f"{p}/tasks/task-1/heartbeat"),
        ("POST", f"{p}/tasks/heartbeat"),
        ("GET", f"{p}/reminders/rem-1"),
        ("GET", f"{p}/documents/doc-1/content"),
        ("POST", f"{p}/notifications/claim"),
        ("GET", f"{p}/notifications/ntf-1"),
        ("GET", f"{p}/tasks/task%2F..%2F..%2Fadmin"),
    ]
    bodies = script.bodies()
    assert bodies[4] == {"status": "COMPLETED", "result": {"sentAt": "x"}, "leaseToken": "lease-1"}
    assert bodies[5] == {"status": "FAILED"}
    assert bodies[8] == {"documentId": "doc-1", "extractionType": "INVOICE", "confidence": 0.95}
    assert bodies[12] == {"status": "SENT", "sentAt": "2024-01-15T10:00:05Z", "externalId": "m-1"}
    assert bodies[15] == {"workerId": "w-1", "types": ["REMINDER"], "limit": 3, "leaseSeconds": 30}
    assert bodies[16] == {"leaseToken": "lease-1", "leaseSeconds": 45}
    assert bodies[17] == {"leaseToken": "lease-1"}
    assert bodies[18] == {
        "leases": [
            {"id": "task-1", "leaseToken": "lease-1"},
            {"id": "task-2", "leaseToken": "lease-2"},
        ],
        "leaseSeconds": 45,
    }
    assert bodies[21] == {"workerId": "w-1", "limit": 2, "leaseSeconds": 20}
    assert all(r.headers["x-service-name"] == "python-scheduler" for r in script.requests)
    # A heartbeat repeated has no further effect: it is sent without a key (nothing stored).
    beats = [r for r in script.requests if r.url.path.endswith("/heartbeat")]
    assert len(beats) == 3 and all("idempotency-key" not in r.headers for r in beats)
    posts = [r for r in script.requests if r.method == "POST" and r not in beats]
    assert all(r.headers.get("idempotency-key") for r in posts)
    assert len({r.headers["idempotency-key"] for r in posts}) == len(posts)  # one per call
    assert all("idempotency-key" not in r.headers for r in script.requests if r.method != "POST")


def test_download_by_url_same_origin_only(sleeps: Sleeps) -> None:
    script = Script(default=httpx.Response(200, content=b"bytes"))
    with make(script, sleeps) as client:
        url = "http://backend.test:8080/api/v1/automation/documents/doc-9/content"
        assert client.download_document(url) == b"bytes"
        with pytest.raises(ValueError, match="outside the API's origin"):
            client.download_document("https://storage.example.com/documents/doc-9")
        # a backend without a public URL answers a path: on the client's own backend
        assert client.download_document("/api/v1/automation/documents/doc-9/content") == b"bytes"
    assert [str(r.url) for r in script.requests] == [url, url]  # the key never left
    assert state_of(client.circuit_breaker) is CircuitState.CLOSED


# money and time -----------------------------------------------------------------------------


def test_decimal_round_trip_exact(sleeps: Sleeps) -> None:
    body = (
        b'{"id": "rem-1", "amount": 5000.00, "fee": 0.10, "big": 12345678901234567890.123456789,'
        b' "count": 3, "rate": 1e-7}'
    )
    script = Script(
        default=httpx.Response(201, content=body, headers={"Content-Type": "application/json"})
    )
    with make(script, sleeps) as client:
        answer = client.create_reminder(
            {
                "amount": Decimal("5000.00"),
                "tiny": Decimal("0.000001"),
                "huge": Decimal("12345678901234567890.123456789"),
                "scheduledFor": datetime(2024, 1, 15, 10, 0, tzinfo=UTC),
                "naive": datetime(2024, 1, 15, 10, 0, 0, 123000),
                "dueDate": datetime(2024, 1, 10).date(),
            }
        )
    sent = script.requests[0].content
    assert b'"amount":5000.00' in sent
    assert b'"tiny":0.000001' in sent
    assert b'"huge":12345678901234567890.123456789' in sent
    assert b'"scheduledFor":"2024-01-15T10:00:00Z"' in sent
    assert b'"naive":"2024-01-15T10:00:00.123000Z"' in sent
    assert b'"dueDate":"2024-01-10"' in sent
    parsed = json.loads(sent, parse_float=Decimal)
    assert parsed["amount"] == Decimal("5000.00") and str(parsed["amount"]) == "5000.00"
    assert answer["amount"] == Decimal("5000.00") and str(answer["amount"]) == "5000.00"
    assert str(answer["fee"]) == "0.10"
    assert answer["big"] == Decimal("12345678901234567890.123456789")
    assert answer["count"] == 3 and isinstance(answer["count"], int)
    assert answer["rate"] == Decimal("1E-7")
    assert not any(isinstance(v, float) for v in answer.values())


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), float("nan"), object()])
def test_unserialisable_body_fails_before_sending(sleeps: Sleeps, bad: object) -> None:
    script = Script()
    with make(script, sleeps) as client, pytest.raises((ValueError, TypeError)):
        client.create_reminder({"amount": bad})
    assert script.requests == []
    assert state_of(client.circuit_breaker) is CircuitState.CLOSED


# retries and idempotency ---------------------------------------------------------------------


def test_idempotency_key_and_request_id_reused_across_retries(sleeps: Sleeps) -> None:
    script = Script(
        httpx.ConnectError("refused"),
        problem(503),
        httpx.ReadTimeout("slow"),
        httpx.Response(201, json={"id": "task-1"}),
    )
    with make(script, sleeps) as client:
        assert client.create_scheduled_task({"type": "REMINDER"}) == {"id": "task-1"}
    assert len(script.requests) == 4
    assert len({r.headers["idempotency-key"] for r in script.requests}) == 1
    assert len({r.headers["x-request-id"] for r in script.requests}) == 1
    assert len({r.content for r in script.requests}) == 1
    assert sleeps.calls == [1.0, 2.0, 4.0]  # rand=1.0: the full exponential ceiling


def test_caller_supplied_idempotency_key(sleeps: Sleeps) -> None:
    script = Script(problem(502), httpx.Response(201, json={"id": "rem-1"}))
    with make(script, sleeps) as client:
        client.create_reminder({"x": 1}, idempotency_key="reminder:task-1")
        client.create_reminder({"x": 1}, idempotency_key="reminder:task-1")
    assert [r.headers["idempotency-key"] for r in script.requests] == ["reminder:task-1"] * 3


@pytest.mark.parametrize("key", ["", "x" * 256, "line\nbreak", "k\u00e9y"])
def test_bad_idempotency_key_rejected_before_sending(sleeps: Sleeps, key: str) -> None:
    script = Script()
    with make(script, sleeps) as client, pytest.raises(ValueError, match="idempotency_key"):
        client.create_reminder({"x": 1}, idempotency_key=key)
    assert script.requests == []


def test_separate_logical_calls_get_fresh_keys(sleeps: Sleeps) -> None:
    script = Script(default=httpx.Response(201, json={"id": "n"}))
    with make(script, sleeps) as client:
        client.create_notification({"a": 1})
        client.create_notification({"a": 1})
    keys = [r.headers["idempotency-key"] for r in script.requests]
    assert keys[0] != keys[1]


def test_retry_after_honoured(sleeps: Sleeps) -> None:
    script = Script(
        problem(429, headers={"Retry-After": "3"}),
        problem(503, headers={"Retry-After": "7200"}),
        httpx.Response(200, json={"tasks": [{"id": "t"}]}),
    )
    with make(script, sleeps) as client:
        assert client.get_scheduled_tasks() == [{"id": "t"}]
    assert sleeps.calls == [3.0, 60.0]  # Retry-After, capped at 60 s


def test_retries_exhausted_raises_last_error(sleeps: Sleeps) -> None:
    script = Script(default=problem(503, detail="database down"))
    with make(script, sleeps, max_retries=2) as client, pytest.raises(ServerError) as info:
        client.get_task("task-1")
    assert len(script.requests) == 3
    assert info.value.status_code == 503
    assert info.value.request_id == script.requests[0].headers["x-request-id"]
    assert "database down" in str(info.value)


def test_in_flight_409_retried_other_409_not(sleeps: Sleeps) -> None:
    script = Script(
        problem(409, IN_FLIGHT),
        httpx.Response(201, json={"id": "task-1"}),
        problem(409, "https://payrec.dev/problems/illegal-transition", detail="COMPLETED->PENDING"),
    )
    with make(script, sleeps) as client:
        client.create_scheduled_task({"type": "REMINDER"})
        with pytest.raises(ConflictError) as info:
            client.update_task_status("task-1", "PENDING")
    assert len(script.requests) == 3
    assert not info.value.is_idempotency_in_flight
    assert info.value.problem_type == "https://payrec.dev/problems/illegal-transition"
    assert info.value.code == "illegal-transition"


def test_in_flight_409_waits_its_retry_after(sleeps: Sleeps) -> None:
    script = Script(
        problem(409, IN_FLIGHT, headers={"Retry-After": "1"}),
        problem(409, "about:blank", code="idempotency-in-flight"),
        httpx.Response(201, json={"id": "task-1"}),
    )
    with make(script, sleeps) as client:
        client.create_scheduled_task({"type": "REMINDER"})
    assert sleeps.calls == [1.0, 2.0]  # Retry-After, then backoff (rand=1.0, attempt 1)
    assert len({r.headers["idempotency-key"] for r in script.requests}) == 1


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, PayloadTooLargeError),
        (422, UnprocessableEntityError),
    ],
)
def test_4xx_raised_at_once(sleeps: Sleeps, status: int, cls: type[Exception]) -> None:
    script = Script(
        problem(status, errors=[{"field": "type", "message": "required"}]),
        default=httpx.Response(200, json={}),
    )
    with make(script, sleeps) as client, pytest.raises(cls) as info:
        client.create_scheduled_task({})
    assert len(script.requests) == 1
    assert sleeps.calls == []
    error = info.value
    assert isinstance(error, cls)
    assert error.status_code == status  # type: ignore[attr-defined]
    assert error.errors == [{"field": "type", "message": "required"}]  # type: ignore[attr-defined]
    assert client.circuit_breaker.failures == 0


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (problem(429), RateLimitError),
        (problem(500), ServerError),
        (httpx.Response(502, text="<html>Bad gateway</html>"), ServerError),
        (httpx.ConnectError("refused"), ApiConnectionError),
        (httpx.RemoteProtocolError("Server disconnected"), ApiConnectionError),
        (httpx.ConnectTimeout("connect"), ApiTimeoutError),
        (httpx.ReadTimeout("read"), ApiTimeoutError),
    ],
)
def test_transient_errors_mapped_after_retries(
    sleeps: Sleeps, reply: object, cls: type[ApiError]
) -> None:
    script = Script(default=reply)  # type: ignore[arg-type]
    with make(script, sleeps, max_retries=1) as client, pytest.raises(cls) as info:
        client.get_pending_documents()
    assert len(script.requests) == 2
    assert info.value.request_id == script.requests[0].headers["x-request-id"]


def test_server_request_id_preferred_in_errors(sleeps: Sleeps) -> None:
    script = Script(
        httpx.Response(404, json={"title": "Not Found"}, headers={"X-Request-ID": "srv-42"})
    )
    with make(script, sleeps) as client, pytest.raises(NotFoundError) as info:
        client.get_reminder("rem-x")
    assert info.value.request_id == "srv-42"
    assert "srv-42" in str(info.value)


def test_invalid_json_on_success_is_an_api_error(sleeps: Sleeps) -> None:
    script = Script(httpx.Response(200, content=b"{not json"))
    with make(script, sleeps) as client, pytest.raises(ApiError, match="invalid JSON"):
        client.get_task("task-1")
    assert len(script.requests) == 1


def test_empty_body_gives_empty_results(sleeps: Sleeps) -> None:
    script = Script(httpx.Response(204), httpx.Response(200, json={"total": 0}))
    with make(script, sleeps) as client:
        assert client.update_recovery_case("case-1", {}) == {}
        assert client.get_pending_recovery_cases() == []


# circuit breaker ----------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_counts_logical_calls_and_rejects_without_network(sleeps: Sleeps) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=5.0, clock=clock)
    script = Script(default=httpx.ConnectError("refused"))
    with make(script, sleeps, max_retries=2, circuit_breaker=breaker) as client:
        for _ in range(2):
            with pytest.raises(ApiConnectionError):
                client.get_task("t")
        assert len(script.requests) == 6  # 2 logical calls x 3 attempts
        assert state_of(breaker) is CircuitState.OPEN
        with pytest.raises(CircuitOpenError) as info:
            client.create_scheduled_task({"type": "REMINDER"})
        assert info.value.request_id
        assert len(script.requests) == 6
        clock.now = 5.0
        script.default = httpx.Response(200, json={"id": "t"})
        assert client.get_task("t") == {"id": "t"}  # the half-open trial
        assert state_of(breaker) is CircuitState.CLOSED


def test_4xx_does_not_trip_breaker(sleeps: Sleeps) -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=5.0)
    script = Script(default=problem(404))
    with make(script, sleeps, circuit_breaker=breaker) as client:
        for _ in range(3):
            with pytest.raises(NotFoundError):
                client.get_task("t")
    assert state_of(breaker) is CircuitState.CLOSED


def test_breaker_shared_between_clients(sleeps: Sleeps) -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=60.0)
    failing = Script(default=problem(500))
    healthy = Script(default=httpx.Response(200, json={}))
    with (
        make(failing, sleeps, max_retries=0, circuit_breaker=breaker) as a,
        make(healthy, sleeps, circuit_breaker=breaker) as b,
    ):
        with pytest.raises(ServerError):
            a.get_task("t")
        with pytest.raises(CircuitOpenError):
            b.get_task("t")
    assert healthy.requests == []


# configuration ------------------------------------------------------------------------------


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYREC_API_BASE_URL", "http://backend:9000")
    monkeypatch.setenv("PAYREC_API_KEY", API_KEY)
    monkeypatch.setenv("MAX_RETRIES", "5")
    monkeypatch.setenv("RETRY_DELAY", "0.25")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setattr(logging.getLogger("payrec.client"), "level", logging.NOTSET)
    with AutomationApiClient.from_env() as client:
        assert client.base_url == "http://backend:9000/api/v1/automation"
        assert client.max_retries == 5
        assert client.retry_delay == 0.25
        assert API_KEY not in repr(client)
    assert logging.getLogger("payrec.client").level == logging.DEBUG


def test_from_env_aliases_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_API_KEY", "java-key")
    with AutomationApiClient.from_env() as client:
        assert client.base_url == "http://localhost:8080/api/v1/automation"
        assert client.max_retries == 3
        assert client.retry_delay == 1.0
    monkeypatch.setenv("JAVA_API_BASE_URL", "http://java:1")
    monkeypatch.setenv("PAYREC_API_BASE_URL", "http://payrec:2/api/v1/automation")
    with AutomationApiClient.from_env() as client:
        assert client.base_url == "http://payrec:2/api/v1/automation"  # PAYREC_* wins


def test_from_env_without_key_fails() -> None:
    with pytest.raises(ValueError, match="PAYREC_API_KEY"):
        AutomationApiClient.from_env()


@pytest.mark.parametrize(
    ("name", "value"), [("MAX_RETRIES", "three"), ("MAX_RETRIES", "-1"), ("RETRY_DELAY", "soon")]
)
def test_from_env_rejects_bad_numbers(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv("PAYREC_API_KEY", API_KEY)
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        AutomationApiClient.from_env()


def test_none_means_environment_not_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    with AutomationApiClient("http://x", API_KEY) as client:
        assert (client.max_retries, client.retry_delay) == (3, 1.0)
    monkeypatch.setenv("MAX_RETRIES", "7")
    monkeypatch.setenv("RETRY_DELAY", "2.5")
    with AutomationApiClient("http://x", API_KEY, max_retries=None, retry_delay=None) as client:
        assert (client.max_retries, client.retry_delay) == (7, 2.5)
    with AutomationApiClient("http://x", API_KEY, max_retries=0, retry_delay=0.0) as client:
        assert (client.max_retries, client.retry_delay) == (0, 0.0)


# secrets ------------------------------------------------------------------------------------


def test_api_key_never_logged_nor_in_errors(
    sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    echo = problem(401, detail=f"token {API_KEY} is revoked")
    script = Script(
        httpx.ConnectError(f"failed talking with Bearer {API_KEY}"),
        problem(503),
        echo,
    )
    caplog.set_level(logging.DEBUG)
    with make(script, sleeps) as client, pytest.raises(AuthenticationError) as info:
        client.create_scheduled_task({"type": "REMINDER"})
    assert len(script.requests) == 3
    assert API_KEY not in str(info.value)
    assert API_KEY not in repr(info.value)
    assert API_KEY not in info.value.message
    assert caplog.records, "the calls were logged"
    for fragment in (API_KEY, API_KEY[:12], API_KEY[-12:]):
        assert fragment not in caplog.text
        assert all(fragment not in str(r.args) for r in caplog.records)
    assert any(r.levelno == logging.WARNING and "retry" in r.getMessage() for r in caplog.records)
    logged = [r for r in caplog.records if r.name == "payrec.client"]
    assert any("/tasks" in r.getMessage() and "ms" in r.getMessage() for r in logged)
