"""AutomationApiClient against the real backend process (the ``backend`` fixture of
tests/conftest.py), with the fault-injecting proxy in between where faults are needed."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from payrec.client import (
    AsyncAutomationApiClient,
    AuthenticationError,
    AutomationApiClient,
    CasePage,
    CircuitBreaker,
    ConflictError,
    NotFoundError,
    Policy,
    RecoveryCase,
    RenderedMessage,
    UnprocessableEntityError,
)
from tests.support.fault_proxy import FaultProxy, ForwardThenDrop

FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
NOT_DUE = datetime(2099, 1, 1, tzinfo=UTC)  # workers of other tests never claim these


@pytest.fixture
def proxy(backend: Any) -> Iterator[FaultProxy]:
    with FaultProxy(backend.base_url) as fault_proxy:
        yield fault_proxy


@pytest.fixture
def client(backend: Any) -> Iterator[AutomationApiClient]:
    with AutomationApiClient(
        backend.base_url, backend.automation_key, max_retries=3, retry_delay=0.01
    ) as api:
        yield api


def proxied_client(backend: Any, proxy: FaultProxy, **kwargs: Any) -> AutomationApiClient:
    options: dict[str, Any] = {"max_retries": 3, "retry_delay": 0.01}
    options.update(kwargs)
    return AutomationApiClient(proxy.url, backend.automation_key, **options)


def new_case(backend: Any, *, amount: str = "5000.00") -> str:
    """A fresh customer and recovery case through the management API."""
    suffix = uuid.uuid4().hex[:10]
    customer = backend.admin(
        "POST",
        "/customers",
        json={
            "name": f"Acme {suffix}",
            "email": f"billing-{suffix}@acme.example",
            "phone": "030 1234567",
            "timezone": "Europe/Berlin",
            "locale": "de_DE",
        },
    )
    assert customer.status_code == 201, customer.text
    case = backend.admin(
        "POST",
        "/recovery-cases",
        json={
            "customerId": customer.json()["id"],
            "invoiceNumber": f"INV-{suffix}",
            "amount": amount,
            "currency": "USD",
            "dueDate": "2024-01-10",
            "priority": "HIGH",
        },
    )
    assert case.status_code == 201, case.text
    return str(case.json()["id"])


def task_payload(case_id: str, scheduled_at: datetime | None = None) -> dict[str, Any]:
    return {
        "type": "REMINDER",
        "scheduledAt": scheduled_at or NOT_DUE,
        "recoveryCaseId": case_id,
        "metadata": {"reminderType": "EMAIL", "templateId": "reminder-1"},
    }


def tasks_of_case(client: AutomationApiClient, case_id: str) -> list[dict[str, Any]]:
    """Every PENDING task of ``case_id``, paging through GET /tasks/scheduled."""
    found: list[dict[str, Any]] = []
    page = 0
    while True:
        batch = client.get_scheduled_tasks(due_before=FAR_FUTURE, page=page, size=500)
        found.extend(t for t in batch if t.get("recoveryCaseId") == case_id)
        if len(batch) < 500:
            return found
        page += 1


# (a)-(d): the fault scenarios -----------------------------------------------------------------


def test_two_503_then_success(backend: Any, proxy: FaultProxy) -> None:
    case_id = new_case(backend)
    proxy.fail_next(2, status=503, path="/recovery-cases/")
    with proxied_client(backend, proxy) as client:
        case = client.get_recovery_case(case_id)
    assert case["id"] == case_id
    seen = proxy.requests
    assert [(r.action, r.upstream_status) for r in seen] == [
        ("respond", None),
        ("respond", None),
        ("forward", 200),
    ]
    assert len({r.headers["x-request-id"] for r in seen}) == 1


def test_429_retry_after_is_honoured(backend: Any, proxy: FaultProxy) -> None:
    proxy.rate_limit_next("1", path="/recovery-cases/pending")
    with proxied_client(backend, proxy, retry_delay=0.0) as client:
        started = time.monotonic()
        client.get_pending_recovery_cases(limit=1)
        elapsed = time.monotonic() - started
    assert elapsed >= 1.0
    assert proxy.count() == 2


def test_lost_response_retried_with_same_key_creates_one_task(
    backend: Any, proxy: FaultProxy, client: AutomationApiClient
) -> None:
    case_id = new_case(backend)
    proxy.enqueue(ForwardThenDrop(), method="POST", path="/tasks")
    with proxied_client(backend, proxy) as via_proxy:
        task = via_proxy.create_scheduled_task(task_payload(case_id))
    posts = [r for r in proxy.requests if r.method == "POST"]
    assert [(r.action, r.upstream_status) for r in posts] == [
        ("forward-then-drop", 201),  # the backend created the task; the answer was lost
        ("forward", 201),  # the retry got the first answer replayed
    ]
    assert posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]
    tasks = tasks_of_case(client, case_id)
    assert [t["id"] for t in tasks] == [task["id"]]


def test_422_raised_at_once(backend: Any, proxy: FaultProxy) -> None:
    case_id = new_case(backend)
    with proxied_client(backend, proxy) as client, pytest.raises(UnprocessableEntityError) as info:
        client.create_scheduled_task({"type": "REMINDER", "recoveryCaseId": case_id})
    assert proxy.count() == 1
    assert info.value.status_code == 422
    assert info.value.request_id
    assert info.value.errors  # field-level reasons


def test_illegal_transition_409_not_retried(backend: Any, proxy: FaultProxy) -> None:
    case_id = new_case(backend)
    with proxied_client(backend, proxy) as client:
        task = client.create_scheduled_task(task_payload(case_id))
        client.update_task_status(task["id"], "COMPLETED", {"sentAt": datetime.now(UTC)})
        proxy.reset()
        with pytest.raises(ConflictError) as info:
            client.update_task_status(task["id"], "IN_PROGRESS")
    assert proxy.count() == 1
    assert not info.value.is_idempotency_in_flight


# the guide's endpoints round trip --------------------------------------------------------------


def test_guide_flow_round_trip(backend: Any, client: AutomationApiClient) -> None:
    case_id = new_case(backend, amount="1234.56")
    case = client.get_recovery_case(case_id)
    assert case["amount"] == Decimal("1234.56") and str(case["amount"]) == "1234.56"
    assert case["customer"]["email"].endswith("@acme.example")

    pending = client.get_pending_recovery_cases(priority="HIGH", limit=1000)
    assert all(c["priority"] == "HIGH" for c in pending)

    task = client.create_scheduled_task(task_payload(case_id))
    assert task["status"] == "PENDING" and task["id"].startswith("task-")
    assert client.get_task(task["id"])["id"] == task["id"]
    assert [t["id"] for t in tasks_of_case(client, case_id)] == [task["id"]]

    reminder = client.create_reminder(
        {
            "recoveryCaseId": case_id,
            "type": "EMAIL",
            "templateId": "reminder-1",
            "scheduledFor": datetime.now(UTC),
            "recipient": case["customer"]["email"],
            "metadata": {
                "subject": "Payment Reminder",
                "personalization": {
                    "customerName": case["customer"]["name"],
                    "amount": case["amount"],
                    "dueDate": case["dueDate"],
                },
            },
        }
    )
    sent = {
        "sentAt": datetime.now(UTC),
        "channel": "EMAIL",
        "externalId": "email-msg-123",
        "status": "SENT",
    }
    client.record_reminder_sent(reminder["id"], sent)
    client.record_reminder_sent(reminder["id"], sent)  # marking sent twice is a no-op
    assert client.get_reminder(reminder["id"])["status"] == "SENT"

    client.update_task_status(task["id"], "COMPLETED", {"sentAt": datetime.now(UTC)})
    assert client.get_task(task["id"])["status"] == "COMPLETED"

    updated = client.update_recovery_case(
        case_id, {"lastReminderSentAt": datetime.now(UTC), "notes": "Reminder sent via email"}
    )
    assert updated["id"] == case_id

    notification = client.create_notification(
        {
            "recoveryCaseId": case_id,
            "type": "EMAIL",
            "recipient": case["customer"]["email"],
            "subject": "Payment Reminder",
            "body": "Your payment of $1234.56 is overdue...",
            "priority": "HIGH",
            "scheduledFor": NOT_DUE,
        }
    )
    client.update_notification_status(
        notification["id"], "SENT", sent_at=datetime.now(UTC), external_id="email-msg-123"
    )
    assert client.get_notification(notification["id"])["status"] == "SENT"


def test_same_idempotency_key_replays(backend: Any, client: AutomationApiClient) -> None:
    case_id = new_case(backend)
    payload = task_payload(case_id, datetime(2024, 1, 15, 10, 0, tzinfo=UTC))
    first = client.create_scheduled_task(payload, idempotency_key=f"test:{case_id}")
    second = client.create_scheduled_task(payload, idempotency_key=f"test:{case_id}")
    assert first == second
    with pytest.raises(UnprocessableEntityError):  # same key, another body
        client.create_scheduled_task(
            {**payload, "metadata": {"other": True}}, idempotency_key=f"test:{case_id}"
        )
    assert len(tasks_of_case(client, case_id)) == 1


def test_errors_map_to_classes(backend: Any) -> None:
    breaker = CircuitBreaker(failure_threshold=1)
    with (
        AutomationApiClient(
            backend.base_url, backend.automation_key, max_retries=0, circuit_breaker=breaker
        ) as client,
        pytest.raises(NotFoundError) as info,
    ):
        client.get_task("task-does-not-exist")
    assert info.value.request_id
    with (
        AutomationApiClient(
            backend.base_url, "prk_not_a_real_key", max_retries=0, circuit_breaker=breaker
        ) as intruder,
        pytest.raises(AuthenticationError) as denied,
    ):
        intruder.get_scheduled_tasks()
    assert "prk_not_a_real_key" not in str(denied.value)
    assert breaker.failures == 0  # 4xx never trip the breaker


def test_scheduler_reads_are_typed_client_calls(backend: Any, client: AutomationApiClient) -> None:
    """The pending-cases page (include, cursor), the policy and the render call the workers
    make are named client methods answering the documented shapes."""
    case_id = new_case(backend)
    seen: list[RecoveryCase] = []
    cursor: str | None = None
    while True:
        page = client.get_pending_recovery_cases_page(limit=1, include=["schedule"], cursor=cursor)
        assert len(page["cases"]) <= 1
        seen.extend(page["cases"])
        cursor = page.get("nextCursor")
        if not cursor:
            break
    ours = [case for case in seen if case["id"] == case_id]
    assert len(ours) == 1, "walking the cursors reaches every open case once"
    assert ours[0]["amount"] == Decimal("5000.00")
    schedule = ours[0].get("schedule")
    assert schedule is not None and schedule["stepKeys"] == []

    policy = client.get_policy("policy-default")
    assert policy["id"] == "policy-default" and policy["steps"]
    with pytest.raises(NotFoundError):
        client.get_policy("policy-that-does-not-exist")

    rendered = client.render_for_case(case_id, "reminder-1", "EMAIL")
    assert rendered["caseId"] == case_id and rendered["channel"] == "EMAIL"
    assert rendered["subject"] and rendered["text"].strip()


def test_async_twin_makes_the_same_typed_reads(backend: Any) -> None:
    case_id = new_case(backend)

    async def run() -> tuple[CasePage, Policy, RenderedMessage]:
        async with AsyncAutomationApiClient(
            backend.base_url, backend.automation_key, max_retries=3, retry_delay=0.01
        ) as api:
            page = await api.get_pending_recovery_cases_page(limit=1000, include=["schedule"])
            policy = await api.get_policy("policy-default")
            rendered = await api.render_for_case(case_id, "reminder-1", "EMAIL")
            return page, policy, rendered

    page, policy, rendered = asyncio.run(run())
    assert case_id in {case["id"] for case in page["cases"]}
    assert policy["id"] == "policy-default"
    assert rendered["caseId"] == case_id and rendered["channel"] == "EMAIL" and rendered["text"]
