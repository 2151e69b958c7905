"""Issue 18.4: a policy's LETTER step renders the formal reminder letter when its manual task
is created (the real scheduler against the real backend, SQLite and PostgreSQL, asking
`POST /automation/tasks/{id}/letter`): the task's metadata links the LETTER document, whose
PDF text (pdftotext) names the invoice number and the total due; one letter per task however
often the step is planned, posted or its letter asked for; a customer without a postal address
still gets the task, with the reason instead of a letter, until a collector asks again; an
e-mail step that says `attachLetter` sends that PDF with the reminder (a real SMTP server)."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from payrec.automation.reminders import ReminderSender
from payrec.automation.scheduler import Scheduler
from payrec.automation.senders import Channels
from payrec.channels import SmtpEmailSender
from payrec.client import AutomationApiClient
from payrec.domain.policy import policy_from_dict, policy_to_dict
from tests.support.backend import LiveBackend
from tests.support.smtp_sink import SmtpSink

CREDITOR_ENV = {
    "PAYREC_CREDITOR_NAME": "Northwind Supplies Ltd",
    "PAYREC_CREDITOR_ADDRESS": "1 Harbour Road\\nBristol BS1 4QA\\nUnited Kingdom",
    "PAYREC_CREDITOR_IBAN": "DE89370400440532013000",
    "PAYREC_CREDITOR_BIC": "COBADEFFXXX",
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def letter_backend(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[LiveBackend]:
    yield backend_factory(request.param, env=CREDITOR_ENV)


def _letter_policy(backend: LiveBackend) -> str:
    made = backend.admin("POST", "/policies", json={
        "id": f"letter-{secrets.token_hex(4)}", "name": "Letter at once",
        "steps": [{"offsetDays": 1, "channel": "LETTER", "templateId": "letter-reminder"}],
        "maxContactsPer7Days": 3})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _schedule(backend: LiveBackend) -> None:
    with AutomationApiClient(backend.automation_url, backend.automation_key) as client:
        Scheduler(client, collections_email="team@example.com").step()


def _letter_tasks(backend: LiveBackend, case_id: str) -> list[dict[str, Any]]:
    listed = backend.admin("GET", "/tasks", params={"type": "LETTER", "recoveryCaseId": case_id})
    assert listed.status_code == 200, listed.text
    tasks: list[dict[str, Any]] = listed.json()["tasks"]
    return tasks


def _letters(backend: LiveBackend, case_id: str) -> list[dict[str, Any]]:
    detail = backend.admin("GET", f"/recovery-cases/{case_id}").json()
    return [d for d in detail["documents"] if d["type"] == "LETTER"]


def test_a_letter_step_has_its_letter_pdf_ready_exactly_once(
    letter_backend: LiveBackend, tmp_path: Path
) -> None:
    backend = letter_backend
    customer = backend.new_customer(
        name="Contoso Trading Ltd", email=f"ap-{secrets.token_hex(4)}@example.com",
        postalAddress="22 Mill Lane\nLeeds LS1 5AB\nUnited Kingdom",
        policyId=_letter_policy(backend), locale="en_GB", timezone="UTC")
    invoice = f"INV-L-{secrets.token_hex(3)}"
    due = datetime.now(UTC).date() - timedelta(days=10)
    case = backend.new_case(customer["id"], amount="1234.56", currency="EUR",
                            dueDate=due.isoformat(), invoiceNumber=invoice)

    _schedule(backend)
    _schedule(backend)  # a second pass plans nothing new
    (task,) = _letter_tasks(backend, case["id"])
    meta = task["metadata"]
    assert "letterError" not in meta, meta
    (document,) = _letters(backend, case["id"])
    assert meta["letterDocumentId"] == document["id"] and document["status"] == "GENERATED"
    assert meta["letterDownloadUrl"].endswith(f"/api/v1/documents/{document['id']}/content")
    (notice,) = backend.admin("GET", f"/recovery-cases/{case['id']}").json()["notifications"]
    assert f"Letter (PDF): {meta['letterWorkspaceUrl']}" in notice["body"]
    assert meta["letterWorkspaceUrl"].endswith(f"/app/review/{document['id']}/document")

    # the same task posted again (the scheduler retrying a batch) makes no second letter
    again = backend.auto("POST", "/tasks", json={
        "type": "LETTER", "scheduledAt": task["scheduledAt"], "recoveryCaseId": case["id"],
        "dedupeKey": task["dedupeKey"], "metadata": {"reminderType": "LETTER"}})
    assert again.status_code == 200, again.text
    assert again.json()["metadata"]["letterDocumentId"] == document["id"]
    for _ in range(2):  # asked for twice (a scheduler retrying): the same letter
        asked = backend.auto("POST", f"/tasks/{task['id']}/letter")
        assert asked.status_code == 200, asked.text
        assert asked.json()["metadata"]["letterDocumentId"] == document["id"]
    assert [d["id"] for d in _letters(backend, case["id"])] == [document["id"]]
    not_a_letter = backend.new_reminder_task(case["id"])
    refused = backend.auto("POST", f"/tasks/{not_a_letter['id']}/letter")
    assert refused.status_code == 409 and refused.json()["type"].endswith("task-not-a-letter")
    assert backend.auto("POST", "/tasks/no-such-task/letter").status_code == 404

    content = backend.http.get(
        meta["letterDownloadUrl"] if meta["letterDownloadUrl"].startswith("http")
        else backend.base_url + meta["letterDownloadUrl"],
        headers={"Authorization": f"Bearer {backend.agent_key}"})
    assert content.status_code == 200 and content.content.startswith(b"%PDF")
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(content.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    for item in (invoice, "Total due", "1,234.56", "Contoso Trading Ltd", "22 Mill Lane",
                 "Northwind Supplies Ltd"):
        assert item in flat, f"{item!r} missing from the letter:\n{text}"
    assert flat.count(invoice) >= 1


def test_a_letter_step_without_a_postal_address_keeps_its_task_and_says_why(
    letter_backend: LiveBackend,
) -> None:
    backend = letter_backend
    customer = backend.new_customer(
        name="No Address GmbH", email=f"ap-{secrets.token_hex(4)}@example.com",
        policyId=_letter_policy(backend), timezone="UTC")
    due = datetime.now(UTC).date() - timedelta(days=10)
    case = backend.new_case(customer["id"], currency="EUR", dueDate=due.isoformat())
    _schedule(backend)
    (task,) = _letter_tasks(backend, case["id"])
    assert task["status"] == "PENDING" and task["metadata"]["instruction"]["body"]
    error = task["metadata"]["letterError"]
    assert "postal address" in error["detail"] and "letterDocumentId" not in task["metadata"]
    assert _letters(backend, case["id"]) == []

    # the address added, a collector asks for the letter again: made now, the error gone
    fixed = backend.admin("PATCH", f"/customers/{customer['id']}",
                          json={"postalAddress": "Ringstraße 1\n10115 Berlin"})
    assert fixed.status_code == 200, fixed.text
    asked = backend.http.post(f"{backend.base_url}/api/v1/tasks/{task['id']}/letter",
                              headers={"Authorization": f"Bearer {backend.agent_key}"})
    assert asked.status_code == 200, asked.text
    meta = asked.json()["metadata"]
    (document,) = _letters(backend, case["id"])
    assert meta["letterDocumentId"] == document["id"] and "letterError" not in meta


def test_an_email_step_with_attach_letter_sends_the_letter_step_pdf(
    letter_backend: LiveBackend,
) -> None:
    backend = letter_backend
    email = f"ap-{secrets.token_hex(4)}@example.com"
    customer = backend.new_customer(
        name="Fabrikam Ltd", email=email, postalAddress="3 Quay Street\nCork\nIreland",
        policyId=_letter_policy(backend), locale="en_GB", timezone="UTC")
    due = datetime.now(UTC).date() - timedelta(days=10)
    case = backend.new_case(customer["id"], amount="640.00", currency="EUR",
                            dueDate=due.isoformat())
    _schedule(backend)  # the LETTER step makes the letter
    (document,) = _letters(backend, case["id"])
    letter = backend.http.get(f"{backend.base_url}/api/v1/documents/{document['id']}/content",
                              headers={"Authorization": f"Bearer {backend.agent_key}"})
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")
    # the step's option, as the scheduler plans it
    step = {"offsetDays": 12, "channel": "EMAIL", "templateId": "reminder-2", "attachLetter": True}
    planned = policy_from_dict({"id": "p", "name": "P", "steps": [step]})
    assert planned.steps[0].attach_letter and policy_to_dict(planned)["steps"][0]["attachLetter"]
    task = backend.new_reminder_task(case["id"], templateId="reminder-2", attachLetter=True)

    sink = SmtpSink().start()
    mail = SmtpEmailSender(sink.url, "Collections <collections@payrec.test>", timeout=10)
    channels = Channels(email=mail, sms=mail, collections_email="c@payrec.test")  # type: ignore[arg-type]
    try:
        with AutomationApiClient(backend.base_url, backend.automation_key) as client:
            sender = ReminderSender(client, channels, worker_id="w-letter", concurrency=1)
            try:
                mine = [t for t in sender._claim(20) if t["id"] == task["id"]]
                assert mine, "the reminder task was not claimed"
                assert sender.process(mine[0]).status == "COMPLETED"
            finally:
                sender.close()
        (received,) = sink.to(email)
    finally:
        mail.close()
        sink.stop()
    parts = [p for p in received.message.walk() if p.get_content_type() == "application/pdf"]
    assert [p.get_filename() for p in parts] == [document["fileName"]]
    assert parts[0].get_content_disposition() == "attachment"
    assert parts[0].get_payload(decode=True) == letter.content
