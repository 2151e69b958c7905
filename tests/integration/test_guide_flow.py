"""The guide's endpoints with the guide's own payloads, against the real backend."""

from __future__ import annotations

from decimal import Decimal

from tests.support.backend import LiveBackend


def test_guide_payloads_round_trip(backend: LiveBackend) -> None:
    case = backend.new_case(amount="5000.00", currency="USD", dueDate="2024-01-10", priority="HIGH")
    case_id = case["id"]
    assert case["status"] == "OVERDUE"

    pending = backend.auto(
        "GET",
        "/recovery-cases/pending",
        params={"status": "OVERDUE", "priority": "HIGH", "limit": 100},
    )
    assert pending.status_code == 200
    body = pending.json()
    found = [c for c in body["cases"] if c["id"] == case_id]
    assert found and found[0]["customer"]["email"] == "billing@acme.com"
    assert '"amount":5000.00' in pending.text  # exact JSON number with minor units
    assert body["total"] >= 1

    task = backend.auto(
        "POST",
        "/tasks",
        json={
            "type": "REMINDER",
            "scheduledAt": "2024-01-15T10:00:00Z",
            "recoveryCaseId": case_id,
            "metadata": {"reminderType": "EMAIL", "templateId": "reminder-1"},
        },
    )
    assert task.status_code == 201, task.text
    task_id = task.json()["id"]
    assert task_id.startswith("task-") and task.json()["status"] == "PENDING"

    scheduled = backend.auto("GET", "/tasks/scheduled", params={"size": 500})
    page = scheduled.json()
    assert {"tasks", "total", "page", "size"} <= page.keys()
    assert any(
        t["id"] == task_id and t["metadata"]["templateId"] == "reminder-1" for t in page["tasks"]
    )

    reminder = backend.auto(
        "POST",
        "/reminders",
        json={
            "recoveryCaseId": case_id,
            "type": "EMAIL",
            "templateId": "reminder-1",
            "scheduledFor": "2024-01-15T10:00:00Z",
            "recipient": "billing@acme.com",
            "metadata": {
                "subject": "Payment Reminder",
                "personalization": {
                    "customerName": "Acme Corp",
                    "amount": 5000.00,
                    "dueDate": "2024-01-10",
                },
            },
        },
    )
    assert reminder.status_code == 201, reminder.text
    reminder_id = reminder.json()["id"]
    sent = {
        "sentAt": "2024-01-15T10:00:05Z",
        "channel": "EMAIL",
        "externalId": "email-msg-123",
        "status": "SENT",
    }
    first = backend.auto("PUT", f"/reminders/{reminder_id}/sent", json=sent)
    again = backend.auto("PUT", f"/reminders/{reminder_id}/sent", json=sent)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again.json()["status"] == "SENT" and again.json()["sentAt"] == "2024-01-15T10:00:05Z"

    done = backend.auto(
        "PUT",
        f"/tasks/{task_id}/status",
        json={
            "status": "COMPLETED",
            "result": {"sentAt": "2024-01-15T10:00:05Z", "recipient": "billing@acme.com"},
        },
    )
    assert done.status_code == 200 and done.json()["status"] == "COMPLETED"
    assert done.json()["result"]["recipient"] == "billing@acme.com"

    updated = backend.auto(
        "PUT",
        f"/recovery-cases/{case_id}",
        json={
            "status": "IN_PROGRESS",
            "lastReminderSentAt": "2024-01-15T10:00:00Z",
            "notes": "Reminder sent via email",
        },
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "IN_PROGRESS"
    assert updated.json()["lastReminderSentAt"] == "2024-01-15T10:00:00Z"

    notification = backend.auto(
        "POST",
        "/notifications",
        json={
            "recoveryCaseId": case_id,
            "type": "EMAIL",
            "recipient": "billing@acme.com",
            "subject": "Payment Reminder",
            "body": "Your payment of $5000.00 is overdue...",
            "priority": "HIGH",
            "scheduledFor": "2024-01-15T10:00:00Z",
        },
    )
    assert notification.status_code == 201, notification.text
    ntf_id = notification.json()["id"]
    status = backend.auto(
        "PUT",
        f"/notifications/{ntf_id}/status",
        json={
            "status": "SENT",
            "sentAt": "2024-01-15T10:00:05Z",
            "externalId": "email-msg-123",
            "error": None,
        },
    )
    assert status.status_code == 200 and status.json()["status"] == "SENT"

    detail = backend.admin("GET", f"/recovery-cases/{case_id}").json()
    assert [n["body"] for n in detail["notes"]] == ["Reminder sent via email"]
    actions = {e["action"] for e in detail["timeline"]}
    assert {
        "case.created",
        "task.created",
        "reminder.created",
        "reminder.sent",
        "case.updated",
    } <= actions
    assert Decimal(str(detail["amountOutstanding"])) == Decimal("5000.00")
