"""Consolidated e-mails keep every folded invoice's step (issue 17 item 2 follow-ups), on
SQLite and PostgreSQL: a lead case paid or paused hands its fold on, a sent statement advances
every case it listed, and an expired lease is placed under the cap like a retry."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.backend import LiveBackend, wait_until

ALL_DAY = {"start": "00:00", "end": "23:59", "weekends": True}
STEPS = [{"offsetDays": 1, "channel": "EMAIL", "templateId": "reminder-1"}]
CLAIM = {"types": ["REMINDER"], "limit": 20, "include": ["reminder"]}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _customer(backend: LiveBackend, **policy: Any) -> str:
    body = {"name": "Folding", "steps": STEPS, "sendWindow": ALL_DAY, **policy}
    answer = backend.admin("POST", "/policies", json=body)
    assert answer.status_code == 201, answer.text
    name = f"Folding {secrets.token_hex(3)}"
    return str(backend.new_customer(name=name, timezone="UTC", policyId=answer.json()["id"])["id"])


def _plan(backend: LiveBackend, cases: list[dict[str, Any]], when: datetime) -> list[Any]:
    """Each case's first step, planned in one batch as a scheduler pass does."""
    tasks = []
    for case in cases:
        customer = backend.admin("GET", f"/customers/{case['customerId']}").json()
        tasks.append(
            {
                "type": "REMINDER",
                "scheduledAt": _iso(when),
                "recoveryCaseId": case["id"],
                "dedupeKey": f"{customer['policyId']}:1:EMAIL",
                "metadata": {
                    "reminderType": "EMAIL",
                    "templateId": "reminder-1",
                    "policyId": customer["policyId"],
                    "plannedAt": _iso(when),
                },
            }
        )
    answer = backend.auto("POST", "/tasks/batch", json={"tasks": tasks})
    assert answer.status_code == 200, answer.text
    made: list[Any] = answer.json()["tasks"]
    return made


def _task(backend: LiveBackend, task_id: str) -> dict[str, Any]:
    answer = backend.auto("GET", f"/tasks/{task_id}")
    assert answer.status_code == 200, answer.text
    task: dict[str, Any] = answer.json()
    return task


def _claim(backend: LiveBackend, worker: str, **extra: Any) -> dict[str, Any]:
    answer = backend.auto("POST", "/tasks/claim", json={**CLAIM, "workerId": worker, **extra})
    assert answer.status_code == 200, answer.text
    return {task["id"]: task for task in answer.json()["tasks"]}


