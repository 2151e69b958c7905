"""Upload → extraction worker → what the extraction changes, against the real backend."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.backend import LiveBackend, wait_until
from tests.support.workers import WorkerProcess, start_worker

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "invoices"
EINVOICE = CORPUS / "einvoice" / "zugferd__XML-Rechnung__FX__EN16931_Einfach_DueDate.pdf"
TEXT_PDF = CORPUS / "pdf" / "i2d__QualityHosting.pdf"

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason=f"invoice corpus not found at {CORPUS}")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def extracting(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[LiveBackend]:
    backend = backend_factory(request.param)
    worker: WorkerProcess = start_worker(
        backend, smtp_url=None, services="extraction", name="extract"
    )
    yield backend
    worker.terminate()


def _upload(
    backend: LiveBackend, data: bytes, name: str, case_id: str | None = None
) -> dict[str, Any]:
    form = {"type": "INVOICE", **({"recoveryCaseId": case_id} if case_id else {})}
    response = backend.admin(
        "POST", "/documents", files={"file": (name, data, "application/pdf")}, data=form
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _document(backend: LiveBackend, doc_id: str) -> dict[str, Any]:
    result: dict[str, Any] = backend.admin("GET", f"/documents/{doc_id}").json()
    return result


def _done(backend: LiveBackend, doc_id: str) -> dict[str, Any] | None:
    doc = _document(backend, doc_id)
    return doc if doc["status"] != "PENDING_EXTRACTION" else None


def test_einvoice_without_a_case_opens_one(extracting: LiveBackend) -> None:
    doc = _upload(extracting, EINVOICE.read_bytes(), EINVOICE.name)
    done = wait_until(lambda: _done(extracting, doc["id"]), timeout=60, message="extraction")
    assert done["status"] == "EXTRACTED"
    case_id = done["metadata"]["recoveryCaseId"]
    case = extracting.admin("GET", f"/recovery-cases/{case_id}").json()
    assert case["invoiceNumber"] == "471102"
    assert case["amount"] == 529.87 and case["currency"] == "EUR"
    assert case["dueDate"] == "2019-03-05"
    assert case["customer"]["name"] == "Kunden AG Mitte"
    assert [e["outcome"] for e in case["extractions"]] == ["CASE_CREATED"]
    pending = extracting.auto("GET", "/documents/pending-extraction").json()["documents"]
    assert doc["id"] not in {d["id"] for d in pending}


def test_einvoice_fills_the_linked_case(extracting: LiveBackend) -> None:
    case = extracting.new_case(
        invoiceNumber=None, amount="529.87", currency="EUR", dueDate="2019-03-05"
    )
    doc = _upload(extracting, EINVOICE.read_bytes(), EINVOICE.name, case["id"])
    wait_until(lambda: _done(extracting, doc["id"]), timeout=60, message="extraction")
    detail = extracting.admin("GET", f"/recovery-cases/{case['id']}").json()
    assert detail["invoiceNumber"] == "471102"
    assert detail["extractions"][0]["outcome"] == "APPLIED"


def test_conflict_or_low_confidence_needs_review(extracting: LiveBackend) -> None:
    conflicting = extracting.new_case(invoiceNumber="OTHER-1", amount="10.00", currency="EUR")
    doc = _upload(extracting, EINVOICE.read_bytes(), "copy.pdf", conflicting["id"])
    low = _upload(extracting, TEXT_PDF.read_bytes(), TEXT_PDF.name)
    for d in (doc, low):
        assert (
            wait_until(lambda d=d: _done(extracting, d["id"]), timeout=60)["status"]
            == "NEEDS_REVIEW"
        )
    review = extracting.admin("GET", "/documents", params={"status": "NEEDS_REVIEW"}).json()
    assert {doc["id"], low["id"]} <= {d["id"] for d in review["documents"]}
    assert "conflict" in _document(extracting, doc["id"])["failureReason"]
    timeline = extracting.admin("GET", f"/recovery-cases/{conflicting['id']}").json()["timeline"]
    assert any(
        e["action"] == "document.extracted" and e["after"]["status"] == "NEEDS_REVIEW"
        for e in timeline
    )


def test_corrupt_pdf_fails_once_with_a_reason(extracting: LiveBackend) -> None:
    doc = _upload(extracting, b"%PDF-1.4\n this is not really a PDF \n%%EOF", "broken.pdf")
    failed = wait_until(lambda: _done(extracting, doc["id"]), timeout=60, message="failure")
    assert failed["status"] == "FAILED" and failed["failureReason"]
    deadline = time.monotonic() + 1.5  # a few worker passes: the document is not picked up again
    while time.monotonic() < deadline:
        time.sleep(0.1)
    events = extracting.admin(
        "GET", "/audit-events", params={"entityId": doc["id"], "action": "document.extracted"}
    )
    assert events.json()["total"] == 1
