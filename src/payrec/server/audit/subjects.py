"""An audit entry about one row: its entity type, id and case read from the row itself.

`record_change(session, actor, "case.resolved", case, before=..., after=...)` stands for the
six keywords of `record`: the entity type is the name the audit trail has always used for the
row's table (the audit API filters by it), the entity id is the row's id and the case is the
row itself (a recovery case) or the case it belongs to (`recovery_case_id`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.models import (
    CaseNote,
    Customer,
    CustomerCredit,
    Dispute,
    Document,
    MessageTemplate,
    Notification,
    Payment,
    Promise,
    RecoveryCase,
    ReferenceRateRow,
    Reminder,
    ServiceClient,
    Task,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from payrec.server.models.base import Base

ENTITY_TYPES: dict[type[Base], str] = {
    RecoveryCase: "recovery_case",
    CaseNote: "case_note",
    Payment: "payment",
    Promise: "promise",
    Dispute: "dispute",
    Customer: "customer",
    CustomerCredit: "credit",
    Document: "document",
    Reminder: "reminder",
    Notification: "notification",
    Task: "task",
    User: "user",
    ServiceClient: "service_client",
    MessageTemplate: "template",
    ReferenceRateRow: "reference_rate",
    WebhookEndpoint: "webhook_endpoint",
    WebhookDelivery: "webhook_delivery",
}


def case_of(subject: Base) -> str | None:
    """The recovery case an entry about `subject` belongs to, if any."""
    if isinstance(subject, RecoveryCase):
        return subject.id
    case_id: str | None = getattr(subject, "recovery_case_id", None)
    return case_id


def record_change(
    session: Session,
    actor: Actor,
    action: str,
    subject: Base,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """One audit entry about `subject` (a flushed row of a table in `ENTITY_TYPES`)."""
    record(
        session,
        actor,
        action=action,
        entity_type=ENTITY_TYPES[type(subject)],
        entity_id=subject.id,  # type: ignore[attr-defined]
        case_id=case_of(subject),
        before=before,
        after=after,
    )
