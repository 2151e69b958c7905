"""`POST /tasks/claim` with `include: ["reminder"]`: each claimed reminder task comes with the
reminder `POST /reminders` would record for it (once per task), rendered, in the claim's
transaction; where that call would refuse, the task comes without one.

Each test starts its own backend: claims take every due `REMINDER` task, and the shared
backend holds other tests' tasks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.backend import LiveBackend

PAST = "2024-01-15T10:00:00Z"
INCLUDE = ["recoveryCase", "reminder"]


@pytest.fixture(params=["sqlite", "postgres"])
def own_backend(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> LiveBackend:
    return backend_factory(request.param)


def _task(backend: LiveBackend, case_id: str, task_type: str = "REMINDER", **meta: Any) -> str:
    body = {
        "type": task_type,
        "scheduledAt": PAST,
        "recoveryCaseId": case_id,
        "metadata": {"reminderType": "EMAIL", "templateId": "reminder-1", **meta},
    }
    response = backend.auto("POST", "/tasks", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _claim(backend: LiveBackend, **extra: Any) -> dict[str, dict[str, Any]]:
    body = {"workerId": "w-rem", "types": ["REMINDER", "CALL"], "limit": 20, **extra}
    response = backend.auto("POST", "/tasks/claim", json=body)
    assert response.status_code == 200, response.text
    return {task["id"]: task for task in response.json()["tasks"]}


def _release(backend: LiveBackend, task: dict[str, Any]) -> None:
    response = backend.auto(
        "PUT",
        f"/tasks/{task['id']}/status",
        json={"status": "PENDING", "leaseToken": task["leaseToken"], "retryAt": PAST},
    )
    assert response.status_code == 200, response.text


def _created_count(backend: LiveBackend, case_id: str) -> int:
    response = backend.admin(
        "GET", "/audit-events", params={"recoveryCaseId": case_id, "limit": 100}
    )
    assert response.status_code == 200, response.text
    return Counter(e["action"] for e in response.json()["events"])["reminder.created"]


def test_claim_records_each_reminder_once_as_post_reminders_would(
    own_backend: LiveBackend,
) -> None:
    backend = own_backend
    case = backend.new_case(amount="321.09", currency="EUR")
    task_id = _task(backend, case["id"])
    claimed = _claim(backend, include=INCLUDE)[task_id]
    reminder = claimed["reminder"]
    assert reminder["taskId"] == task_id and reminder["status"] == "SCHEDULED"
    assert reminder["recoveryCaseId"] == case["id"] and reminder["type"] == "EMAIL"
    assert (
        reminder["recipient"]
        == backend.auto("GET", f"/recovery-cases/{case['id']}").json()["customer"]["email"]
    )
    rendered = backend.auto(
        "POST",
        f"/recovery-cases/{case['id']}/render",
        json={"templateId": "reminder-1", "channel": "EMAIL"},
    ).json()
    assert reminder["content"] == rendered
    assert reminder["metadata"]["subject"] == rendered["subject"]
    stored = backend.auto("GET", f"/reminders/{reminder['id']}").json()
    assert {k: v for k, v in stored.items() if k not in ("content", "task")} == {
        k: v for k, v in reminder.items() if k != "content"
    }
    # the worker's own POST /reminders for the task finds the same record
    again = backend.auto(
        "POST",
        "/reminders",
        json={"recoveryCaseId": case["id"], "type": "EMAIL", "taskId": task_id},
    )
    assert again.status_code == 200 and again.json()["id"] == reminder["id"]

    # released and claimed again: the same reminder, not a second one
    _release(backend, claimed)
    reclaimed = _claim(backend, include=INCLUDE)[task_id]
    assert reclaimed["reminder"]["id"] == reminder["id"]
    assert reclaimed["reminder"]["content"] == rendered
    assert _created_count(backend, case["id"]) == 1

    # marked SENT (without completing the task), then the task comes back: SENT, nothing to send
    sent = backend.auto("PUT", f"/reminders/{reminder['id']}/sent", json={"status": "SENT"})
    assert sent.status_code == 200, sent.text
    _release(backend, reclaimed)
    after_crash = _claim(backend, include=INCLUDE)[task_id]["reminder"]
    assert after_crash["status"] == "SENT" and after_crash["content"] is None


def test_claim_brings_no_reminder_where_post_reminders_would_refuse(
    own_backend: LiveBackend,
) -> None:
    backend = own_backend
    opted_out = backend.new_customer()
    patched = backend.admin("PATCH", f"/customers/{opted_out['id']}", json={"optOutEmail": True})
    assert patched.status_code == 200, patched.text
    quiet_case = backend.new_case(customer_id=opted_out["id"])
    refused = _task(backend, quiet_case["id"])
    no_template = _task(backend, backend.new_case()["id"], templateId="no-such-template")
    paused_case = backend.new_case()
    paused = _task(backend, paused_case["id"])
    moved = backend.auto("PUT", f"/recovery-cases/{paused_case['id']}", json={"status": "PAUSED"})
    assert moved.status_code == 200, moved.text
    call = _task(backend, backend.new_case()["id"], task_type="CALL")
    fine = _task(backend, backend.new_case()["id"])

    claimed = _claim(backend, include=INCLUDE)
    assert set(claimed) >= {refused, no_template, call, fine}
    for task_id in (refused, no_template, call):
        assert claimed[task_id].get("reminder") is None, task_id
    assert paused not in claimed or claimed[paused].get("reminder") is None
    assert claimed[fine]["reminder"]["status"] == "SCHEDULED"
    assert _created_count(backend, quiet_case["id"]) == 0
    # the worker's own call for the refused task answers why
    why = backend.auto(
        "POST",
        "/reminders",
        json={
            "recoveryCaseId": quiet_case["id"],
            "type": "EMAIL",
            "templateId": "reminder-1",
            "taskId": refused,
            "render": True,
        },
    )
    assert why.status_code == 409 and why.json()["type"].endswith("/customer-opted-out")
    # without the include, nothing is recorded at claim time
    other = backend.new_case()
    plain = _task(backend, other["id"])
    assert _claim(backend)[plain].get("reminder") is None
    assert _created_count(backend, other["id"]) == 0


def test_claim_include_refuses_unknown_values(own_backend: LiveBackend) -> None:
    for include in (["customer"], ["reminder", "reminder", "reminder"], "reminder"):
        response = own_backend.auto(
            "POST", "/tasks/claim", json={"workerId": "w", "include": include}
        )
        assert response.status_code == 422, (include, response.text)
        assert response.headers["content-type"] == "application/problem+json"
