"""Manual steps (issue 17 item 7): a CALL or LETTER step is worked from its shipped template, in
the team's language, and listed and completed by ADMIN or AGENT through the management API."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from payrec.automation.scheduler import Scheduler
from payrec.client import AutomationApiClient
from tests.support.backend import LiveBackend

CALL_ONLY = {
    "name": "Call at once",
    "steps": [{"offsetDays": 1, "channel": "CALL", "templateId": "call-collector"}],
    "maxContactsPer7Days": 3,
}


def _staff(backend: LiveBackend, key: str, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    return backend.http.request(method, f"{backend.base_url}/api/v1{path}", headers=headers, **kw)


def _manual_task(backend: LiveBackend, case_id: str, task_type: str, template: str) -> Any:
    answer = backend.auto(
        "POST",
        "/tasks",
        json={
            "type": task_type,
            "scheduledAt": "2024-01-15T10:00:00Z",
            "recoveryCaseId": case_id,
            "dedupeKey": f"manual-{secrets.token_hex(3)}",
            "metadata": {"reminderType": task_type, "templateId": template},
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_call_step_uses_its_template_and_is_completed_by_an_agent(
    own_backend: LiveBackend,
) -> None:
    backend = own_backend
    policy = backend.admin("POST", "/policies", json=CALL_ONLY)
    assert policy.status_code == 201, policy.text
    customer = backend.new_customer(
        name="Phoneless Ltd", phone=None, policyId=policy.json()["id"], timezone="UTC"
    )
    case = backend.new_case(customer["id"], invoiceNumber="INV-CALL-1", dueDate="2024-01-10")
    with AutomationApiClient(backend.automation_url, backend.automation_key) as client:
        Scheduler(client, collections_email="team@example.com").step()

    detail = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    (notice,) = detail["notifications"]
    assert notice["recipient"] == "team@example.com"
    assert notice["subject"] == "Call Phoneless Ltd about overdue invoice INV-CALL-1"
    assert "no phone number on file" in notice["body"] and "(None)" not in notice["body"]
    assert "record the outcome in the case notes" in notice["body"]  # the shipped call script

    agent = backend.agent_key
    cutoff = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    listed = _staff(
        backend,
        agent,
        "GET",
        "/tasks",
        params={"type": "CALL", "status": "PENDING", "dueBefore": cutoff, "limit": 1},
    )
    assert listed.status_code == 200, listed.text
    page = listed.json()
    (task,) = page["tasks"]
    assert page["total"] == 1 and page["nextCursor"] is None
    assert task["recoveryCaseId"] == case["id"] and task["type"] == "CALL"
    shown = task["metadata"]["instruction"]
    assert shown["title"] == notice["subject"] and shown["language"] == "en"
    assert "contact" not in shown and "no phone number on file" in shown["body"]
    earlier = "2000-01-01T00:00:00Z"
    none_due = _staff(backend, agent, "GET", "/tasks", params={"dueBefore": earlier}).json()
    assert none_due["total"] == 0

    path = f"/tasks/{task['id']}/complete"
    bad = _staff(backend, agent, "POST", path, json={"outcome": "MAYBE", "note": "x"})
    assert bad.status_code == 422, bad.text
    automation = backend.http.post(
        f"{backend.base_url}/api/v1{path}",
        json={"outcome": "REACHED"},
        headers={"Authorization": f"Bearer {backend.automation_key}"},
    )
    assert automation.status_code == 403
    done = _staff(
        backend, agent, "POST", path, json={"outcome": "PROMISE_TAKEN", "note": "Pays Friday."}
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "COMPLETED" and body["completedAt"]
    assert body["result"]["outcome"] == "PROMISE_TAKEN" and body["result"]["note"] == "Pays Friday."
    again = _staff(backend, agent, "POST", path, json={"outcome": "REACHED"})
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")

    detail = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    assert any(n["body"] == "CALL: payment promised. Pays Friday." for n in detail["notes"])
    changes = [
        e
        for e in detail["timeline"]
        if e["action"] == "task.status_changed" and e["entityId"] == task["id"]
    ]
    assert len(changes) == 1 and changes[0]["after"]["result"]["outcome"] == "PROMISE_TAKEN"
    assert changes[0]["actor"] == "test-agent"
    still_open = _staff(backend, agent, "GET", "/tasks", params={"type": "CALL"}).json()
    assert still_open["total"] == 0
    completed = _staff(backend, agent, "GET", "/tasks", params={"status": "COMPLETED"}).json()
    assert [t["id"] for t in completed["tasks"]] == [task["id"]]


def test_cancelled_or_automatic_tasks_cannot_be_completed_by_hand(backend: LiveBackend) -> None:
    case = backend.new_case(backend.new_customer(name=f"Closed Co {secrets.token_hex(3)}")["id"])
    call = _manual_task(backend, case["id"], "CALL", "call-collector")
    cancelled = backend.auto("PUT", f"/tasks/{call['id']}/status", json={"status": "CANCELLED"})
    assert cancelled.status_code == 200, cancelled.text
    refused = backend.admin("POST", f"/tasks/{call['id']}/complete", json={"outcome": "REACHED"})
    assert refused.status_code == 409, refused.text
    reminder = backend.new_reminder_task(case["id"])
    path = f"/tasks/{reminder['id']}/complete"
    assert backend.admin("POST", path, json={"outcome": "REACHED"}).status_code == 409
    assert backend.auto("GET", f"/tasks/{reminder['id']}").json()["status"] == "PENDING"
    missing = backend.admin("POST", "/tasks/task-nope/complete", json={"outcome": "REACHED"})
    assert missing.status_code == 404
    notes = backend.admin("GET", f"/recovery-cases/{case['id']}").json()["notes"]
    assert notes == []  # a refused completion writes nothing


def test_manual_steps_speak_the_team_language(
    backend_factory: Callable[..., LiveBackend],
) -> None:
    backend = backend_factory("sqlite", env={"PAYREC_TEAM_LANGUAGE": "de"})
    customer = backend.new_customer(name="Acme Inc", phone="+1 212 555 0100", locale="en_US")
    case = backend.new_case(customer["id"], invoiceNumber="INV-DE-1")
    call = _manual_task(backend, case["id"], "CALL", "call-collector")["metadata"]["instruction"]
    assert call["language"] == "de" and call["channel"] == "CALL"
    assert call["title"] == "Acme Inc wegen überfälliger Rechnung INV-DE-1 anrufen"
    assert call["contact"] == "+12125550100" and "Telefon: +12125550100" in call["body"]
    letter = _manual_task(backend, case["id"], "LETTER", "letter-reminder")
    shown = letter["metadata"]["instruction"]
    assert shown["title"] == "Brief an Acme Inc: Rechnung INV-DE-1"  # for the team
    assert "Dear Acme Inc" in shown["body"]  # the letter is in the customer's language
    unknown = _manual_task(backend, case["id"], "CALL", "no-such-template")
    assert unknown["metadata"]["instruction"]["templateId"] == "call-collector"
