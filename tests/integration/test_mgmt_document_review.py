"""The review queue's API twins: approve (with corrected fields), reject, retry; audited."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.backend import LiveBackend

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
INVOICE = SHARED / "corpus" / "invoices" / "pdf" / "i2d__AmazonWebServices.pdf"


def _pdf() -> bytes:
    if not INVOICE.exists():
        pytest.skip(f"corpus file {INVOICE} not present")
    return INVOICE.read_bytes() + f"\n%{secrets.token_hex(8)}\n".encode()


def _flagged(backend: LiveBackend, **form: str) -> dict[str, Any]:
    """A document that extraction read with too little confidence (NEEDS_REVIEW)."""
    upload = backend.admin(
        "POST",
        "/documents",
        files={"file": ("invoice.pdf", _pdf(), "application/pdf")},
        data={"type": "INVOICE", **form},
    )
    assert upload.status_code == 201, upload.text
    document: dict[str, Any] = upload.json()
    extraction = backend.auto(
        "POST",
        "/extractions",
        json={
            "documentId": document["id"],
            "extractedData": {
                "invoiceNumber": f"INV-{secrets.token_hex(4)}",
                "amount": 5000.00,
                "currency": "USD",
                "customerName": f"Blurry Corp {secrets.token_hex(3)}",
            },
            "confidence": 0.41,
        },
    )
    assert extraction.status_code == 201 and extraction.json()["outcome"] == "NEEDS_REVIEW"
    return document


def _review(backend: LiveBackend, document_id: str, body: dict[str, Any], key: str = "") -> Any:
    return backend.http.post(
        f"{backend.base_url}/api/v1/documents/{document_id}/review",
        json=body,
        headers={"Authorization": f"Bearer {key or backend.admin_key}"},
    )


def _audit(backend: LiveBackend, entity_id: str) -> list[dict[str, Any]]:
    answer = backend.admin("GET", "/audit-events", params={"entityId": entity_id})
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def test_approving_with_corrected_fields_opens_the_case(backend: LiveBackend) -> None:
    document = _flagged(backend)
    name = f"Clear Corp {secrets.token_hex(3)}"
    answer = _review(
        backend,
        document["id"],
        {
            "decision": "APPROVE",
            "fields": {
                "amount": "1234.50",
                "currency": "eur",
                "dueDate": "2026-01-31",
                "customerName": name,
                "invoiceNumber": "INV-REVIEWED-1",
            },
            "reason": "read the total off the scan",
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["decision"] == "APPROVE" and body["document"]["status"] == "EXTRACTED"
    assert body["extraction"]["outcome"] == "CASE_CREATED"
    assert body["extraction"]["extractedData"]["_method"] == "REVIEW"
    case = backend.admin("GET", f"/recovery-cases/{body['recoveryCaseId']}")
    assert case.status_code == 200
    assert '"amount":1234.50' in case.text
    opened = case.json()
    assert opened["currency"] == "EUR" and opened["dueDate"] == "2026-01-31"
    assert opened["invoiceNumber"] == "INV-REVIEWED-1" and opened["customer"]["name"] == name
    assert document["id"] in {d["id"] for d in opened["documents"]}
    actions = {e["action"] for e in _audit(backend, document["id"])}
    assert "document.reviewed" in actions
    case_actions = {e["action"] for e in _audit(backend, opened["id"])}
    assert "case.created_from_document" in case_actions
    again = _review(backend, document["id"], {"decision": "APPROVE"})
    assert again.status_code == 409, again.text


def test_printed_contacts_reach_the_new_customer(backend: LiveBackend) -> None:
    """Extraction's customer phone/address/VAT id/language, confirmed or corrected by the
    reviewer, are the customer's when the approval creates it."""
    document = _flagged(backend)
    name = f"Boulangerie Martin {secrets.token_hex(3)}"
    answer = _review(
        backend,
        document["id"],
        {
            "decision": "APPROVE",
            "fields": {
                "amount": "120.00",
                "currency": "EUR",
                "dueDate": "2026-02-28",
                "customerName": name,
                "customerPhone": "04 78 00 00 00",
                "customerAddress": "4 rue des Lilas, 69001 Lyon",
                "customerVatId": "FR12345678901",
                "customerLanguage": "fr",
            },
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["extraction"]["outcome"] == "CASE_CREATED", body
    case = backend.admin("GET", f"/recovery-cases/{body['recoveryCaseId']}").json()
    customer = backend.admin("GET", f"/customers/{case['customer']['id']}").json()
    assert customer["phone"] == "+33478000000"
    assert customer["address"] == "4 rue des Lilas, 69001 Lyon"
    assert customer["postalAddress"] == "4 rue des Lilas, 69001 Lyon"
    assert customer["vatId"] == "FR12345678901"
    assert customer["locale"] == "fr_FR"
    bad = _review(
        backend,
        _flagged(backend)["id"],
        {"decision": "APPROVE", "fields": {"customerLanguage": "French"}},
    )
    assert bad.status_code == 422, bad.text


def test_approving_a_linked_document_fills_its_case(backend: LiveBackend) -> None:
    case = backend.new_case(amount="5000.00", invoiceNumber=None)
    document = _flagged(backend, recoveryCaseId=case["id"])
    answer = _review(
        backend,
        document["id"],
        {"decision": "APPROVE", "fields": {"invoiceNumber": "INV-FILLED-7"}},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["extraction"]["outcome"] == "APPLIED"
    assert answer.json()["recoveryCaseId"] == case["id"]
    filled = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    assert filled["invoiceNumber"] == "INV-FILLED-7"


def test_an_approval_that_cannot_apply_changes_nothing(backend: LiveBackend) -> None:
    case = backend.new_case(amount="100.00")
    document = _flagged(backend, recoveryCaseId=case["id"])
    # the extracted 5000.00 still conflicts with the case's 100.00
    answer = _review(backend, document["id"], {"decision": "APPROVE"})
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "conflicts with the case" in problem["detail"]
    unchanged = backend.admin("GET", f"/documents/{document['id']}").json()
    assert unchanged["status"] == "NEEDS_REVIEW"
    assert "document.reviewed" not in {e["action"] for e in _audit(backend, document["id"])}
    missing = _flagged(backend)  # no due date: no case can be opened
    refused = _review(backend, missing["id"], {"decision": "APPROVE"})
    assert refused.status_code == 422 and "dueDate" in refused.json()["detail"]


def test_rejecting_keeps_the_reason(backend: LiveBackend) -> None:
    document = _flagged(backend)
    answer = _review(
        backend, document["id"], {"decision": "REJECT", "reason": "not an invoice of ours"}
    )
    assert answer.status_code == 200, answer.text
    stored = backend.admin("GET", f"/documents/{document['id']}").json()
    assert stored["status"] == "REJECTED" and stored["failureReason"] == "not an invoice of ours"
    events = [e for e in _audit(backend, document["id"]) if e["action"] == "document.reviewed"]
    assert events and events[0]["after"]["decision"] == "REJECT"
    assert events[0]["actor"] == "test-admin"


def test_a_failed_document_can_be_retried(backend: LiveBackend) -> None:
    upload = backend.admin(
        "POST", "/documents", files={"file": ("scan.pdf", _pdf(), "application/pdf")}
    )
    document = upload.json()
    failed = backend.auto(
        "POST",
        "/extractions",
        json={
            "documentId": document["id"],
            "status": "FAILED",
            "error": "OCR found no text",
            "confidence": 0,
        },
    )
    assert failed.status_code == 201
    retried = backend.admin("POST", f"/documents/{document['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "PENDING_EXTRACTION" and not retried.json()["failureReason"]
    pending = backend.auto("GET", "/documents/pending-extraction", params={"limit": 1000})
    assert document["id"] in {d["id"] for d in pending.json()["documents"]}
    assert "document.retried" in {e["action"] for e in _audit(backend, document["id"])}
    twice = backend.admin("POST", f"/documents/{document['id']}/retry")
    assert twice.status_code == 409 and twice.json()["type"].endswith("document-not-failed")


def test_who_may_review_and_bad_input(backend: LiveBackend) -> None:
    document = _flagged(backend)
    for body in (
        {"decision": "MAYBE"},
        {"decision": "APPROVE", "fields": {"amount": "-5"}},
        {"decision": "APPROVE", "fields": {"currency": "XXQ"}},
        {"decision": "APPROVE", "fields": {"dueDate": "2026-02-30"}},
        {"decision": "APPROVE", "fields": {"colour": "red"}},
    ):
        bad = _review(backend, document["id"], body)
        assert bad.status_code == 422, (body, bad.text)
    assert _review(backend, "doc-nope", {"decision": "REJECT"}).status_code == 404
    robot = _review(backend, document["id"], {"decision": "REJECT"}, backend.automation_key)
    assert robot.status_code == 403
    anonymous = httpx.post(
        f"{backend.base_url}/api/v1/documents/{document['id']}/review",
        json={"decision": "REJECT"},
    )
    assert anonymous.status_code == 401
    by_agent = _review(backend, document["id"], {"decision": "REJECT"}, backend.agent_key)
    assert by_agent.status_code == 200, by_agent.text
    assert backend.admin("GET", f"/documents/{document['id']}").json()["status"] == "REJECTED"
