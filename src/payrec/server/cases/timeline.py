"""A case with everything that happened to it: the management API's case detail and the case
page read it here, each part in one statement.

The case, its customer and its policy's stored row come in one join (`head`), which also
feeds the late charges (no second read of the customer or the policy); documents come with
their extractions; the lists the page shows (tasks, reminders, payments, notes, the audit
trail) are Core selects of the columns shown, without loading ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from payrec.domain.policy import DEFAULT_POLICY
from payrec.server.cases.action_views import timeline_extras
from payrec.server.cases.schemas import CaseDetail, CaseOut, NoteOut, TimelineEntry
from payrec.server.cases.service import charged_out
from payrec.server.documents import service as documents
from payrec.server.errors import NotFound
from payrec.server.extractions import service as extractions
from payrec.server.models import (
    AuditEvent,
    CaseNote,
    Customer,
    Document,
    Extraction,
    Notification,
    Payment,
    Policy,
    RecoveryCase,
    Reminder,
    Task,
)
from payrec.server.notifications import service as notifications
from payrec.server.payments import service as payments
from payrec.server.reminders import service as reminders
from payrec.server.tasks import repository as task_repository
from payrec.server.tasks import service as tasks

# Built once: SQLAlchemy then skips building the statements and their cache keys per call.
_HEAD = (
    select(RecoveryCase, Customer, Policy)
    .join(Customer, Customer.id == RecoveryCase.customer_id)
    .outerjoin(
        Policy,
        Policy.id == func.coalesce(RecoveryCase.policy_id, Customer.policy_id, DEFAULT_POLICY.id),
    )
    .where(RecoveryCase.id == bindparam("case_id"))
)
_DOCUMENTS = (
    select(Document, Extraction)
    .outerjoin(Extraction, Extraction.document_id == Document.id)
    .where(Document.recovery_case_id == bindparam("case_id"))
    .order_by(Document.uploaded_at, Document.id, Extraction.created_at, Extraction.id)
)
_EVENTS = (
    select(
        AuditEvent.at,
        AuditEvent.action,
        AuditEvent.entity_type,
        AuditEvent.entity_id,
        AuditEvent.actor,
        AuditEvent.service_name,
        AuditEvent.before,
        AuditEvent.after,
    )
    .where(AuditEvent.recovery_case_id == bindparam("case_id"))
    .order_by(AuditEvent.at, AuditEvent.id)
)
_NOTES = (
    select(CaseNote.id, CaseNote.body, CaseNote.author, CaseNote.service_name, CaseNote.created_at)
    .where(CaseNote.recovery_case_id == bindparam("case_id"))
    .order_by(CaseNote.created_at)
)
# the case page's lists: only what it shows
_PAGE_TASKS = (
    select(Task.id, Task.type, Task.status, Task.scheduled_at, Task.meta.label("metadata"))
    .where(Task.recovery_case_id == bindparam("case_id"))
    .order_by(Task.created_at)
)
_PAGE_REMINDERS = (
    select(
        Reminder.type,
        Reminder.status,
        Reminder.recipient,
        Reminder.sent_at,
        Reminder.scheduled_for,
        Reminder.created_at,
        Reminder.content_subject,
        Reminder.content_body,
        Reminder.content_language,
    )
    .where(Reminder.recovery_case_id == bindparam("case_id"))
    .order_by(Reminder.created_at)
)
_PAGE_PAYMENTS = (
    select(Payment.amount, Payment.currency, Payment.received_at, Payment.reference)
    .where(Payment.recovery_case_id == bindparam("case_id"))
    .order_by(Payment.received_at)
)


@dataclass(frozen=True)
class CaseHead:
    """A case, its customer and the stored row of its policy (the case's, else the
    customer's, else the default; None when that one is not stored), with its late charges."""

    case: RecoveryCase
    customer: Customer
    policy_id: str
    policy_row: Policy | None
    out: CaseOut


def head(session: Session, case_id: str) -> CaseHead:
    found = session.execute(_HEAD, {"case_id": case_id}).first()
    if found is None:
        raise NotFound("recovery case", case_id)
    case, customer, policy = found
    policy_id = case.policy_id or customer.policy_id or DEFAULT_POLICY.id
    out = charged_out(
        session,
        [(case, customer)],
        definitions={policy_id: policy.definition if policy is not None else None},
    )[0]
    return CaseHead(case, customer, policy_id, policy, out)


def documents_of(session: Session, case_id: str, base_url: str) -> tuple[list[Any], list[Any]]:
    """The case's documents and their extractions, as the API shows them (one statement)."""
    docs: dict[str, dict[str, Any]] = {}
    found: list[dict[str, Any]] = []
    for document, extraction in session.execute(_DOCUMENTS, {"case_id": case_id}):
        if document.id not in docs:
            docs[document.id] = _dump(documents.to_out(document, base_url))
        if extraction is not None:
            found.append(_dump(extractions.to_out(extraction, case_id)))
    return list(docs.values()), found


def events(session: Session, case_id: str) -> list[TimelineEntry]:
    return [
        TimelineEntry.model_construct(**row._asdict())
        for row in session.connection().execute(_EVENTS, {"case_id": case_id})
    ]


def notes(session: Session, case_id: str) -> list[NoteOut]:
    return [
        NoteOut.model_construct(**row._asdict())
        for row in session.connection().execute(_NOTES, {"case_id": case_id})
    ]


@dataclass(frozen=True)
class CasePage:
    """What the case page shows of a case, read in one statement per part."""

    head: CaseHead
    tasks: Sequence[Any]  # Core rows: id, type, status, scheduled_at, metadata
    reminders: Sequence[Any]  # Core rows: type, status, recipient, times, content_*
    payments: Sequence[Any]
    notes: list[NoteOut]
    documents: list[Any]
    extractions: list[Any]
    timeline: list[TimelineEntry]


def case_page(session: Session, case_id: str, base_url: str) -> CasePage:
    found = head(session, case_id)
    connection = session.connection()
    params = {"case_id": case_id}
    docs, extracted = documents_of(session, case_id, base_url)
    return CasePage(
        head=found,
        tasks=connection.execute(_PAGE_TASKS, params).all(),
        reminders=connection.execute(_PAGE_REMINDERS, params).all(),
        payments=connection.execute(_PAGE_PAYMENTS, params).all(),
        notes=notes(session, case_id),
        documents=docs,
        extractions=extracted,
        timeline=events(session, case_id),
    )


def _dump(model: Any) -> dict[str, Any]:
    result: dict[str, Any] = model.model_dump(mode="python", by_alias=True)
    return result


def case_detail(session: Session, case_id: str, base_url: str) -> CaseDetail:
    """The case as `GET /recovery-cases/{id}` answers it."""
    found = head(session, case_id)
    docs, extracted = documents_of(session, case_id, base_url)
    return CaseDetail(
        **found.out.model_dump(),
        notes=notes(session, case_id),
        tasks=[_dump(tasks.to_out(t)) for t in task_repository.for_case(session, case_id)],
        reminders=[
            reminders.to_managed(r)
            for r in session.scalars(
                select(Reminder)
                .where(Reminder.recovery_case_id == case_id)
                .order_by(Reminder.created_at)
            ).all()
        ],
        notifications=[
            _dump(notifications.to_out(n))
            for n in session.scalars(
                select(Notification)
                .where(Notification.recovery_case_id == case_id)
                .order_by(Notification.created_at)
            ).all()
        ],
        documents=docs,
        extractions=extracted,
        payments=[
            _dump(payments.to_out(p))
            for p in session.scalars(
                select(Payment)
                .where(Payment.recovery_case_id == case_id)
                .order_by(Payment.received_at)
            ).all()
        ],
        **timeline_extras(session, case_id, found.case.currency),
        timeline=events(session, case_id),
    )
