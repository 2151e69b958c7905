"""ReminderSender's decisions, with a scripted backend and a recording channel (unit level;
the end-to-end tests run the real worker against the real backend and SMTP)."""

from __future__ import annotations

import threading
import time
from typing import Any

from payrec.automation.reminders import Outcome, ReminderSender
from payrec.automation.senders import Channels
from payrec.channels import DeliveryResult
from payrec.client import ApiConnectionError, UnprocessableEntityError
from tests.support.channels import RecordingEmail

CASE = {
    "id": "case-1",
    "status": "OVERDUE",
    "amount": "100.00",
    "currency": "EUR",
    "dueDate": "2026-01-01",
    "customer": {"name": "A", "email": "a@example.com", "optOutEmail": False},
}


class ScriptedApi:
    """Answers like a backend whose reminder for task-1 was already marked SENT."""

    def __init__(self, *, replayed_status: str, current_status: str) -> None:
        self.replayed_status = replayed_status
        self.current_status = current_status
        self.calls: list[tuple[str, Any]] = []

    def create_reminder(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.calls.append(("create_reminder", body))
        # an idempotent replay answers what the first creation answered
        return {"id": "rem-1", "status": self.replayed_status, "content": {"text": "pay"}}

    def get_reminder(self, reminder_id: str) -> dict[str, Any]:
        self.calls.append(("get_reminder", reminder_id))
        return {"id": reminder_id, "status": self.current_status, "sentAt": "2026-11-01T00:00:00Z"}

    def update_task_status(self, task_id: str, status: str, result: Any, **kw: Any) -> None:
        self.calls.append(("update_task_status", (task_id, status)))

    def record_reminder_sent(self, reminder_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("record_reminder_sent", body))
        return {"id": reminder_id, "status": "SENT", "task": {"status": "COMPLETED"}}

    def heartbeat(self, *_: Any, **__: Any) -> None:
        pass


def _task(attempts: int) -> dict[str, Any]:
    return {
        "id": "task-1",
        "leaseToken": "lease",
        "attempts": attempts,
        "maxAttempts": 5,
        "recoveryCaseId": "case-1",
        "recoveryCase": CASE,
        "metadata": {"reminderType": "EMAIL", "templateId": "reminder-1"},
    }


def _sender(api: ScriptedApi, email: RecordingEmail) -> ReminderSender:
    channels = Channels(email=email, sms=email, collections_email="c@x")  # type: ignore[arg-type]
    return ReminderSender(api, channels, worker_id="w", concurrency=1)  # type: ignore[arg-type]


def _process_once(api: ScriptedApi, attempts: int) -> tuple[Outcome, RecordingEmail]:
    """One task (with `attempts` before) through a fresh sender; its outcome and the sends."""
    email = RecordingEmail()
    sender = _sender(api, email)
    try:
        return sender.process(_task(attempts=attempts)), email
    finally:
        sender.close()


def test_a_retried_task_whose_reminder_was_sent_is_not_sent_again() -> None:
    """The replayed creation says SCHEDULED; the reminder is SENT by now: only bookkeeping."""
    api = ScriptedApi(replayed_status="SCHEDULED", current_status="SENT")
    outcome, email = _process_once(api, attempts=1)
    assert email.sent == []
    assert outcome.status == "COMPLETED"
    assert ("update_task_status", ("task-1", "COMPLETED")) in api.calls


def test_a_first_attempt_sends_once_and_completes_in_the_same_call() -> None:
    api = ScriptedApi(replayed_status="SCHEDULED", current_status="SCHEDULED")
    outcome, email = _process_once(api, attempts=0)
    assert len(email.sent) == 1 and email.sent[0].message_id_seed == "rem-1"
    assert outcome.status == "COMPLETED"
    assert not any(name == "get_reminder" for name, _ in api.calls)  # no extra read
    [(_, marked)] = [c for c in api.calls if c[0] == "record_reminder_sent"]
    assert marked["completeTask"]["leaseToken"] == "lease"


def test_nothing_is_sent_on_a_lease_that_may_run_out() -> None:
    """A task queued in the worker since a claim long ago, with the backend not confirming
    its lease: another worker may take it when it runs out, so it is not sent here."""

    class Unreachable(ScriptedApi):
        def heartbeat_tasks(self, *_: Any, **__: Any) -> dict[str, Any]:
            self.calls.append(("heartbeat_tasks", None))
            raise ApiConnectionError("backend down")

    api = Unreachable(replayed_status="SCHEDULED", current_status="SCHEDULED")
    email = RecordingEmail()
    sender = _sender(api, email)
    try:
        claimed_at = time.monotonic() - sender.lease_seconds + 5  # 5 s of the lease left
        sender.leases.hold("task-1", "lease", since=claimed_at)
        outcome = sender.process(_task(attempts=0))
    finally:
        sender.close()
    assert outcome.status == "LOST"
    assert email.sent == []
    assert ("heartbeat_tasks", None) in api.calls  # it tried to renew first
    assert not any(name == "record_reminder_sent" for name, _ in api.calls)


def _claimed_with(reminder: dict[str, Any]) -> dict[str, Any]:
    return {**_task(attempts=0), "reminder": reminder}


def test_a_reminder_the_claim_recorded_is_sent_without_recording_it_again() -> None:
    api = ScriptedApi(replayed_status="SCHEDULED", current_status="SCHEDULED")
    email = RecordingEmail()
    sender = _sender(api, email)
    content = {"subject": "Invoice due", "text": "please pay", "html": None}
    try:
        outcome = sender.process(
            _claimed_with({"id": "rem-7", "status": "SCHEDULED", "content": content})
        )
    finally:
        sender.close()
    assert outcome.status == "COMPLETED"
    [message] = email.sent
    assert message.message_id_seed == "rem-7" and message.subject == "Invoice due"
    assert [name for name, _ in api.calls] == ["record_reminder_sent"]


def test_a_reminder_the_claim_found_sent_is_only_completed() -> None:
    api = ScriptedApi(replayed_status="SCHEDULED", current_status="SCHEDULED")
    email = RecordingEmail()
    sender = _sender(api, email)
    try:
        outcome = sender.process(
            _claimed_with({"id": "rem-7", "status": "SENT", "content": None, "sentAt": "x"})
        )
    finally:
        sender.close()
    assert outcome.status == "COMPLETED" and email.sent == []
    assert [name for name, _ in api.calls] == ["update_task_status"]


def test_claims_from_a_backend_that_cannot_include_reminders_record_them_per_task() -> None:
    """A backend from before claims carried reminders refuses `include: ["reminder"]` with
    422: the sender claims with the case alone from then on and records each reminder."""

    class OlderBackend(ScriptedApi):
        served = False

        def claim_tasks(self, worker_id: str, **kw: Any) -> list[dict[str, Any]]:
            self.calls.append(("claim_tasks", list(kw["include"])))
            if "reminder" in kw["include"]:
                problem = {"status": 422, "errors": [{"field": "include.1", "message": "bad"}]}
                raise UnprocessableEntityError(422, problem, None, "invalid")
            if self.served:
                return []
            self.served = True
            return [_task(attempts=0)]

    api = OlderBackend(replayed_status="SCHEDULED", current_status="SCHEDULED")
    email = RecordingEmail()
    sender = _sender(api, email)
    try:
        assert sender.step() == 1
        assert sender.step() == 0
    finally:
        sender.close()
    claims = [include for name, include in api.calls if name == "claim_tasks"]
    assert claims == [["recoveryCase", "reminder"], ["recoveryCase"], ["recoveryCase"]]
    assert len(email.sent) == 1
    assert [name for name, _ in api.calls].count("create_reminder") == 1


def test_the_next_claim_is_made_while_the_last_tasks_are_being_sent() -> None:
    """A step returns once no claimed task waits for a thread, so the next claim's round trip
    overlaps the sends still in flight; a step that claims nothing waits for all of them."""
    release = threading.Event()

    class SlowForSome(RecordingEmail):
        def send(self, message: Any) -> DeliveryResult:
            if message.message_id_seed in ("rem-2", "rem-3"):
                assert release.wait(10)
            return super().send(message)

    class Queue(ScriptedApi):
        def __init__(self) -> None:
            super().__init__(replayed_status="SCHEDULED", current_status="SCHEDULED")
            self.claims: list[tuple[int, int]] = []  # (limit, emails sent by then)
            self.next = 0

        def claim_tasks(self, worker_id: str, **kw: Any) -> list[dict[str, Any]]:
            self.claims.append((kw["limit"], len(email.sent)))
            if len(self.claims) == 2:
                release.set()
            numbers = range(self.next, min(6, self.next + kw["limit"]))
            self.next = numbers.stop
            content = {"subject": "s", "text": "t"}
            return [
                {
                    **_task(attempts=0),
                    "id": f"task-{n}",
                    "reminder": {"id": f"rem-{n}", "status": "SCHEDULED", "content": content},
                }
                for n in numbers
            ]

    api = Queue()
    email = SlowForSome()
    channels = Channels(email=email, sms=email, collections_email="c@x")  # type: ignore[arg-type]
    sender = ReminderSender(api, channels, worker_id="w", concurrency=2)  # type: ignore[arg-type]
    try:
        assert sender.step() == 4  # returns with rem-2 and rem-3 still sending
        assert sender.step() == 2  # claimed into the room they left
        assert sender.step() == 0  # nothing left: waits for everything
        assert sorted(m.message_id_seed for m in email.sent) == [f"rem-{n}" for n in range(6)]
    finally:
        release.set()
        sender.close()
    assert api.claims[0] == (4, 0)
    assert api.claims[1] == (2, 2)  # two still in flight when it was made


def test_a_reminder_the_backend_cannot_prepare_fails_its_task_at_once_with_the_reason() -> None:
    """A template that fails to render for this case (422) will fail again on every retry:
    the task is FAILED with the backend's reason, and the case gets a note saying so."""

    class Refusing(ScriptedApi):
        def create_reminder(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
            self.calls.append(("create_reminder", body))
            problem = {"status": 422, "detail": "render error: integer division by zero"}
            raise UnprocessableEntityError(422, problem, None, "invalid")

        def update_recovery_case(self, case_id: str, body: dict[str, Any]) -> dict[str, Any]:
            self.calls.append(("update_recovery_case", body))
            return {}

        def update_task_status(self, task_id: str, status: str, result: Any, **kw: Any) -> None:
            self.calls.append(("update_task_status", (status, result)))

    api = Refusing(replayed_status="SCHEDULED", current_status="SCHEDULED")
    outcome, email = _process_once(api, attempts=0)
    assert outcome.status == "FAILED" and email.sent == []
    [(status, result)] = [args for name, args in api.calls if name == "update_task_status"]
    assert status == "FAILED" and "division by zero" in result["error"]
    [note] = [body["notes"] for name, body in api.calls if name == "update_recovery_case"]
    assert note.startswith("EMAIL the reminder could not be prepared") and "division" in note
