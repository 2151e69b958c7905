"""A case's reminders as one mail conversation, with its invoice PDF when the step says so.

The real backend (SQLite), the reminder sender, and a real SMTP server (aiosmtpd): what the
customer's mail client receives is what is checked.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
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

SENDER = "Collections <collections@payrec.test>"


@pytest.fixture(scope="module")
def live(backend_factory: Callable[..., LiveBackend]) -> Iterator[LiveBackend]:
    backend = backend_factory("sqlite")
    try:
        yield backend
    finally:
        backend.stop()


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sender(
    live: LiveBackend, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], ReminderSender]]:
    """Make a sender (after setting its environment); all are closed at the end."""
    made: list[ReminderSender] = []
    email = SmtpEmailSender(sink.url, SENDER, timeout=10)
    channels = Channels(email=email, sms=email, collections_email="c@payrec.test")  # type: ignore[arg-type]
    with AutomationApiClient(live.base_url, live.automation_key) as client:

        def make() -> ReminderSender:
            made.append(ReminderSender(client, channels, worker_id="w-mail", concurrency=1))
            return made[-1]

        try:
            yield make
        finally:
            for one in made:
                one.close()
            email.close()


def _send_one(
    live: LiveBackend, sink: SmtpSink, sender: ReminderSender, case_id: str, **meta: Any
) -> Message:
    before = len(sink.messages)
    live.new_reminder_task(case_id, **meta)
    [task] = sender._claim(5)
    assert sender.process(task).status == "COMPLETED"
    assert len(sink.messages) == before + 1
    return sink.messages[-1].message


def _pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%"
        + secrets.token_hex(16).encode()
        + b"\n%%EOF\n"
    )


def _upload(live: LiveBackend, case_id: str, data: bytes, kind: str = "INVOICE") -> dict[str, Any]:
    response = live.admin(
        "POST",
        "/documents",
        files={"file": (f"{kind}-42.pdf", data, "application/pdf")},
        data={"type": kind, "recoveryCaseId": case_id},
    )
    assert response.status_code in (200, 201), response.text
    document: dict[str, Any] = response.json()
    return document


def _pdf_parts(message: Message) -> list[Message]:
    return [p for p in message.walk() if p.get_content_type() == "application/pdf"]


def test_a_cases_reminders_chain_into_one_conversation(
    live: LiveBackend, sink: SmtpSink, sender: Callable[[], ReminderSender]
) -> None:
    reminders = sender()
    case = live.new_case(amount="120.00")["id"]
    other = live.new_case(amount="80.00")["id"]
    first = _send_one(live, sink, reminders, case)
    assert first["In-Reply-To"] is None and first["References"] is None
    second = _send_one(live, sink, reminders, case, templateId="reminder-2")
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    third = _send_one(live, sink, reminders, case, templateId="reminder-3")
    assert third["In-Reply-To"] == second["Message-ID"]
    assert third["References"].split() == [first["Message-ID"], second["Message-ID"]]
    assert len({first["Message-ID"], second["Message-ID"], third["Message-ID"]}) == 3
    # another invoice is another conversation
    alone = _send_one(live, sink, reminders, other)
    assert alone["In-Reply-To"] is None and alone["References"] is None


def test_a_step_with_attach_invoice_sends_the_cases_pdf(
    live: LiveBackend, sink: SmtpSink, sender: Callable[[], ReminderSender]
) -> None:
    reminders = sender()
    case = live.new_case(amount="300.00")["id"]
    _upload(live, case, _pdf())  # an older upload: the latest one is the invoice sent
    data = _pdf()
    _upload(live, case, data)
    _upload(live, case, _pdf(), kind="PAYMENT")  # a payment proof is not the invoice
    plain = _send_one(live, sink, reminders, case)  # the step does not say so
    assert _pdf_parts(plain) == []
    message = _send_one(live, sink, reminders, case, attachInvoice=True)
    [part] = _pdf_parts(message)
    assert part.get_filename() == "INVOICE-42.pdf"
    assert part.get_content_disposition() == "attachment"
    assert part.get_payload(decode=True) == data
    assert message.get_content_type() == "multipart/mixed"
    kinds = [p.get_content_type() for p in message.walk()]
    assert kinds[:4] == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html"]
    # a case without an uploaded document: the reminder goes without
    bare = live.new_case(amount="10.00")["id"]
    assert _pdf_parts(_send_one(live, sink, reminders, bare, attachInvoice=True)) == []


def test_an_invoice_over_the_cap_is_not_attached(
    live: LiveBackend,
    sink: SmtpSink,
    sender: Callable[[], ReminderSender],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PAYREC_ATTACHMENT_MAX_BYTES", "64")
    reminders = sender()
    assert reminders.attachment_max_bytes == 64
    case = live.new_case(amount="55.00")["id"]
    _upload(live, case, _pdf() + b"%" + b"x" * 200 + b"\n")
    with caplog.at_level("INFO", logger="payrec.worker.reminders"):
        message = _send_one(live, sink, reminders, case, attachInvoice=True)
    assert _pdf_parts(message) == []
    assert any("over 64 bytes" in r.getMessage() for r in caplog.records)


def test_attach_invoice_is_a_policy_step_field() -> None:
    base = {"id": "p-1", "name": "P", "steps": []}
    step = {"offsetDays": 3, "channel": "EMAIL", "templateId": "reminder-1"}
    plain = policy_from_dict({**base, "steps": [step]})
    assert plain.steps[0].attach_invoice is False
    assert policy_to_dict(plain)["steps"][0]["attachInvoice"] is False
    attached = policy_from_dict({**base, "steps": [{**step, "attachInvoice": True}]})
    assert attached.steps[0].attach_invoice is True
    assert policy_from_dict(policy_to_dict(attached)) == attached
    with pytest.raises(ValueError, match="attachInvoice"):
        policy_from_dict({**base, "steps": [{**step, "attachInvoice": "yes"}]})


def test_the_policy_api_keeps_attach_invoice(live: LiveBackend) -> None:
    body = {
        "name": "With invoices",
        "steps": [
            {
                "offsetDays": 3,
                "channel": "EMAIL",
                "templateId": "reminder-1",
                "attachInvoice": True,
            },
            {"offsetDays": 9, "channel": "EMAIL", "templateId": "reminder-2"},
        ],
    }
    created = live.admin("POST", "/policies", json=body)
    assert created.status_code == 201, created.text
    steps = live.admin("GET", f"/policies/{created.json()['id']}").json()["steps"]
    assert [s["attachInvoice"] for s in steps] == [True, False]
    bad = live.admin(
        "POST", "/policies", json={**body, "steps": [{**body["steps"][0], "attachInvoice": 1}]}
    )
    assert bad.status_code == 422, bad.text


def test_the_scheduler_plans_an_attach_invoice_step_with_it(live: LiveBackend) -> None:
    """Last in the module: the scheduler plans every case of the backend."""
    made = live.admin(
        "POST",
        "/policies",
        json={
            "name": "Invoice at once",
            "steps": [
                {"offsetDays": 1, "channel": "EMAIL", "templateId": "reminder-1"},
                {
                    "offsetDays": 2,
                    "channel": "EMAIL",
                    "templateId": "reminder-2",
                    "attachInvoice": True,
                },
            ],
            "catchUp": "LATEST_STEP",
        },
    )
    assert made.status_code == 201, made.text
    customer = live.new_customer(policyId=made.json()["id"], timezone="UTC")
    due = datetime.now(UTC).date() - timedelta(days=5)
    case = live.new_case(customer["id"], dueDate=due.isoformat())["id"]
    with AutomationApiClient(live.automation_url, live.automation_key) as client:
        Scheduler(client, collections_email="team@example.com").step()
        tasks = client.get_scheduled_tasks(
            status="PENDING", type="REMINDER", due_before="2100-01-01T00:00:00Z", size=100
        )
    [task] = [t for t in tasks if t["recoveryCaseId"] == case]
    assert task["metadata"]["templateId"] == "reminder-2"
    assert task["metadata"]["attachInvoice"] is True
