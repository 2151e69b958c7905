"""The reminder each claimed REMINDER task describes, recorded in the claim's transaction.

`POST /tasks/claim` with `include: ["reminder"]` saves the worker its `POST /reminders` per
task: the claim records (or finds) the task's reminder exactly as that call would, with
`taskId` and `render: true`, and answers it with the rendered message. Where that call would
be refused or could not be made (the case may not be contacted, the customer opted out, no
recipient, no such template), the task carries no reminder and the worker makes the call
itself, which answers the reason.

Each e-mail reminder also carries what the worker needs to thread and attach it (no extra
calls): `threadReminderIds`, the case's e-mail reminders already SENT (oldest first, the
first and the latest few), from which the worker writes `In-Reply-To`/`References`; and, when
the policy step says `attachInvoice`, `attachment` naming the case's latest uploaded
invoice PDF (type INVOICE, not rejected in review).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.errors import DomainError
from payrec.server.models import Customer, Document, RecoveryCase, Reminder
from payrec.server.reminders import service
from payrec.server.reminders.schemas import ReminderCreate
from payrec.server.templates.schemas import RenderedOut

DEFAULT_TEMPLATE = "reminder-1"
THREAD_IDS = 10  # the first reminder and the latest ones: References stays short (RFC 5322)


def attach(
    session: Session, claimed: list[dict[str, Any]], actor: Actor, *, link_template: str
) -> None:
    """Give each claimed REMINDER task that has a case its reminder, as `reminder`."""
    tasks = [t for t in claimed if t["type"] == "REMINDER" and t["recoveryCaseId"]]
    if not tasks:
        return
    existing = _by(session, Reminder, Reminder.task_id, [t["id"] for t in tasks], "task_id")
    cases = _by(session, RecoveryCase, RecoveryCase.id, [t["recoveryCaseId"] for t in tasks])
    customers = _by(session, Customer, Customer.id, [c.customer_id for c in cases.values()])
    made: list[tuple[dict[str, Any], Reminder, RenderedOut | None]] = []
    for task in tasks:
        case = cases.get(task["recoveryCaseId"])
        customer = customers.get(case.customer_id) if case is not None else None
        data = _request_for(task, case, customer)
        if case is None or data is None:
            continue
        reminder = existing.get(task["id"])
        try:
            if reminder is None:
                reminder, content = service.new_reminder(
                    session, data, case, customer, link_template=link_template
                )
                made.append((task, reminder, content))
                continue
            content = None
            if reminder.status == "SCHEDULED":
                content = service.checked_content(
                    session, data, case, customer, link_template=link_template
                )
        except DomainError:  # refused: the worker's own POST /reminders answers why
            continue
        task["reminder"] = _wire(reminder, content)
    _insert(session, actor, made)
    _add_thread_and_attachment(session, [t for t in tasks if t.get("reminder")])


def _add_thread_and_attachment(session: Session, tasks: list[dict[str, Any]]) -> None:
    """Put `threadReminderIds` and `attachment` on each claimed e-mail reminder."""
    emails = [t for t in tasks if t["reminder"].get("type") == "EMAIL"]
    if not emails:
        return
    case_ids = sorted({t["recoveryCaseId"] for t in emails})
    sent: dict[str, list[str]] = {}
    rows = session.execute(
        select(Reminder.recovery_case_id, Reminder.id)
        .where(
            Reminder.recovery_case_id.in_(case_ids),
            Reminder.type == "EMAIL",
            Reminder.status == "SENT",
        )
        .order_by(Reminder.sent_at, Reminder.id)
    )
    for case_id, reminder_id in rows:
        sent.setdefault(case_id, []).append(reminder_id)
    wanted = sorted(
        {t["recoveryCaseId"] for t in emails if (t.get("metadata") or {}).get("attachInvoice")}
    )
    pdfs: dict[str, Document] = {}
    if wanted:
        docs = session.scalars(
            select(Document)
            .where(
                Document.recovery_case_id.in_(wanted),
                Document.type == "INVOICE",  # not a payment proof, nor payrec's own letter
                Document.mime_type == "application/pdf",
                Document.status != "REJECTED",
            )
            .order_by(Document.uploaded_at, Document.id)
        )
        pdfs = {str(doc.recovery_case_id): doc for doc in docs}  # the latest wins
    for task in emails:
        reminder = task["reminder"]
        earlier = [i for i in sent.get(task["recoveryCaseId"], []) if i != reminder["id"]]
        if len(earlier) > THREAD_IDS:
            earlier = earlier[:1] + earlier[-(THREAD_IDS - 1) :]
        reminder["threadReminderIds"] = earlier
        doc = pdfs.get(task["recoveryCaseId"])
        if doc is not None and (task.get("metadata") or {}).get("attachInvoice"):
            reminder["attachment"] = {
                "documentId": doc.id,
                "fileName": doc.file_name,
                "mimeType": doc.mime_type,
                "size": doc.size,
            }


def _insert(
    session: Session,
    actor: Actor,
    made: list[tuple[dict[str, Any], Reminder, RenderedOut | None]],
) -> None:
    """Insert the new reminders in one statement; if a concurrent request recorded one of
    them first, none (their tasks go without, and their workers ask for them one by one)."""
    if not made:
        return
    try:
        with session.begin_nested():
            session.add_all([reminder for _, reminder, _ in made])
            session.flush()
    except IntegrityError:
        return
    for task, reminder, content in made:
        service.record_created(session, actor, reminder)
        task["reminder"] = _wire(reminder, content)


def _request_for(
    task: dict[str, Any], case: RecoveryCase | None, customer: Customer | None
) -> ReminderCreate | None:
    """The `POST /reminders` body the reminder sender would send for this task."""
    if case is None or customer is None:
        return None
    meta = task.get("metadata") or {}
    channel = str(meta.get("reminderType") or "EMAIL").upper()
    recipient = customer.email if channel == "EMAIL" else customer.phone
    if not recipient:
        return None
    try:
        return ReminderCreate.model_validate(
            {
                "recoveryCaseId": case.id,
                "type": channel,
                "templateId": str(meta.get("templateId") or DEFAULT_TEMPLATE),
                "scheduledFor": meta.get("plannedAt") or task.get("scheduledAt"),
                "recipient": recipient,
                "taskId": task["id"],
                "render": True,
                "metadata": {
                    "personalization": {
                        "customerName": customer.name,
                        "amount": str(case.amount),
                        "currency": case.currency,
                        "dueDate": case.due_date.isoformat(),
                    },
                    **(
                        {"consolidatedCaseIds": list(meta["consolidatedCaseIds"])}
                        if meta.get("consolidatedCaseIds")
                        else {}
                    ),
                },
            }
        )
    except ValidationError:
        return None


def _wire(reminder: Reminder, content: RenderedOut | None) -> dict[str, Any]:
    out = service.to_out(reminder)
    out.content = content
    return out.model_dump(by_alias=True, exclude={"task"})


def _by(
    session: Session, model: Any, column: Any, keys: Iterable[Any], attribute: str = "id"
) -> dict[Any, Any]:
    """Rows of `model` whose `column` is one of `keys`, by that attribute."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = session.scalars(select(model).where(column.in_(wanted)))
    return {getattr(row, attribute): row for row in rows}