def _pay_in_full(backend: LiveBackend, case: dict[str, Any]) -> None:
    body = f'{{"amount": {case["amount"]}, "currency": "{case["currency"]}"}}'
    answer = backend.admin(
        "POST",
        f"/recovery-cases/{case['id']}/payments",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text


def _cases(backend: LiveBackend, customer: str, n: int, prefix: str) -> list[dict[str, Any]]:
    return [
        backend.new_case(customer, currency="EUR", invoiceNumber=f"{prefix}-{k}")
        for k in range(n)
    ]


def test_a_paid_or_paused_lead_hands_its_fold_to_a_remaining_case(backend: LiveBackend) -> None:
    later = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    for stop in ("paid", "paused"):
        cases = _cases(backend, _customer(backend, maxContactsPer7Days=1), 3, f"HF-{stop}")
        lead, first, second = _plan(backend, cases, later)
        assert lead["metadata"]["consolidatedCaseIds"] == [cases[1]["id"], cases[2]["id"]]
        assert first["status"] == second["status"] == "CANCELLED"
        if stop == "paid":
            _pay_in_full(backend, cases[0])
        else:
            until = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
            hold = {"until": until, "reason": "customer on holiday"}
            paused = backend.admin("POST", f"/recovery-cases/{cases[0]['id']}/pause", json=hold)
            assert paused.status_code == 200, paused.text
        assert _task(backend, lead["id"])["status"] == "CANCELLED"
        # the first remaining case leads now, at its step's time, listing the other one only
        new_lead = _task(backend, first["id"])
        assert new_lead["status"] == "PENDING", new_lead
        assert _at(new_lead["scheduledAt"]) == later
        assert new_lead["metadata"]["templateId"] == "statement"
        assert new_lead["metadata"]["consolidatedCaseIds"] == [cases[2]["id"]]
        folded = _task(backend, second["id"])
        assert folded["status"] == "CANCELLED"
        assert folded["result"]["consolidatedInto"] == first["id"]


def test_a_lead_paid_while_sending_releases_the_others_to_the_next_claim(
    own_backend: LiveBackend,
) -> None:
    backend = own_backend
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    cases = _cases(backend, _customer(backend, maxContactsPer7Days=1), 3, "PW")
    lead, first = _plan(backend, cases[:2], now)  # PW-2 is overdue, its step not planned
    assert first["status"] == "CANCELLED"
    claimed = _claim(backend, "w-paid")
    assert set(claimed) == {lead["id"]}  # the statement lists PW-1 and the unplanned PW-2
    _pay_in_full(backend, cases[0])  # paid while the worker renders it
    again = _claim(backend, "w-next")
    assert set(again) == {first["id"]}, again
    content = again[first["id"]]["reminder"]["content"]
    assert "PW-1" in content["text"] and "PW-2" in content["text"], content["text"]
    assert "PW-0" not in content["text"]  # never remind the paid one


def test_a_sent_statement_advances_every_listed_case(backend: LiveBackend) -> None:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    cases = _cases(backend, _customer(backend, maxContactsPer7Days=2), 3, "SS")
    lead, folded = _plan(backend, cases[:2], now)
    (held,) = _claim(backend, f"w-{secrets.token_hex(2)}").values()
    assert held["id"] == lead["id"]
    reminder = held["reminder"]
    answer = backend.auto(
        "PUT",
        f"/reminders/{reminder['id']}/sent",
        json={
            "externalId": "<statement@payrec>",
            "caseNote": "Statement sent by e-mail",
            "completeTask": {"id": held["id"], "leaseToken": held["leaseToken"]},
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["task"]["status"] == "COMPLETED"
    step = _task(backend, folded["id"])
    assert step["status"] == "COMPLETED", step
    assert step["result"]["sentWith"] == reminder["id"]
    assert step["result"]["consolidatedInto"] == lead["id"]
    for case in cases:  # the unplanned SS-2 was listed too
        detail = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
        assert detail["status"] == "IN_PROGRESS", detail
        assert detail["lastReminderSentAt"] is not None
        assert "Statement sent by e-mail" in [note["body"] for note in detail["notes"]]
    timeline = backend.admin("GET", f"/recovery-cases/{cases[1]['id']}").json()["tasks"]
    assert [t["status"] for t in timeline if t["id"] == folded["id"]] == ["COMPLETED"]
    # one statement is one contact: a second e-mail still fits the cap of two this week
    fresh = backend.new_case(cases[0]["customerId"], currency="USD")
    (other,) = _plan(backend, [fresh], now + timedelta(hours=1))
    assert _at(other["scheduledAt"]) == now + timedelta(hours=1), other


def test_an_expired_lease_is_placed_under_the_cap_like_a_retry(own_backend: LiveBackend) -> None:
    backend = own_backend
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    customer = _customer(backend, maxContactsPer7Days=1, consolidate=False)
    first, second = _plan(backend, _cases(backend, customer, 2, "EX"), now)
    assert _at(second["scheduledAt"]) == now + timedelta(days=7)  # the cap's next week
    claimed = _claim(backend, "w-dies", leaseSeconds=5)
    assert set(claimed) == {first["id"]}

    def returned() -> dict[str, Any] | None:
        _claim(backend, "w-sweep")  # a claim returns expired leases first
        task = _task(backend, first["id"])
        return task if task["status"] == "PENDING" else None

    task = wait_until(returned, timeout=60, interval=0.1)
    assert task is not None
    # back in the queue, it would be a second contact within a week of the next one
    assert _at(task["scheduledAt"]) >= _at(second["scheduledAt"]) + timedelta(days=7), task
    assert task["metadata"]["deferredByCap"]
