"""The contact cap and consolidated e-mails, held by the backend where the scheduler's tasks
are created and where retried sends are released (issue 17 item 2), on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.backend import LiveBackend

ALL_DAY = {"start": "00:00", "end": "23:59", "weekends": True}
STEPS = [
    {"offsetDays": 1, "channel": "EMAIL", "templateId": "reminder-1"},
    {"offsetDays": 1, "channel": "SMS", "templateId": "sms-reminder"},
]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _policy(backend: LiveBackend, **fields: Any) -> str:
    body = {"name": "Capped", "steps": STEPS, "sendWindow": ALL_DAY, **fields}
    answer = backend.admin("POST", "/policies", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _customer(backend: LiveBackend, policy_id: str) -> str:
    name = f"Capped {secrets.token_hex(3)}"
    return str(backend.new_customer(name=name, timezone="UTC", policyId=policy_id)["id"])


def _step(case: dict[str, Any], policy_id: str, when: datetime, channel: str = "EMAIL") -> Any:
    """A task body as the scheduler plans a policy step."""
    template = "reminder-1" if channel == "EMAIL" else "sms-reminder"
    return {
        "type": "REMINDER",
        "scheduledAt": _iso(when),
        "recoveryCaseId": case["id"],
        "dedupeKey": f"{policy_id}#{secrets.token_hex(2)}:1:{channel}",
        "metadata": {
            "reminderType": channel,
            "templateId": template,
            "policyId": policy_id,
            "plannedAt": _iso(when),
        },
    }


def _batch(backend: LiveBackend, *tasks: Any) -> list[dict[str, Any]]:
    answer = backend.auto("POST", "/tasks/batch", json={"tasks": list(tasks)})
    assert answer.status_code == 200, answer.text
    made: list[dict[str, Any]] = answer.json()["tasks"]
    return made


def test_cap_holds_across_cases_passes_and_channels(backend: LiveBackend) -> None:
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    week = timedelta(days=7)
    capped = _policy(backend, maxContactsPer7Days=1, consolidate=False)
    customer = _customer(backend, capped)
    first, second, later = (backend.new_case(customer) for _ in range(3))
    # one pass plans two cases of one customer for the same minute: the second waits a week
    a, b = _batch(backend, _step(first, capped, start), _step(second, capped, start))
    assert _at(a["scheduledAt"]) == start
    assert _at(b["scheduledAt"]) == start + week
    assert b["metadata"]["deferredByCap"] == _iso(start)
    # a later pass (or another scheduler) counts both: the third waits for the next free week
    (c,) = _batch(backend, _step(later, capped, start + timedelta(days=1)))
    assert _at(c["scheduledAt"]) >= start + 2 * week

    together = _policy(backend, maxContactsPer7Days=3, maxContactsPer7DaysAllChannels=1)
    case = backend.new_case(_customer(backend, together))
    email, sms = _batch(
        backend, _step(case, together, start), _step(case, together, start, channel="SMS")
    )
    times = sorted(_at(task["scheduledAt"]) for task in (email, sms))
    assert times == [start, start + week]  # an e-mail and an SMS are two contacts


def test_a_customers_emails_fold_into_one_waiting_statement(backend: LiveBackend) -> None:
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    folding = _policy(backend, maxContactsPer7Days=1)
    customer = _customer(backend, folding)
    euro = [backend.new_case(customer, currency="EUR") for _ in range(2)]
    dollars = backend.new_case(customer, currency="USD")
    lead, folded, other = _batch(
        backend, *(_step(case, folding, start) for case in (*euro, dollars))
    )
    assert lead["status"] == "PENDING" and lead["metadata"]["templateId"] == "statement"
    assert lead["metadata"]["consolidatedCaseIds"] == [euro[1]["id"]]
    assert folded["status"] == "CANCELLED"
    assert folded["result"]["consolidatedInto"] == lead["id"]
    # a statement lists one currency: the dollar invoice is a second contact, a week later
    times = sorted(_at(task["scheduledAt"]) for task in (lead, other))
    assert times == [start, start + timedelta(days=7)]
    # the guide's plain POST /tasks (no policy step) is left as it is asked
    plain = backend.new_reminder_task(euro[0]["id"])
    assert plain["status"] == "PENDING" and plain["scheduledAt"].startswith("2024-01-15T10:00")


def test_claimed_statement_lists_every_invoice_and_a_retry_keeps_the_cap(
    own_backend: LiveBackend,
) -> None:
    backend = own_backend
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    folding = _policy(backend, maxContactsPer7Days=1)
    customer = _customer(backend, folding)
    cases = [backend.new_case(customer, currency="EUR", invoiceNumber=f"ST-{n}") for n in range(3)]
    lead, _folded = _batch(backend, *(_step(case, folding, now) for case in cases[:2]))
    # cases[2] is overdue too, its step not planned yet: the statement lists it as well
    plain_policy = _policy(backend, maxContactsPer7Days=1, consolidate=False)
    single = backend.new_case(_customer(backend, plain_policy), invoiceNumber="RT-1")
    retried, _next = _batch(
        backend,
        _step(single, plain_policy, now),
        _step(single, plain_policy, now, channel="EMAIL") | {"dedupeKey": "second"},
    )
    claim = backend.auto(
        "POST",
        "/tasks/claim",
        json={"workerId": "w-cap", "types": ["REMINDER"], "limit": 10, "include": ["reminder"]},
    )
    assert claim.status_code == 200, claim.text
    claimed = {task["id"]: task for task in claim.json()["tasks"]}
    assert set(claimed) == {lead["id"], retried["id"]}
    content = claimed[lead["id"]]["reminder"]["content"]
    assert content["templateId"] == "statement"
    assert all(f"ST-{n}" in content["text"] for n in range(3)), content["text"]
    stored = backend.auto("GET", f"/tasks/{lead['id']}").json()["metadata"]
    assert sorted(stored["consolidatedCaseIds"]) == sorted(c["id"] for c in cases[1:])

    # a transient failure retries tomorrow: inside the week of the contact planned next,
    # so it is placed after that week instead
    held = claimed[retried["id"]]
    answer = backend.auto(
        "PUT",
        f"/tasks/{held['id']}/status",
        json={
            "status": "PENDING",
            "leaseToken": held["leaseToken"],
            "retryAt": _iso(now + timedelta(days=1)),
            "error": "451 try later",
        },
    )
    assert answer.status_code == 200, answer.text
    assert _at(answer.json()["scheduledAt"]) >= _at(_next["scheduledAt"]) + timedelta(days=7)
