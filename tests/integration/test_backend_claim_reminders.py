"""`POST /tasks/claim` with `include: ["reminder"]`: each claimed reminder task comes with the
reminder `POST /reminders` would record for it (once per task), rendered, in the claim's
transaction; where that call would refuse, the task comes without one.

The module has backends of its own (`module_backend`, `module_pg_backend`): claims take every
due `REMINDER` task, and the shared backend holds other tests' tasks. Each test here looks up
the tasks it created by id in claims whose limit holds the few its predecessors left leased.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.support.backend import LiveBackend

PAST = "2024-01-15T10:00:00Z"
INCLUDE = ["recoveryCase", "reminder"]


def _task(backend: LiveBackend, case_id: str, task_type: str = "REMINDER", **meta: Any) -> str:
    return str(backend.new_reminder_task(case_id, task_type, **meta)["id"])


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
    module_backend: LiveBackend,
) -> None:
    backend = module_backend
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
    assert stored["content"] is None  # the automation shape as the guide has it

    def kept() -> Any:  # the management API's case detail: what the reminder row stored
        detail = backend.admin("GET", f"/recovery-cases/{case['id']}")
        assert detail.status_code == 200, detail.text
        return next(r["content"] for r in detail.json()["reminders"] if r["id"] == reminder["id"])

    received = {
        "subject": rendered["subject"],
        "body": rendered["text"],
        "language": rendered["language"],
    }
    assert kept() == received
    # the claim adds what only the sender needs (the rendered content, the thread, the
    # invoice to attach); the rest is the stored reminder
    claim_only = ("content", "threadReminderIds", "attachment")
    assert {k: v for k, v in stored.items() if k not in ("content", "task")} == {
        k: v for k, v in reminder.items() if k not in claim_only
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
    assert kept() == received  # stored once: what the customer received, never re-rendered


def test_claim_brings_no_reminder_where_post_reminders_would_refuse(
    module_backend: LiveBackend,
) -> None:
    backend = module_backend
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


def test_claim_include_refuses_unknown_values(backend: LiveBackend) -> None:
    for include in (["customer"], ["reminder", "reminder", "reminder"], "reminder"):
        response = backend.auto("POST", "/tasks/claim", json={"workerId": "w", "include": include})
        assert response.status_code == 422, (include, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_payments_racing_sent_marks_never_fail(
    module_pg_backend: LiveBackend,
) -> None:
    """A payment that settles a case while its reminder is being marked sent: both lock the
    case first, so neither waits on the other in a deadlock (which PostgreSQL would break
    after a second by failing one of them). The mark either lands (and the case is then
    settled) or finds the reminder cancelled by the payment (409)."""
    backend = module_pg_backend
    cases = [backend.new_case(amount="100.00") for _ in range(30)]
    for case in cases:
        _task(backend, case["id"])
    claimed = _claim(backend, include=INCLUDE, limit=50)
    by_case = {task["recoveryCaseId"]: task for task in claimed.values()}

    def mark(case: dict[str, Any], start: threading.Barrier) -> int:
        task = by_case[case["id"]]
        completion = {"id": task["id"], "leaseToken": task["leaseToken"]}
        start.wait()
        return backend.auto(
            "PUT",
            f"/reminders/{task['reminder']['id']}/sent",
            json={"status": "SENT", "caseNote": "sent", "completeTask": completion},
        ).status_code

    def pay(case: dict[str, Any], start: threading.Barrier) -> int:
        start.wait()
        return backend.admin(
            "POST",
            f"/recovery-cases/{case['id']}/payments",
            json={"amount": "100.00", "currency": case["currency"]},
        ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        races = []
        for case in cases:
            start = threading.Barrier(2)
            races.append((pool.submit(mark, case, start), pool.submit(pay, case, start)))
        outcomes = Counter((m.result(), p.result()) for m, p in races)
    assert set(outcomes) <= {(200, 201), (409, 201)}, outcomes
    for case in cases:
        detail = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
        assert detail["status"] == "RESOLVED"


def test_payments_racing_claims_that_record_reminders_never_fail(
    module_pg_backend: LiveBackend,
) -> None:
    """A claim holds its tasks' locks while it records their reminders (each referencing its
    case); a payment holds its case's lock while it cancels the case's tasks. The claim must
    not wait on the case's lock then, or the two deadlock."""
    backend = module_pg_backend
    cases = [backend.new_case(amount="100.00") for _ in range(40)]
    for case in cases:
        _task(backend, case["id"])
    start = threading.Barrier(3)

    def claims() -> list[int]:
        start.wait()
        return [
            backend.auto(
                "POST",
                "/tasks/claim",
                json={"workerId": "w", "types": ["REMINDER"], "limit": 4, "include": INCLUDE},
            ).status_code
            for _ in range(12)
        ]

    def pay(case: dict[str, Any]) -> int:
        return backend.admin(
            "POST",
            f"/recovery-cases/{case['id']}/payments",
            json={"amount": "100.00", "currency": case["currency"]},
        ).status_code

    def payments(share: list[dict[str, Any]]) -> list[int]:
        start.wait()
        return [pay(case) for case in share]

    with ThreadPoolExecutor(max_workers=3) as pool:
        claimed = pool.submit(claims)
        paid = [pool.submit(payments, cases[::2]), pool.submit(payments, cases[1::2])]
        assert set(claimed.result()) == {200}
        assert {status for f in paid for status in f.result()} == {201}


def test_a_template_failing_for_one_case_does_not_stop_the_claim(
    module_backend: LiveBackend,
) -> None:
    """A stored template that renders for most cases but fails for one (its data, not its
    syntax): that task comes without a reminder, every other task of the claim with its own."""
    backend = module_backend
    body = {
        "channel": "EMAIL",
        "subject": "Invoice {{ invoiceNumber }}",
        "bodyText": "{% if invoiceNumber == 'POISON' %}{{ 1 // 0 }}{% endif %}"
        "Hello {{ customerName }}, pay {{ amount }}: {{ paymentLink }}",
    }
    saved = backend.admin("PUT", "/templates/fragile-1/en", json=body)
    assert saved.status_code in (200, 201), saved.text
    poisoned = _task(
        backend, backend.new_case(invoiceNumber="POISON")["id"], templateId="fragile-1"
    )
    fine = [_task(backend, backend.new_case()["id"], templateId="fragile-1") for _ in range(3)]
    claimed = _claim(backend, include=INCLUDE)
    assert claimed[poisoned].get("reminder") is None
    for task_id in fine:
        assert claimed[task_id]["reminder"]["content"]["text"].startswith("Hello")
    # the worker's own call for it answers the reason, field by field
    why = backend.auto(
        "POST",
        "/reminders",
        json={
            "recoveryCaseId": claimed[poisoned]["recoveryCaseId"],
            "type": "EMAIL",
            "templateId": "fragile-1",
            "taskId": poisoned,
            "render": True,
        },
    )
    assert why.status_code == 422, why.text
    assert why.headers["content-type"] == "application/problem+json"
