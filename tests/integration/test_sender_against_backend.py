"""The reminder sender against the real backend, in process, where timing matters.

A claim records each task's reminder; the send may come later (the task waits for a thread,
or for a slow SMTP server). A payment that settles the case meanwhile cancels the task, and
the sender must find that out before it contacts the customer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from payrec.automation.reminders import ReminderSender
from payrec.automation.senders import Channels
from payrec.client import AutomationApiClient
from tests.support.backend import LiveBackend
from tests.support.channels import RecordingEmail


@pytest.fixture
def sender(module_backend: LiveBackend) -> Iterator[tuple[ReminderSender, RecordingEmail]]:
    email = RecordingEmail()
    channels = Channels(email=email, sms=email, collections_email="c@x")  # type: ignore[arg-type]
    with AutomationApiClient(module_backend.base_url, module_backend.automation_key) as client:
        sender = ReminderSender(client, channels, worker_id="w-fresh", concurrency=1)
        try:
            yield sender, email
        finally:
            sender.close()


def _claimed_task(backend: LiveBackend, sender: ReminderSender) -> dict[str, Any]:
    backend.new_reminder_task(backend.new_case(amount="100.00")["id"])
    [task] = sender._claim(5)
    assert task["reminder"]["status"] == "SCHEDULED"  # recorded by the claim
    return task


def test_a_case_paid_after_the_claim_gets_no_reminder(
    module_backend: LiveBackend, sender: tuple[ReminderSender, RecordingEmail]
) -> None:
    reminders, email = sender
    task = _claimed_task(module_backend, reminders)
    paid = module_backend.admin(
        "POST",
        f"/recovery-cases/{task['recoveryCaseId']}/payments",
        json={"amount": "100.00", "currency": "USD"},
    )
    assert paid.status_code == 201, paid.text
    # the task waited for a thread a few seconds after its claim
    reminders.leases.hold(task["id"], task["leaseToken"], since=time.monotonic() - 3)
    outcome = reminders.process(task)
    assert outcome.status == "LOST" and email.sent == []
    stored = module_backend.auto("GET", f"/reminders/{task['reminder']['id']}").json()
    assert stored["status"] == "CANCELLED"
    assert module_backend.auto("GET", f"/tasks/{task['id']}").json()["status"] == "CANCELLED"


def test_an_open_case_waiting_as_long_is_sent_once(
    module_backend: LiveBackend, sender: tuple[ReminderSender, RecordingEmail]
) -> None:
    reminders, email = sender
    task = _claimed_task(module_backend, reminders)
    reminders.leases.hold(task["id"], task["leaseToken"], since=time.monotonic() - 3)
    outcome = reminders.process(task)
    assert outcome.status == "COMPLETED" and len(email.sent) == 1
    stored = module_backend.auto("GET", f"/reminders/{task['reminder']['id']}").json()
    assert stored["status"] == "SENT"
    # the case shows what the customer received, as the reminder row kept it
    detail = module_backend.admin("GET", f"/recovery-cases/{task['recoveryCaseId']}").json()
    [kept] = [r["content"] for r in detail["reminders"] if r["id"] == stored["id"]]
    [message] = email.sent
    assert (kept["subject"], kept["body"]) == (message.subject, message.text)
