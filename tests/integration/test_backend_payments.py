"""Payments: partial, full (settles the case and stops all contact), refused, concurrent."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier
from typing import Any

import httpx

from tests.support.backend import LiveBackend


def _pay(
    backend: LiveBackend,
    case_id: str,
    amount: str,
    currency: str = "USD",
    reference: str | None = None,
) -> httpx.Response:
    """Amounts go on the wire as JSON number literals, exactly as written."""
    extra = f', "reference": "{reference}"' if reference else ""
    body = f'{{"amount": {amount}, "currency": "{currency}"{extra}}}'
    return backend.admin(
        "POST",
        f"/recovery-cases/{case_id}/payments",
        content=body.encode(),
        headers={"Content-Type": "application/json"},
    )


def _detail(backend: LiveBackend, case_id: str) -> dict[str, Any]:
    response = backend.admin("GET", f"/recovery-cases/{case_id}")
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json(parse_float=Decimal)
    return detail


def test_partial_payment_reduces_outstanding(backend: LiveBackend) -> None:
    case = backend.new_case(amount="5000.00")
    response = _pay(backend, case["id"], "1250.50")
    assert response.status_code == 201, response.text
    receipt = response.json(parse_float=Decimal)
    assert receipt["payment"]["id"].startswith("pay-")
    assert receipt["case"]["amountOutstanding"] == Decimal("3749.50")
    assert receipt["case"]["status"] == "OVERDUE"
    assert '"amountOutstanding":3749.50' in response.text
    detail = _detail(backend, case["id"])
    assert detail["amountPaid"] == Decimal("1250.50")
    assert detail["amountOutstanding"] == Decimal("3749.50")
    listed = backend.admin("GET", f"/recovery-cases/{case['id']}/payments").json()
    assert listed["total"] == 1


def test_full_payment_resolves_and_stops_contact(backend: LiveBackend) -> None:
    case = backend.new_case(amount="300.00")
    case_id = case["id"]
    pending = backend.auto(
        "POST",
        "/tasks",
        json={"type": "REMINDER", "scheduledAt": "2030-01-01T09:00:00Z", "recoveryCaseId": case_id},
    ).json()
    kind = "PAY" + secrets.token_hex(4).upper()
    leased = backend.auto(
        "POST",
        "/tasks",
        json={"type": kind, "scheduledAt": "2024-01-01T09:00:00Z", "recoveryCaseId": case_id},
    ).json()
    claimed = backend.auto(
        "POST", "/tasks/claim", json={"workerId": "w", "types": [kind], "limit": 1}
    ).json()["tasks"]
    assert [t["id"] for t in claimed] == [leased["id"]]
    finished = backend.auto(
        "POST",
        "/tasks",
        json={"type": "REMINDER", "scheduledAt": "2024-01-01T09:00:00Z", "recoveryCaseId": case_id},
    ).json()
    assert backend.auto(
        "PUT", f"/tasks/{finished['id']}/status", json={"status": "COMPLETED"}
    ).is_success
    notification = backend.auto(
        "POST",
        "/notifications",
        json={
            "recoveryCaseId": case_id,
            "type": "EMAIL",
            "recipient": "billing@acme.com",
            "subject": "Payment Reminder",
            "body": "Your payment is overdue...",
            "priority": "HIGH",
            "scheduledFor": "2030-01-01T10:00:00Z",
        },
    ).json()
    assert _pay(backend, case_id, "100.00").status_code == 201
    settle = _pay(backend, case_id, "200.00")
    assert settle.status_code == 201, settle.text
    receipt = settle.json(parse_float=Decimal)
    assert receipt["case"]["status"] == "RESOLVED"
    assert receipt["case"]["amountOutstanding"] == 0
    assert receipt["cancelled"]["tasks"] == 2 and receipt["cancelled"]["notifications"] == 1

    statuses = {
        t["id"]: backend.auto("GET", f"/tasks/{t['id']}").json()["status"]
        for t in (pending, leased, finished)
    }
    assert statuses == {
        pending["id"]: "CANCELLED",
        leased["id"]: "CANCELLED",
        finished["id"]: "COMPLETED",
    }
    # the worker holding the lease learns it is gone: its report is refused, state unchanged
    late = backend.auto(
        "PUT",
        f"/tasks/{leased['id']}/status",
        json={"status": "COMPLETED", "leaseToken": claimed[0]["leaseToken"]},
    )
    assert late.status_code == 409
    detail = _detail(backend, case_id)
    assert detail["status"] == "RESOLVED" and detail["resolvedAt"]
    timeline = detail["timeline"]
    actions = [e["action"] for e in timeline]
    assert actions.count("payment.recorded") == 2
    assert actions.count("task.cancelled") == 2 and "notification.cancelled" in actions
    assert [n["status"] for n in detail["notifications"]] == ["CANCELLED"]
    assert detail["notifications"][0]["id"] == notification["id"]
    events = backend.admin(
        "GET", "/audit-events", params={"recoveryCaseId": case_id, "limit": 1000}
    ).json()["events"]
    settled = [e for e in events if e["action"] == "payment.recorded"]
    settling_request = max(settled, key=lambda e: e["at"])["requestId"]
    cancels = [e for e in events if e["action"].endswith(".cancelled")]
    # the same request (one transaction) settled the case and cancelled the rest
    assert len(cancels) == 3 and {e["requestId"] for e in cancels} == {settling_request}
    scheduled = backend.auto(
        "GET",
        "/tasks/scheduled",
        params={"recoveryCaseId": case_id, "dueBefore": "2100-01-01T00:00:00Z"},
    ).json()
    assert scheduled["total"] == 0
    pending_cases = backend.auto("GET", "/recovery-cases/pending", params={"limit": 1000}).json()
    assert case_id not in {c["id"] for c in pending_cases["cases"]}


def test_refused_payments(backend: LiveBackend) -> None:
    case = backend.new_case(amount="100.00")
    over = _pay(backend, case["id"], "100.01")
    assert over.status_code == 422, over.text
    problem = over.json()
    assert over.headers["content-type"].startswith("application/problem+json")
    assert "exceeds the outstanding" in problem["detail"]
    assert problem["errors"][0]["field"] == "amount"
    wrong_currency = _pay(backend, case["id"], "10.00", "EUR")
    assert wrong_currency.status_code == 422
    assert wrong_currency.json()["errors"][0]["field"] == "currency"
    for bad in ("0", "-5.00", "1.001"):
        response = _pay(backend, case["id"], bad)
        assert response.status_code == 422, (bad, response.text)
    assert _detail(backend, case["id"])["amountPaid"] == 0
    assert backend.admin("GET", f"/recovery-cases/{case['id']}/payments").json()["total"] == 0

    assert _pay(backend, case["id"], "100.00").status_code == 201
    closed = _pay(backend, case["id"], "1.00")
    assert closed.status_code == 409, closed.text
    assert closed.headers["content-type"].startswith("application/problem+json")
    unknown = _pay(backend, "case-doesnotexist", "1.00")
    assert unknown.status_code == 404


def test_duplicate_reference_is_refused(backend: LiveBackend) -> None:
    case = backend.new_case(amount="100.00")
    first = _pay(backend, case["id"], "10.00", reference="wire-1")
    assert first.status_code == 201, first.text
    second = _pay(backend, case["id"], "10.00", reference="wire-1")
    assert second.status_code == 409
    assert _detail(backend, case["id"])["amountPaid"] == Decimal("10.00")


def test_concurrent_payments_never_over_collect(backend: LiveBackend) -> None:
    case = backend.new_case(amount="100.00")
    threads = 10
    barrier = Barrier(threads)

    def pay(_: int) -> httpx.Response:
        barrier.wait()
        return _pay(backend, case["id"], "30.00")

    with ThreadPoolExecutor(threads) as pool:
        responses = list(pool.map(pay, range(threads)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409, 422}, [(r.status_code, r.text) for r in responses]
    accepted = statuses.count(201)
    assert accepted == 3, statuses  # 3 x 30 fits in 100, a fourth would over-collect
    detail = _detail(backend, case["id"])
    assert detail["amountPaid"] == Decimal("90.00")
    assert detail["amountOutstanding"] == Decimal("10.00")
    payments = backend.admin("GET", f"/recovery-cases/{case['id']}/payments").json()
    assert payments["total"] == accepted
