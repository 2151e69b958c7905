"""Payments that are not simple (issue 15, item 5): an overpayment's surplus becomes the
customer's credit (applied to another case or refunded); a reversed payment re-opens the
case, restores what it owes and hands its steps back to the scheduler."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

import httpx

from tests.support.backend import LiveBackend
from tests.support.camt import Credit, camt053


def _pay(backend: LiveBackend, case_id: str, amount: str, **extra: Any) -> httpx.Response:
    body = {"amount": amount, "currency": "EUR", **extra}
    return backend.admin("POST", f"/recovery-cases/{case_id}/payments", json=body)


def _detail(backend: LiveBackend, case_id: str) -> dict[str, Any]:
    detail: dict[str, Any] = backend.admin(
        "GET", f"/recovery-cases/{case_id}").json(parse_float=Decimal)
    return detail


def _credits(backend: LiveBackend, customer_id: str) -> dict[str, Any]:
    listed: dict[str, Any] = backend.admin(
        "GET", f"/customers/{customer_id}/credits").json(parse_float=Decimal)
    return listed


def test_an_overpayment_becomes_a_credit_applied_to_another_case(backend: LiveBackend) -> None:
    customer = backend.new_customer()
    first = backend.new_case(customer["id"], amount="100.00", currency="EUR")
    second = backend.new_case(customer["id"], amount="50.00", currency="EUR")
    assert _pay(backend, first["id"], "120.50").status_code == 422  # a slip, unless asked
    paid = _pay(backend, first["id"], "120.50", surplusAsCredit=True)
    assert paid.status_code == 201, paid.text
    receipt = paid.json(parse_float=Decimal)
    assert receipt["case"]["status"] == "RESOLVED"
    assert receipt["payment"]["amount"] == Decimal("100.00")
    assert receipt["payment"]["surplus"] == Decimal("20.50")
    credits = _credits(backend, customer["id"])
    assert credits["available"] == {"EUR": Decimal("20.50")}
    credit_id = receipt["creditId"]
    applied = backend.admin("POST", f"/customers/{customer['id']}/credits/{credit_id}/apply",
                            json={"recoveryCaseId": second["id"]})
    assert applied.status_code == 200, applied.text
    assert applied.json()["credit"]["status"] == "USED"
    assert _detail(backend, second["id"])["amountOutstanding"] == Decimal("29.50")
    again = backend.admin("POST", f"/customers/{customer['id']}/credits/{credit_id}/apply",
                          json={"recoveryCaseId": second["id"]})
    assert again.status_code == 409
    other = backend.new_customer()
    stranger = backend.admin("GET", f"/customers/{other['id']}/credits").json()
    assert stranger["total"] == 0


def test_a_credit_is_refunded_with_its_reason(backend: LiveBackend) -> None:
    customer = backend.new_customer()
    case = backend.new_case(customer["id"], amount="10.00", currency="EUR")
    credit_id = _pay(backend, case["id"], "15.00", surplusAsCredit=True).json()["creditId"]
    path = f"/customers/{customer['id']}/credits/{credit_id}/refund"
    assert backend.admin("POST", path, json={"reason": ""}).status_code == 422
    refunded = backend.admin("POST", path, json={"reason": "paid back by transfer"})
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["status"] == "REFUNDED"
    assert _credits(backend, customer["id"])["available"] == {}
    timeline = _detail(backend, case["id"])["timeline"]
    assert any(e["action"] == "credit.refunded" for e in timeline)


def test_a_reversed_payment_reopens_the_case_and_replans(backend: LiveBackend) -> None:
    case = backend.new_case(amount="300.00", currency="EUR", dueDate="2024-01-10")
    payment = _pay(backend, case["id"], "300.00").json()["payment"]
    assert _detail(backend, case["id"])["status"] == "RESOLVED"
    pending = backend.auto("GET", "/recovery-cases/pending", params={"limit": 1000}).json()
    assert case["id"] not in {c["id"] for c in pending["cases"]}
    path = f"/payments/{payment['id']}/reverse"
    assert backend.admin("POST", path, json={}).status_code == 422
    reversed_ = backend.admin("POST", path, json={"reason": "transfer bounced (AC04)"})
    assert reversed_.status_code == 200, reversed_.text
    body = reversed_.json(parse_float=Decimal)
    assert body["payment"]["reversalReason"] == "transfer bounced (AC04)"
    detail = _detail(backend, case["id"])
    assert detail["status"] == "OVERDUE" and detail["resolvedAt"] is None
    assert detail["amountOutstanding"] == Decimal("300.00")
    event = next(e for e in detail["timeline"] if e["action"] == "payment.reversed")
    assert event["after"]["reason"] == "transfer bounced (AC04)"
    pending = backend.auto("GET", "/recovery-cases/pending", params={"limit": 1000}).json()
    assert case["id"] in {c["id"] for c in pending["cases"]}  # the scheduler plans it again
    assert backend.admin("POST", path, json={"reason": "again"}).status_code == 409
    assert backend.admin("POST", "/payments/pay-nothing/reverse",
                         json={"reason": "x"}).status_code == 404


def test_a_bank_overpayment_keeps_the_surplus_and_its_reversal_withdraws_it(
    backend: LiveBackend,
) -> None:
    customer = backend.new_customer()
    case = backend.new_case(customer["id"], amount="80.00", currency="EUR")
    statement = camt053([Credit("100.00", "EUR", reference=case["creditorReference"],
                                entry_ref="OVER-" + secrets.token_hex(6))])
    summary = backend.admin("POST", "/bank-statements",
                            files={"file": ("s.xml", statement)}).json()
    assert summary["matched"] == 1, summary
    assert _detail(backend, case["id"])["status"] == "RESOLVED"
    assert _credits(backend, customer["id"])["available"] == {"EUR": Decimal("20.00")}
    payment_id = summary["results"][0]["paymentId"]
    backend.admin("POST", f"/payments/{payment_id}/reverse", json={"reason": "chargeback"})
    credits = _credits(backend, customer["id"])
    assert credits["available"] == {} and credits["credits"][0]["status"] == "REVERSED"
    assert _detail(backend, case["id"])["amountOutstanding"] == Decimal("80.00")
