"""Reminder sender: claims due REMINDER tasks and delivers each reminder effectively once."""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from payrec.automation.backoff import retry_at
from payrec.automation.leases import LeaseKeeper
from payrec.automation.senders import Channels
from payrec.channels import (
    ChannelError,
    DeliveryResult,
    EmailAttachment,
    OutgoingEmail,
    OutgoingSms,
    PermanentChannelError,
    TransientChannelError,
)
from payrec.client import (
    ApiError,
    AutomationApiClient,
    ConflictError,
    CustomerSummary,
    NotFoundError,
    RecoveryCase,
    Reminder,
    RenderedMessage,
    Task,
    UnprocessableEntityError,
)
from payrec.client.types import ReminderAttachment, customer_of
from payrec.domain.cases import OPEN

logger = logging.getLogger("payrec.worker.reminders")

NOT_CONTACTABLE = {"case-not-contactable", "customer-opted-out"}  # 409 codes of POST /reminders
CLAIM_TYPES = ["REMINDER"]
# A task that waited longer than this since its lease was last confirmed (claimed or renewed)
# has it confirmed again right before sending: the case may have been paid meanwhile.
CONFIRMED_WITHIN_SECONDS = 1.0
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024  # PAYREC_ATTACHMENT_MAX_BYTES


def attachment_max_bytes() -> int:
    """The largest invoice a reminder carries (`PAYREC_ATTACHMENT_MAX_BYTES`, default 5 MB)."""
    raw = os.environ.get("PAYREC_ATTACHMENT_MAX_BYTES")
    try:
        return max(0, int(raw)) if raw else ATTACHMENT_MAX_BYTES
    except ValueError:
        logger.warning("PAYREC_ATTACHMENT_MAX_BYTES=%r is not a number: using 5 MB", raw)
        return ATTACHMENT_MAX_BYTES


@dataclass(frozen=True)
class Outcome:
    task_id: str
    status: str  # COMPLETED | CANCELLED | FAILED | RETRY | LOST
    detail: str = ""


