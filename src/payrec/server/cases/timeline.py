"""A case with everything that happened to it, for the management API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.cases import repository
from payrec.server.cases import service as cases
from payrec.server.cases.action_views import timeline_extras
from payrec.server.cases.schemas import CaseDetail, NoteOut, TimelineEntry
from payrec.server.customers import service as customers
from payrec.server.documents import service as documents
from payrec.server.extractions import service as extractions
from payrec.server.models import Document, Extraction, Notification, Payment, Reminder
from payrec.server.notifications import service as notifications
from payrec.server.payments import service as payments
from payrec.server.reminders import service as reminders
from payrec.server.tasks import repository as task_repository
from payrec.server.tasks import service as tasks


def _dump(model: Any) -> dict[str, Any]:
    result: dict[str, Any] = model.model_dump(mode="python", by_alias=True)
    return result


def case_detail(session: Session, case_id: str, base_url: str) -> CaseDetail:
    case = cases.get(session, case_id)
    out = cases.charged_out(session, [(case, customers.get(session, case.customer_id))])[0]
    docs = session.scalars(select(Document).where(Document.recovery_case_id == case_id)).all()
    doc_ids = [d.id for d in docs]
    return CaseDetail(
        **out.model_dump(),
        notes=[
            NoteOut(
                id=n.id,
                body=n.body,
                author=n.author,
                service_name=n.service_name,
                created_at=n.created_at,
            )
            for n in repository.notes(session, case_id)
        ],
        tasks=[_dump(tasks.to_out(t)) for t in task_repository.for_case(session, case_id)],
        reminders=[
            _dump(reminders.to_out(r))
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
        documents=[_dump(documents.to_out(d, base_url)) for d in docs],
        extractions=[
            _dump(extractions.to_out(e, case_id))
            for e in (
                session.scalars(select(Extraction).where(Extraction.document_id.in_(doc_ids))).all()
                if doc_ids
                else []
            )
        ],
        payments=[
            _dump(payments.to_out(p))
            for p in session.scalars(
                select(Payment)
                .where(Payment.recovery_case_id == case_id)
                .order_by(Payment.received_at)
            ).all()
        ],
        **timeline_extras(session, case_id, case.currency),
        timeline=[
            TimelineEntry(
                at=e.at,
                action=e.action,
                entity_type=e.entity_type,
                entity_id=e.entity_id,
                actor=e.actor,
                service_name=e.service_name,
                before=e.before,
                after=e.after,
            )
            for e in repository.events(session, case_id)
        ],
    )
