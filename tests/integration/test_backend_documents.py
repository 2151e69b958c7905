"""Documents: multipart upload, content-addressed storage, pending extraction, results."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.support.backend import LiveBackend

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
INVOICES = SHARED / "corpus" / "invoices" / "pdf"


def _pdf(name: str = "i2d__AmazonWebServices.pdf") -> bytes:
    path = INVOICES / name
    if not path.exists():
        pytest.skip(f"corpus file {path} not present")
    return path.read_bytes()


def _unique_pdf() -> bytes:
    """A real invoice PDF made unique by a trailing comment (so its content hash is new)."""
    return _pdf() + f"\n%{secrets.token_hex(8)}\n".encode()


def _upload(backend: LiveBackend, data: bytes, **form: str) -> dict[str, Any]:
    response = backend.admin(
        "POST",
        "/documents",
        files={"file": ("invoice-2024-001.pdf", data, "application/pdf")},
        data={"type": "INVOICE", **form},
    )
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


def _pending_ids(backend: LiveBackend) -> set[str]:
    response = backend.auto("GET", "/documents/pending-extraction", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return {d["id"] for d in response.json()["documents"]}


def _extract(backend: LiveBackend, document_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "documentId": document_id,
        "extractionType": "INVOICE",
        "extractedData": {
            "invoiceNumber": f"INV-{secrets.token_hex(4)}",
            "amount": 5000.00,
            "currency": "USD",
            "dueDate": "2024-01-10",
            "customerName": f"Acme Corp {secrets.token_hex(3)}",
            "lineItems": [{"description": "Service Fee", "amount": 5000.00}],
        },
        "confidence": 0.95,
        "extractedAt": "2024-01-15T10:00:00Z",
        **fields,
    }
    response = backend.auto("POST", "/extractions", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_upload_store_list_download(backend: LiveBackend) -> None:
    data = _unique_pdf()
    case = backend.new_case()
    document = _upload(backend, data, recoveryCaseId=case["id"])
    digest = hashlib.sha256(data).hexdigest()
    assert document["id"].startswith("doc-") and document["sha256"] == digest
    assert document["status"] == "PENDING_EXTRACTION" and document["size"] == len(data)
    assert document["metadata"] == {"recoveryCaseId": case["id"], "mimeType": "application/pdf"}
    stored = backend.data_dir / "documents" / digest[:2] / digest
    assert stored.read_bytes() == data

    listing = backend.auto("GET", "/documents/pending-extraction", params={"limit": 1000}).json()
    mine = [d for d in listing["documents"] if d["id"] == document["id"]]
    assert mine and listing["total"] >= 1
    entry = mine[0]
    assert {"id", "type", "fileName", "uploadedAt", "downloadUrl", "metadata"} <= entry.keys()
    assert entry["fileName"] == "invoice-2024-001.pdf" and entry["type"] == "INVOICE"
    assert entry["downloadUrl"].startswith(backend.base_url + "/api/v1/automation/")
    download = backend.http.get(
        entry["downloadUrl"], headers={"Authorization": f"Bearer {backend.automation_key}"}
    )
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-type"] == "application/pdf"
    anonymous = backend.http.get(entry["downloadUrl"])
    assert anonymous.status_code == 401
    typed = backend.auto("GET", "/documents/pending-extraction", params={"type": "STATEMENT"})
    assert document["id"] not in {d["id"] for d in typed.json()["documents"]}

    # the same bytes again: a second document, one stored file
    again = _upload(backend, data)
    assert again["id"] != document["id"] and again["sha256"] == digest
    assert [p.name for p in stored.parent.iterdir() if p.name == digest] == [digest]
    detail = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    assert document["id"] in {d["id"] for d in detail["documents"]}


def test_extraction_above_threshold_opens_a_case(backend: LiveBackend) -> None:
    document = _upload(backend, _unique_pdf())
    result = _extract(backend, document["id"], confidence=0.95)
    assert result["id"].startswith("ext-") and result["outcome"] == "CASE_CREATED"
    assert document["id"] not in _pending_ids(backend)
    case_id = result["recoveryCaseId"]
    case = backend.admin("GET", f"/recovery-cases/{case_id}")
    assert case.status_code == 200
    body = case.json()
    assert body["status"] == "OVERDUE" and '"amount":5000.00' in case.text
    assert body["customer"]["name"].startswith("Acme Corp")
    assert document["id"] in {d["id"] for d in body["documents"]}
    assert backend.admin("GET", f"/documents/{document['id']}").json()["status"] == "EXTRACTED"


def test_extraction_below_threshold_needs_review(backend: LiveBackend) -> None:
    document = _upload(backend, _unique_pdf())
    cases_before = backend.admin("GET", "/recovery-cases", params={"limit": 1}).json()["total"]
    result = _extract(backend, document["id"], confidence=0.5)
    assert result["outcome"] == "NEEDS_REVIEW" and result["recoveryCaseId"] is None
    assert document["id"] not in _pending_ids(backend)
    review = backend.admin(
        "GET", "/documents", params={"status": "NEEDS_REVIEW", "limit": 1000}
    ).json()
    flagged = [d for d in review["documents"] if d["id"] == document["id"]]
    assert flagged and "confidence" in flagged[0]["failureReason"]
    cases_after = backend.admin("GET", "/recovery-cases", params={"limit": 1}).json()["total"]
    assert cases_after == cases_before


def test_extraction_conflicting_with_its_case_needs_review(backend: LiveBackend) -> None:
    case = backend.new_case(amount="100.00")
    document = _upload(backend, _unique_pdf(), recoveryCaseId=case["id"])
    result = _extract(backend, document["id"])
    assert result["outcome"] == "NEEDS_REVIEW" and "amount" in result["outcomeDetail"]
    detail = backend.admin("GET", f"/recovery-cases/{case['id']}")
    assert '"amount":100.00' in detail.text


def test_failed_extraction_is_marked_with_its_reason(backend: LiveBackend) -> None:
    document = _upload(backend, _unique_pdf())
    result = _extract(
        backend,
        document["id"],
        status="FAILED",
        error="scanned page unreadable: OCR found no text",
        confidence=0,
        extractedData={},
    )
    assert result["outcome"] == "FAILED"
    assert document["id"] not in _pending_ids(backend)
    stored = backend.admin("GET", f"/documents/{document['id']}").json()
    assert stored["status"] == "FAILED"
    assert stored["failureReason"] == "scanned page unreadable: OCR found no text"
    failed = backend.admin("GET", "/documents", params={"status": "FAILED", "limit": 1000})
    assert document["id"] in {d["id"] for d in failed.json()["documents"]}


def test_agent_and_admin_read_content_through_management(backend: LiveBackend) -> None:
    data = _unique_pdf()
    document = _upload(backend, data)
    for key in (backend.admin_key, backend.agent_key):
        response = backend.http.get(
            f"{backend.base_url}/api/v1/documents/{document['id']}/content",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200 and response.content == data
    denied = backend.http.get(
        document["downloadUrl"], headers={"Authorization": f"Bearer {backend.admin_key}"}
    )
    assert denied.status_code == 403