def _last_attempt(task: Task) -> bool:
    """Would releasing this task once more reach its `maxAttempts` (the backend then fails it)?"""
    attempts = int(task.get("attempts") or 0)
    return attempts + 1 >= int(task.get("maxAttempts") or 5)


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class ReminderSender:
    """One claim → render → record → send → mark → complete cycle per task."""

    def __init__(
        self,
        client: AutomationApiClient,
        channels: Channels,
        *,
        worker_id: str,
        concurrency: int = 4,
        lease_seconds: int = 60,
        batch: int | None = None,
    ) -> None:
        self.api = client
        self.channels = channels
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.batch = batch or max(1, concurrency * 2)
        self.leases = LeaseKeeper(client, lease_seconds)
        self._include = ["recoveryCase", "reminder"]
        self.attachment_max_bytes = attachment_max_bytes()
        self.concurrency = max(1, concurrency)
        self._in_flight: set[Future[Outcome]] = set()
        self._asked = time.monotonic()
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, concurrency), thread_name_prefix="payrec-send"
        )

    def close(self) -> None:
        self._settle(0)
        self._pool.shutdown(wait=True)
        self.leases.close()

    def step(self) -> int:
        """Claim due reminder tasks into the free room and hand them to the send threads;
        returns how many were claimed.

        Claims overlap with sending: it returns as soon as no more than `concurrency` tasks
        are left in flight (all of them on a thread, none waiting), so the next claim's round
        trip is made while those are sent. With nothing claimed, it waits for all in flight.
        """
        room = self.batch - len(self._in_flight)
        tasks = self._claim(room) if room > 0 else []
        if tasks:
            asked = self._asked
            for task in tasks:  # queued tasks wait for a thread: their leases must live meanwhile
                self.leases.hold(str(task["id"]), str(task["leaseToken"]), since=asked)
            self._in_flight.update(self._pool.submit(self.process, task) for task in tasks)
        self._settle(self.concurrency if tasks else 0)
        return len(tasks)

    def _settle(self, in_flight: int) -> None:
        """Wait until at most `in_flight` tasks are unfinished, logging each outcome."""
        while len(self._in_flight) > in_flight:
            done, self._in_flight = wait(self._in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    outcome = future.result()
                except Exception:  # a bug, not a backend or channel failure: the lease expires
                    logger.exception("reminder task failed unexpectedly")
                    continue
                logger.info("task %s: %s %s", outcome.task_id, outcome.status, outcome.detail)

    def _claim(self, limit: int) -> list[Task]:
        """Claim with each task's case and reminder; a backend from before claims could
        include reminders refuses `"reminder"` (422): then claim with cases only, as it can."""
        self._asked = time.monotonic()  # the leases run from before the request
        try:
            return self.api.claim_tasks(
                self.worker_id,
                types=CLAIM_TYPES,
                limit=limit,
                lease_seconds=self.lease_seconds,
                include=self._include,
            )
        except UnprocessableEntityError as exc:
            if "reminder" not in self._include or "include" not in str(exc.problem):
                raise
            logger.info("the backend does not include reminders in claims; asking per task")
            self._include = ["recoveryCase"]
            return self._claim(limit)

    def process(self, task: Task) -> Outcome:
        task_id = str(task["id"])
        token = str(task["leaseToken"])
        self.leases.hold(task_id, token)
        try:
            return self._process(task, token)
        except ConflictError as exc:
            # Our lease was lost (expired and taken by another worker) or the state moved on.
            return Outcome(
                task_id,
                "LOST",
                exc.problem.get("detail", "") if isinstance(exc.problem, dict) else "",
            )
        except ApiError as exc:
            self._release(task, token, f"backend error: {type(exc).__name__}")
            return Outcome(task_id, "RETRY", type(exc).__name__)
        finally:
            self.leases.release(task_id)

    def _process(self, task: Task, token: str) -> Outcome:
        task_id = str(task["id"])
        meta: dict[str, Any] = dict(task.get("metadata") or {})
        channel = str(meta.get("reminderType") or "EMAIL").upper()
        case_id = task.get("recoveryCaseId")
        if not case_id:
            return self._finish(task_id, token, "FAILED", {"error": "task has no recovery case"})
        # The claim carried the case, read in its transaction; the backend checks the case
        # (and the opt-out) again when the reminder is recorded, right before sending.
        case = task.get("recoveryCase") or self.api.get_recovery_case(str(case_id))
        customer = customer_of(case)
        skip = self._reason_to_skip(case, customer, channel)
        if skip:
            return self._finish(task_id, token, "CANCELLED", {"skipped": skip})
        recipient = str(customer.get("email") if channel == "EMAIL" else customer.get("phone"))
        recorded = task.get("reminder")
        if isinstance(recorded, dict) and (
            recorded.get("content") or recorded.get("status") != "SCHEDULED"
        ):  # recorded by the claim, in its state as of the claim
            # (without content only when SENT or CANCELLED: nothing is rendered to send)
            reminder = recorded
            rendered = recorded.get("content") or cast("RenderedMessage", {})
        else:
            made = self._record_reminder(task, case, customer, channel, recipient)
            if isinstance(made, Outcome):
                return made
            reminder, rendered = made
        reminder_id = str(reminder["id"])
        if reminder.get("status") == "SENT":  # sent before a crash: finish the bookkeeping only
            return self._complete(task_id, token, reminder, recipient)
        if reminder.get("status") == "CANCELLED":
            return self._finish(task_id, token, "CANCELLED", {"skipped": "reminder cancelled"})
        if not self.leases.ensure(
            task_id, self.lease_seconds / 2, confirmed_within=CONFIRMED_WITHIN_SECONDS
        ):
            # Lost — a payment, an opt-out or a pause cancelled the task since it was claimed
            # — or not confirmed for long enough to send and mark it (another worker may take
            # the task when the lease runs out): either way, sending now would be wrong.
            return Outcome(task_id, "LOST", "lease not held (or not confirmed) to send")
        try:
            delivery = self._deliver(channel, recipient, rendered, reminder)
        except PermanentChannelError as exc:
            return self._fail(task_id, token, str(case_id), channel, recipient, reminder_id, exc)
        except ChannelError as exc:
            if _last_attempt(task):
                # The backend would fail the task on this release and leave the reminder
                # SCHEDULED: fail both here, with the reason, visibly on the case.
                exc.reason = f"gave up after {int(task.get('attempts') or 0) + 1} attempts: " + (
                    exc.reason
                )
                return self._fail(
                    task_id, token, str(case_id), channel, recipient, reminder_id, exc
                )
            hint = exc.retry_after if isinstance(exc, TransientChannelError) else None
            self._release(task, token, exc.reason, hint=hint)
            return Outcome(task_id, "RETRY", exc.reason)
        sent_at = now_iso()
        result = {
            "sentAt": sent_at,
            "recipient": recipient,
            "reminderId": reminder_id,
            "externalId": delivery.external_id,
        }
        # One call marks the reminder SENT, advances the case (note, lastReminderSentAt,
        # IN_PROGRESS) and completes the task, in one transaction: never half done.
        self.leases.ending(task_id)
        marked = self.api.record_reminder_sent(
            reminder_id,
            {
                "sentAt": sent_at,
                "channel": channel,
                "externalId": delivery.external_id,
                "status": "SENT",
                "caseNote": f"Reminder {reminder_id} sent to {recipient}",
                "completeTask": {"id": task_id, "leaseToken": token, "result": result},
            },
        )
        task_after = marked.get("task")
        if not isinstance(task_after, dict):  # a backend without completeTask
            return self._finish(task_id, token, "COMPLETED", result)
        if task_after.get("status") != "COMPLETED":
            # The lease was lost meanwhile: the reminder stays SENT, and whoever holds the
            # task next finds it so and only finishes the bookkeeping.
            return Outcome(task_id, "LOST", "lease lost after sending")
        return Outcome(task_id, "COMPLETED", "")

    def _fail(
        self,
        task_id: str,
        token: str,
        case_id: str,
        channel: str,
        recipient: str,
        reminder_id: str,
        exc: ChannelError,
    ) -> Outcome:
        """A permanent failure (or the last transient one): the reminder and the task FAILED."""
        self.leases.ending(task_id)
        self.api.record_reminder_sent(
            reminder_id, {"status": "FAILED", "channel": channel, "error": exc.reason}
        )
        self.api.update_recovery_case(
            case_id, {"notes": f"{channel} reminder to {recipient} failed: {exc.reason}"}
        )
        return self._finish(
            task_id, token, "FAILED", {"error": exc.reason, "reminderId": reminder_id}
        )

    def _record_reminder(
        self,
        task: Task,
        case: RecoveryCase,
        customer: CustomerSummary,
        channel: str,
        recipient: str,
    ) -> tuple[Reminder, RenderedMessage] | Outcome:
        """`POST /reminders` for a task the claim brought no reminder with (a backend that
        does not record them in claims, or one that refused to): the reminder and what to
        send, or the task's outcome when the case may not be contacted."""
        task_id = str(task["id"])
        meta: dict[str, Any] = dict(task.get("metadata") or {})
        template_id = str(meta.get("templateId") or "reminder-1")
        try:
            reminder = self._create_reminder(
                task,
                {
                    "recoveryCaseId": case["id"],
                    "type": channel,
                    "templateId": template_id,
                    "scheduledFor": meta.get("plannedAt") or task.get("scheduledAt"),
                    "recipient": recipient,
                    "taskId": task_id,
                    "render": True,
                    "metadata": {
                        "personalization": {
                            "customerName": customer.get("name"),
                            "amount": case.get("amount"),
                            "currency": case.get("currency"),
                            "dueDate": case.get("dueDate"),
                        },
                    },
                },
            )
        except ConflictError as exc:
            if exc.code not in NOT_CONTACTABLE:
                raise
            return self._finish(
                task_id, str(task["leaseToken"]), "CANCELLED", {"skipped": exc.code}
            )
        except (UnprocessableEntityError, NotFoundError) as exc:
            # The backend cannot make this reminder (a template that fails to render for this
            # case, an unknown template): retrying the same request cannot help. Fail the task
            # with the reason, on the case too, for a person to fix and requeue.
            reason = f"the reminder could not be prepared: {exc.detail or exc.code}"
            self.api.update_recovery_case(str(case["id"]), {"notes": f"{channel} {reason}"})
            return self._finish(task_id, str(task["leaseToken"]), "FAILED", {"error": reason})
        rendered = reminder.get("content") or self.api.render_for_case(
            str(case["id"]), template_id, channel
        )
        if int(task.get("attempts") or 0) > 0:
            # A retry: the creation above may be an idempotent replay of the first attempt's
            # answer (SCHEDULED), while that attempt got as far as marking the reminder SENT.
            reminder = cast("Reminder", {**reminder, **self.api.get_reminder(str(reminder["id"]))})
        return reminder, rendered

    def _create_reminder(self, task: Task, body: dict[str, Any]) -> Reminder:
        """POST the reminder keyed by its task; the backend keeps one reminder per task.

        A retry after a release may carry a different body (a new subject, say); the key
        `reminder:{taskId}` then answers 422, and a per-attempt key fetches the same record.
        """
        task_id = str(task["id"])
        try:
            return self.api.create_reminder(body, idempotency_key=f"reminder:{task_id}")
        except UnprocessableEntityError as exc:
            if exc.code != "idempotency-key-reused":
                raise
            attempt = int(task.get("attempts") or 0)
            return self.api.create_reminder(body, idempotency_key=f"reminder:{task_id}:{attempt}")

    @staticmethod
    def _reason_to_skip(case: RecoveryCase, customer: CustomerSummary, channel: str) -> str | None:
        if case.get("status") not in OPEN:  # the contactable statuses
            return f"case is {case.get('status')}"
        if channel == "EMAIL" and customer.get("optOutEmail"):
            return "customer opted out of email"
        if channel == "SMS" and customer.get("optOutSms"):
            return "customer opted out of SMS"
        if channel == "EMAIL" and not customer.get("email"):
            return "customer has no email address"
        if channel == "SMS" and not customer.get("phone"):
            return "customer has no phone number"
        return None

    def _attachments(self, reminder: Reminder) -> tuple[EmailAttachment, ...]:
        """The documents the claim named for this reminder (its invoice, its formal letter),
        each unless over the size cap or gone (then the reminder goes without it, logged)."""
        named = reminder.get("attachments") or (
            [reminder["attachment"]] if reminder.get("attachment") else []
        )
        return tuple(a for one in named for a in self._attachment(reminder, one))

    def _attachment(
        self, reminder: Reminder, named: ReminderAttachment
    ) -> tuple[EmailAttachment, ...]:
        cap = self.attachment_max_bytes
        data = b""
        too_big = int(named.get("size") or 0) > cap  # as the claim says: not downloaded
        if not too_big:
            try:
                data = self.api.download_document(str(named["documentId"]))
            except NotFoundError:
                logger.info(
                    "reminder %s: invoice %s is gone: sent without it",
                    reminder["id"],
                    named["documentId"],
                )
                return ()
            too_big = len(data) > cap
        if too_big:
            logger.info(
                "reminder %s: invoice %s is over %d bytes: sent without it",
                reminder["id"],
                named["documentId"],
                cap,
            )
            return ()
        name = str(named.get("fileName") or "invoice.pdf")
        return (EmailAttachment(name, str(named.get("mimeType") or "application/pdf"), data),)

    def _deliver(
        self, channel: str, recipient: str, rendered: RenderedMessage, reminder: Reminder
    ) -> DeliveryResult:
        reminder_id = str(reminder["id"])
        if channel == "SMS":
            return self.channels.sms.send(
                OutgoingSms(
                    to=recipient, body=str(rendered.get("text") or ""), idempotency_seed=reminder_id
                )
            )
        return self.channels.email.send(
            OutgoingEmail(
                to=recipient,
                subject=str(rendered.get("subject") or "Payment reminder"),
                text=str(rendered.get("text") or ""),
                html=rendered.get("html"),
                message_id_seed=reminder_id,
                list_unsubscribe=", ".join(
                    f"<{uri}>"
                    for uri in (
                        rendered.get("unsubscribeUrl"),
                        f"mailto:{self.channels.collections_email}?subject=unsubscribe",
                    )
                    if uri
                ),
                thread_seeds=tuple(str(i) for i in reminder.get("threadReminderIds") or ()),
                attachments=self._attachments(reminder),
            )
        )

    def _complete(self, task_id: str, token: str, reminder: Reminder, recipient: str) -> Outcome:
        """The reminder was marked SENT before a crash (the case advanced with it): finish."""
        return self._finish(
            task_id,
            token,
            "COMPLETED",
            {
                "sentAt": reminder.get("sentAt") or now_iso(),
                "recipient": recipient,
                "reminderId": str(reminder["id"]),
                "externalId": str(reminder.get("externalId") or ""),
            },
        )

    def _finish(self, task_id: str, token: str, status: str, result: dict[str, Any]) -> Outcome:
        self.leases.ending(task_id)
        self.api.update_task_status(task_id, status, result, lease_token=token)
        return Outcome(task_id, status, str(result.get("error") or result.get("skipped") or ""))

    def _release(self, task: Task, token: str, reason: str, *, hint: float | None = None) -> None:
        """Hand the task back for a later try, with backoff; the backend counts the attempt."""
        self.leases.ending(str(task["id"]))
        when = retry_at(datetime.now(UTC), int(task.get("attempts") or 0), hint=hint)
        try:
            self.api.update_task_status(
                str(task["id"]),
                "PENDING",
                None,
                lease_token=token,
                retry_at=when.isoformat().replace("+00:00", "Z"),
                error=reason,
            )
        except ApiError as exc:  # the lease will expire and return it anyway
            logger.warning("could not release %s: %s", task["id"], type(exc).__name__)
