"""Issue 17, item 6: reports count an invoice as billed on its issue date, not on the day its
case was created; cases carry `issueDate` (given, read by extraction, or defaulted)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.backend import LiveBackend

INVOICE = (
    Path(__file__).resolve().parents[2].parent
    / "shared" / "corpus" / "invoices" / "pdf" / "i2d__AmazonWebServices.pdf"
)
# a currency no other test books, so the shared backend's figures for it are this test's
CURRENCY = "MNT"


def _summary_for(backend: LiveBackend, currency: str, **params: str) -> dict[str, Any] | None:
    answer = backend.admin("GET", "/reports/summary", params=params)
    assert answer.status_code == 200, answer.text
    return next((c for c in answer.json()["currencies"] if c["currency"] == currency), None)


def test_a_2019_invoice_created_today_is_not_billed_in_the_last_90_days(
    backend: LiveBackend,
) -> None:
    today = datetime.now(UTC).date()
    customer = backend.new_customer(email=f"ap-{secrets.token_hex(4)}@example.com")["id"]
    old = backend.new_case(
        customer, amount="7000", currency=CURRENCY, issueDate="2019-03-01", dueDate="2019-04-01"
    )
    assert old["issueDate"] == "2019-03-01"
    fresh = backend.new_case(
        customer, amount="300", currency=CURRENCY, issueDate=today.isoformat(),
        dueDate=(today + timedelta(days=30)).isoformat(),
    )
    figures = _summary_for(backend, CURRENCY, asOf=today.isoformat())
    assert figures is not None
    assert figures["billed"] == 7300  # the whole population
    assert figures["billedLast90Days"] == 300  # the 2019 invoice is not recent billing
    assert figures["daysSalesOutstanding"] == pytest.approx(7300 / 300 * 90, abs=0.05)
    since = (today - timedelta(days=30)).isoformat()
    recent = _summary_for(backend, CURRENCY, asOf=today.isoformat(), **{"from": since})
    assert recent is not None and recent["cases"] == 1 and recent["billed"] == 300
    listed = backend.admin("GET", f"/recovery-cases/{fresh['id']}").json()
    assert listed["issueDate"] == today.isoformat()


def test_without_an_issue_date_a_case_takes_the_earlier_of_today_and_its_due_date(
    backend: LiveBackend,
) -> None:
    today = datetime.now(UTC).date()
    customer = backend.new_customer(email=f"ap-{secrets.token_hex(4)}@example.com")["id"]
    backlog = backend.new_case(customer, dueDate="2019-04-01")
    assert backlog["issueDate"] == "2019-04-01"
    upcoming = backend.new_case(customer, dueDate=(today + timedelta(days=14)).isoformat())
    assert upcoming["issueDate"] == today.isoformat()


@pytest.mark.parametrize("bad", ["2019-02-30", "yesterday", "0001-01-01"])
def test_a_bad_issue_date_is_refused_naming_the_field(backend: LiveBackend, bad: str) -> None:
    customer = backend.new_customer(email=f"ap-{secrets.token_hex(4)}@example.com")["id"]
    number = f"INV-{secrets.token_hex(4)}"
    answer = backend.admin(
        "POST",
        "/recovery-cases",
        json={
            "customerId": customer, "invoiceNumber": number, "amount": "10.00",
            "currency": "USD", "dueDate": "2026-01-10", "issueDate": bad,
        },
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert any("issueDate" in str(e.get("field")) for e in answer.json()["errors"])
    listed = backend.admin("GET", "/recovery-cases", params={"q": number})
    assert number not in listed.text


def test_an_extracted_invoice_opens_its_case_with_the_issue_date(backend: LiveBackend) -> None:
    if not INVOICE.exists():
        pytest.skip(f"corpus file {INVOICE} not present")
    upload = backend.admin(
        "POST",
        "/documents",
        files={
            "file": (
                "invoice.pdf",
                INVOICE.read_bytes() + f"\n%{secrets.token_hex(8)}\n".encode(),
                "application/pdf",
            )
        },
        data={"type": "INVOICE"},
    )
    assert upload.status_code == 201, upload.text
    extraction = backend.auto(
        "POST",
        "/extractions",
        json={
            "documentId": upload.json()["id"],
            "extractedData": {
                "invoiceNumber": f"INV-{secrets.token_hex(4)}",
                "amount": 120.00,
                "currency": "USD",
                "issueDate": "2019-05-02",
                "dueDate": "2019-06-01",
                "customerName": f"Old Books Ltd {secrets.token_hex(3)}",
            },
            "confidence": 0.97,
        },
    )
    assert extraction.status_code == 201, extraction.text
    body = extraction.json()
    assert body["outcome"] == "CASE_CREATED", body
    case = backend.admin("GET", f"/recovery-cases/{body['recoveryCaseId']}").json()
    assert case["issueDate"] == "2019-05-02" and case["dueDate"] == "2019-06-01"
