"""The customer page and the review queue in a real Chromium: a collector opens a customer
from a case and sees the statement and changes an opt-out (audited, as the API's PATCH); a
reviewer approves a flagged document with corrected fields and the case appears with them,
rejects another and retries a failed one; bad field input shows the form again with the
error. Screenshots of every page are saved by the run (and copied into docs/img/)."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.backend import LiveBackend
from tests.support.workspace import AppClient, browser_sign_in, create_user

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "invoices" / "pdf"


def _pdf() -> bytes:
    path = CORPUS / "i2d__AmazonWebServices.pdf"
    if not path.exists():
        pytest.skip(f"corpus file {path} not present")
    return path.read_bytes() + f"\n%{secrets.token_hex(8)}\n".encode()  # a new content hash


def _flagged(backend: LiveBackend, file_name: str, *, failed: bool = False) -> str:
    """A document uploaded through the API and extracted below the threshold (or failed)."""
    upload = backend.admin(
        "POST",
        "/documents",
        files={"file": (file_name, _pdf(), "application/pdf")},
        data={"type": "INVOICE"},
    )
    assert upload.status_code == 201, upload.text
    document_id: str = upload.json()["id"]
    body: dict[str, Any] = {
        "documentId": document_id,
        "extractionType": "INVOICE",
        "extractedData": {
            "invoiceNumber": f"INV-OCR-{secrets.token_hex(3)}",
            "amount": "5000.00",
            "currency": "USD",
            "dueDate": "2024-01-10",
            "customerName": f"Review Roasters {secrets.token_hex(3)}",
            "_fieldConfidence": {"invoiceNumber": "0.41", "amount": "0.55"},
        },
        "confidence": 0.5,
        "extractedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if failed:
        body.update(status="FAILED", error="OCR found no text", confidence=0, extractedData={})
    answer = backend.auto("POST", "/extractions", json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["outcome"] == ("FAILED" if failed else "NEEDS_REVIEW"), answer.text
    return document_id


def _status(backend: LiveBackend, document_id: str) -> str:
    status: str = backend.admin("GET", f"/documents/{document_id}").json()["status"]
    return status


def test_collector_opens_a_customer_sees_the_statement_and_changes_an_opt_out(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    backend = sqlite_backend
    agent = create_user(backend, "AGENT", name="Olga Owed")
    tag = secrets.token_hex(3)
    customer = backend.new_customer(
        name=f"Statement Stationers {tag}", timezone="Europe/Paris", locale="fr_FR"
    )
    overdue = (date.today() - timedelta(days=20)).isoformat()
    later = (date.today() + timedelta(days=20)).isoformat()
    first = backend.new_case(
        customer["id"], invoiceNumber=f"INV-ST1-{tag}", amount="800.00", dueDate=overdue
    )
    backend.new_case(customer["id"], invoiceNumber=f"INV-ST2-{tag}", amount="200.00", dueDate=later)
    paid = backend.admin(
        "POST",
        f"/recovery-cases/{first['id']}/payments",
        json={"amount": "300.00", "currency": "USD"},
    )
    assert paid.status_code == 201, paid.text

    page.goto(backend.base_url + "/app/")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    screenshots(page, "sign-in")
    browser_sign_in(page, backend, agent)
    page.get_by_label("Search", exact=True).fill(f"INV-ST1-{tag}")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    screenshots(page, "worklist")
    page.get_by_role("link", name=f"INV-ST1-{tag}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"INV-ST1-{tag}")
    screenshots(page, "case")

    page.get_by_role("link", name=f"Statement Stationers {tag}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Statement Stationers {tag}")
    expect(page.get_by_test_id("outstanding-USD")).to_have_text("$700.00")
    expect(page.get_by_test_id("overdue-USD")).to_have_text("$500.00")
    cases = page.get_by_role("table", name="Cases")
    expect(cases.get_by_role("link")).to_have_count(2)
    expect(page.get_by_text("Europe/Paris")).to_be_visible()
    expect(page.get_by_test_id("sms-reminders")).to_have_text("allowed")
    screenshots(page, "customer")

    page.get_by_label("No SMS reminders").check()
    page.get_by_role("button", name="Save opt-outs").click()
    expect(page.get_by_role("status")).to_have_text("Opt-outs saved.")
    expect(page.get_by_test_id("sms-reminders")).to_have_text("opted out")
    expect(page.get_by_test_id("email-reminders")).to_have_text("allowed")
    expect(page.get_by_label("No SMS reminders")).to_be_checked()
    screenshots(page, "customer-opted-out")

    stored = backend.admin("GET", f"/customers/{customer['id']}").json()
    assert stored["optOutSms"] is True and stored["optOutEmail"] is False
    audit = backend.admin("GET", "/audit-events", params={"entityId": customer["id"]})
    assert audit.status_code == 200, audit.text
    updates = [e for e in audit.json()["events"] if e["action"] == "customer.updated"]
    assert [e["actor"] for e in updates] == [agent.email]
    page.get_by_role("link", name=f"INV-ST2-{tag}").click()  # every case links to its page
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"INV-ST2-{tag}")


def test_reviewer_approves_a_flagged_document_and_the_case_has_the_corrected_fields(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    backend = sqlite_backend
    reviewer = create_user(backend, "AGENT", name="Rita Reviewer")
    tag = secrets.token_hex(3)
    document_id = _flagged(backend, f"flagged-{tag}.pdf")

    browser_sign_in(page, backend, reviewer)
    page.get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("heading", name="Review queue", level=1)).to_be_visible()
    waiting = page.get_by_role("table", name="Waiting for review")
    expect(waiting.get_by_role("link", name=f"flagged-{tag}.pdf")).to_be_visible()
    screenshots(page, "review-queue")
    waiting.get_by_role("link", name=f"flagged-{tag}.pdf").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"flagged-{tag}.pdf")
    image = page.get_by_role("img", name="Page 1 of 1")
    expect(image).to_be_visible()
    page.wait_for_function(  # the page rendered as PNG by the backend, not a broken image
        "(img) => img.complete && img.naturalWidth > 100", arg=image.element_handle()
    )
    expect(page.get_by_label("Amount")).to_have_value("5000.00")
    screenshots(page, "review-document")

    page.get_by_label("Amount").fill("lots")  # bad input: the form again, with the error
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text("Amount")
    expect(page.get_by_label("Amount")).to_have_value("lots")
    assert _status(backend, document_id) == "NEEDS_REVIEW"
    screenshots(page, "review-bad-input")

    page.get_by_label("Invoice number").fill(f"INV-FIXED-{tag}")
    page.get_by_label("Amount").fill("4321.00")
    page.get_by_label("Customer name").fill(f"Reviewed Roasters {tag}")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"INV-FIXED-{tag}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Reviewed Roasters {tag}")
    expect(page.get_by_test_id("outstanding")).to_have_text("$4,321.00")
    screenshots(page, "approved-case")

    assert _status(backend, document_id) == "EXTRACTED"
    case_id = page.url.rsplit("/", 1)[1]
    case = backend.admin("GET", f"/recovery-cases/{case_id}").json()
    assert case["invoiceNumber"] == f"INV-FIXED-{tag}"
    assert case["amount"] in ("4321.00", 4321.0, "4321")
    assert case["customer"]["name"] == f"Reviewed Roasters {tag}"


def test_reviewer_rejects_one_retries_a_failed_one_and_csrf_less_posts_are_refused(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    backend = sqlite_backend
    reviewer = create_user(backend, "AGENT")
    tag = secrets.token_hex(3)
    rejected = _flagged(backend, f"junk-{tag}.pdf")
    failed = _flagged(backend, f"blank-{tag}.pdf", failed=True)

    with AppClient(backend) as client:  # no CSRF token, nothing written
        client.signed_in_as(reviewer)
        for path in (f"/app/review/{rejected}/reject", f"/app/review/{failed}/retry"):
            assert client.post(path, {}, csrf=False).status_code == 403
        assert client.get(f"/app/review/{rejected}/document").headers["content-type"] == (
            "application/pdf"
        )
        for path in ("/app/review/doc-nope", "/app/customers/cust-nope"):
            assert client.get(path).status_code == 404
        assert client.get(f"/app/review/{rejected}/pages/2.png").status_code == 404
    assert (_status(backend, rejected), _status(backend, failed)) == ("NEEDS_REVIEW", "FAILED")

    browser_sign_in(page, backend, reviewer)
    page.goto(backend.base_url + "/app/review")
    page.get_by_role("link", name=f"junk-{tag}.pdf").click()
    page.get_by_label("Reason").fill("Not an invoice of ours")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status")).to_have_text("Document rejected.")
    expect(page.get_by_role("link", name=f"junk-{tag}.pdf")).to_have_count(0)

    failed_table = page.get_by_role("table", name="Extraction failed")
    expect(failed_table).to_contain_text("OCR found no text")
    page.get_by_role("form", name=f"Retry blank-{tag}.pdf").get_by_role(
        "button", name="Retry"
    ).click()
    expect(page.get_by_role("status")).to_have_text("Document sent back to extraction.")
    expect(page.get_by_role("link", name=f"blank-{tag}.pdf")).to_have_count(0)
    screenshots(page, "review-after-reject-and-retry")

    assert _status(backend, rejected) == "REJECTED"
    assert backend.admin("GET", f"/documents/{rejected}").json()["failureReason"] == (
        "Not an invoice of ours"
    )
    assert _status(backend, failed) == "PENDING_EXTRACTION"


def test_the_customer_page_and_the_review_queue_speak_the_users_language(
    sqlite_backend: LiveBackend,
) -> None:
    backend = sqlite_backend
    collector = create_user(backend, "AGENT", language="de")
    case = backend.new_case(amount="1234.50")
    document_id = _flagged(backend, f"deutsch-{secrets.token_hex(3)}.pdf")
    with AppClient(backend) as client:
        client.signed_in_as(collector)
        customer = client.get(f"/app/customers/{case['customerId']}")
        assert customer.status_code == 200
        for words in ("Kontoauszug", "Keine SMS-Erinnerungen", "1.234,50"):
            assert words in customer.text
        queue = client.get("/app/review")
        assert queue.status_code == 200 and "Wartet auf Prüfung" in queue.text
        client.get(f"/app/review/{document_id}")
        refused = client.post(f"/app/review/{document_id}/approve", {"currency": "EURO"})
        assert refused.status_code == 422 and "Währung" in refused.text
    assert _status(backend, document_id) == "NEEDS_REVIEW"
