"""The guide's sample ReminderService runs against this client (fake backend, no network)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from payrec.client import AutomationApiClient
from payrec.client._json import dumps
from payrec.client.sample_reminder_service import ReminderService
from tests.unit.client.client_fakes import API_KEY

P = "/api/v1/automation"


class FakeBackend:
    def __init__(self, cases: list[dict[str, Any]]) -> None:
        self.cases = cases
        self.tasks = [
            {
                "id": "task-1",
                "type": "REMINDER",
                "status": "PENDING",
                "scheduledAt": "2024-01-15T10:00:00Z",
                "recoveryCaseId": "case-456",
                "metadata": {"reminderType": "EMAIL", "templateId": "reminder-1"},
            },
            {"id": "task-2", "type": "CALL", "status": "PENDING", "metadata": {}},
        ]
        self.calls: list[tuple[str, str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content, parse_float=Decimal) if request.content else None
        path = request.url.path.removeprefix(P)
        self.calls.append((request.method, path, body))
        if path == "/tasks/scheduled":
            return httpx.Response(
                200, json={"tasks": self.tasks, "total": 2, "page": 0, "size": 20}
            )
        if path == "/recovery-cases/pending":
            cases = [
                {
                    "id": c["id"],
                    "amount": Decimal("5000.00"),
                    "dueDate": "2024-01-10",
                    "customer": {"name": "Acme Corp", "email": "billing@acme.com"},
                }
                for c in self.cases
            ]
            text = dumps({"cases": cases, "total": len(cases)})
            return httpx.Response(
                200, content=text.encode(), headers={"Content-Type": "application/json"}
            )
        if path == "/reminders":
            return httpx.Response(201, json={"id": "rem-1", "status": "SCHEDULED"})
        return httpx.Response(200, json={"ok": True})


def run(backend: FakeBackend) -> None:
    client = AutomationApiClient(
        "http://backend.test", API_KEY, transport=httpx.MockTransport(backend), max_retries=0
    )
    with client:
        ReminderService(client).process_pending_reminders()


def test_sample_service_happy_path() -> None:
    backend = FakeBackend([{"id": "case-456"}])
    run(backend)
    methods = [(m, p) for m, p, _ in backend.calls]
    assert methods == [
        ("GET", "/tasks/scheduled"),
        ("GET", "/recovery-cases/pending"),
        ("POST", "/reminders"),
        ("PUT", "/reminders/rem-1/sent"),
        ("PUT", "/recovery-cases/case-456"),
        ("PUT", "/tasks/task-1/status"),
    ]
    reminder = backend.calls[2][2]
    assert reminder["recipient"] == "billing@acme.com"
    assert reminder["metadata"]["personalization"]["amount"] == Decimal("5000.00")
    status = backend.calls[5][2]
    assert status["status"] == "COMPLETED"
    assert status["result"]["sentAt"].endswith("+00:00")


def test_sample_service_without_cases_fails_the_task() -> None:
    backend = FakeBackend([])
    run(backend)
    assert backend.calls[-1][:2] == ("PUT", "/tasks/task-1/status")
    body = backend.calls[-1][2]
    assert body["status"] == "FAILED"
    assert "no pending recovery case" in body["result"]["error"]
