"""Issue 20, item 7: an automation key cannot close a case with money outstanding.

`PUT /automation/recovery-cases/{id}` `{"status": "RESOLVED"}` with 50.00 unpaid was accepted,
and later payments were then refused. Only a payment settles a case; a debt is given up only
by an ADMIN write-off with a reason (audited, noted on the case), through the management API.
Both APIs apply the same rule (`domain.cases.check_status_change`).
"""

from __future__ import annotations

from typing import Any

from tests.support.backend import LiveBackend


def _case(backend: LiveBackend) -> dict[str, Any]:
    case = backend.new_case(amount="80.00", dueDate="2024-01-10")
    paid = backend.admin(
        "POST", f"/recovery-cases/{case['id']}/payments",
        json={"amount": "30.00", "currency": "USD"},
    )
    assert paid.status_code in (200, 201), paid.text
    return case


def _problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = answer.json()
    assert problem["type"].endswith(f"/{code}"), problem
    return problem


def _events(backend: LiveBackend, case_id: str) -> list[dict[str, Any]]:
    answer = backend.admin("GET", "/audit-events", params={"entityId": case_id, "limit": 100})
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def test_the_automation_key_cannot_resolve_or_write_off_a_case_that_owes(
    backend: LiveBackend,
) -> None:
    case = _case(backend)
    task = backend.new_reminder_task(case["id"])
    events_before = _events(backend, case["id"])
    resolved = backend.auto("PUT", f"/recovery-cases/{case['id']}", json={"status": "RESOLVED"})
    problem = _problem(resolved, 409, "case-has-outstanding-balance")
    assert "50.00" in problem["detail"] and "payment" in problem["detail"]
    written_off = backend.auto(
        "PUT", f"/recovery-cases/{case['id']}", json={"status": "WRITTEN_OFF", "notes": "gone"}
    )
    _problem(written_off, 403, "write-off-needs-admin")
    with_reason = backend.auto(
        "PUT", f"/recovery-cases/{case['id']}", json={"status": "WRITTEN_OFF", "reason": "x"}
    )
    assert with_reason.status_code == 422  # the automation API takes no reason at all
    # nothing changed: status, notes, audit, the waiting task
    after = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    assert after["status"] == "OVERDUE" and after["resolvedAt"] is None
    assert not any(n["body"] == "gone" for n in after["notes"])
    assert _events(backend, case["id"]) == events_before
    assert backend.auto("GET", f"/tasks/{task['id']}").json()["status"] == "PENDING"
    # the payment that covers the rest settles it, as before
    paid = backend.admin(
        "POST", f"/recovery-cases/{case['id']}/payments",
        json={"amount": "50.00", "currency": "USD"},
    )
    assert paid.status_code in (200, 201), paid.text
    settled = backend.auto("GET", f"/recovery-cases/{case['id']}").json()
    assert settled["status"] == "RESOLVED" and settled["amountOutstanding"] == 0


def test_the_other_moves_of_the_automation_api_still_work(backend: LiveBackend) -> None:
    case = _case(backend)
    for status in ("IN_PROGRESS", "PAUSED", "DISPUTED"):
        moved = backend.auto("PUT", f"/recovery-cases/{case['id']}", json={"status": status})
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == status


def test_an_admin_cannot_resolve_a_case_that_owes_either(backend: LiveBackend) -> None:
    case = _case(backend)
    answer = backend.admin("PATCH", f"/recovery-cases/{case['id']}", json={"status": "RESOLVED"})
    _problem(answer, 409, "case-has-outstanding-balance")
    assert backend.admin("GET", f"/recovery-cases/{case['id']}").json()["status"] == "OVERDUE"


def test_an_admin_writes_a_case_off_with_a_reason_audited(backend: LiveBackend) -> None:
    case = _case(backend)
    task = backend.new_reminder_task(case["id"])
    path = f"/recovery-cases/{case['id']}"
    no_reason = backend.admin("PATCH", path, json={"status": "WRITTEN_OFF"})
    assert no_reason.status_code == 422, no_reason.text
    assert [e["field"] for e in no_reason.json()["errors"]] == ["reason"]
    blank = backend.admin("PATCH", path, json={"status": "WRITTEN_OFF", "reason": "   "})
    assert blank.status_code == 422, blank.text
    assert backend.admin("GET", path).json()["status"] == "OVERDUE"  # nothing written
    agent = backend._call(
        backend.agent_key, "/api/v1", "PATCH", path,
        json={"status": "WRITTEN_OFF", "reason": "insolvent"},
    )
    assert agent.status_code == 403
    assert backend.admin("GET", path).json()["status"] == "OVERDUE"

    done = backend.admin(
        "PATCH", path, json={"status": "WRITTEN_OFF", "reason": "Customer insolvent (court 12/3)"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "WRITTEN_OFF" and done.json()["resolvedAt"]
    detail = backend.admin("GET", path).json()
    assert any(n["body"] == "WRITTEN_OFF: Customer insolvent (court 12/3)" for n in detail["notes"])
    updates = [e for e in _events(backend, case["id"]) if e["action"] == "case.updated"]
    assert len(updates) == 1
    assert updates[0]["before"]["status"] == "OVERDUE"
    assert updates[0]["after"]["status"] == "WRITTEN_OFF"
    assert updates[0]["after"]["reason"] == "Customer insolvent (court 12/3)"
    assert updates[0]["actor"] == "test-admin"
    assert backend.auto("GET", f"/tasks/{task['id']}").json()["status"] == "CANCELLED"
