"""Stopping all contact with a case: cancel its open tasks, notifications and reminders."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.models import Notification, RecoveryCase, Reminder
from payrec.server.tasks.service import cancel_open_for_case


def stop_contact(
    session: Session, case: RecoveryCase, actor: Actor, *, reason: str
) -> dict[str, int]:
    """Cancel everything still waiting to reach the customer, in the caller's transaction."""
    tasks = cancel_open_for_case(session, case.id, actor, reason)
    now = datetime.now(UTC)
    notifications = session.scalars(
        select(Notification)
        .where(
            Notification.recovery_case_id == case.id,
            Notification.status.in_(["PENDING", "IN_PROGRESS"]),
        )
        .with_for_update()
    ).all()
    for notification in notifications:
        before = notification.status
        notification.status = "CANCELLED"
        notification.error = reason
        notification.lease_expires_at = None
        record(
            session,
            actor,
            action="notification.cancelled",
            entity_type="notification",
            entity_id=notification.id,
            case_id=case.id,
            before={"status": before},
            after={"status": "CANCELLED", "reason": reason},
        )
    reminders = session.scalars(
        select(Reminder)
        .where(Reminder.recovery_case_id == case.id, Reminder.status == "SCHEDULED")
        .with_for_update()
    ).all()
    for reminder in reminders:
        reminder.status = "CANCELLED"
        reminder.error = reason
        reminder.updated_at = now
        record(
            session,
            actor,
            action="reminder.cancelled",
            entity_type="reminder",
            entity_id=reminder.id,
            case_id=case.id,
            before={"status": "SCHEDULED"},
            after={"status": "CANCELLED", "reason": reason},
        )
    return {"tasks": tasks, "notifications": len(notifications), "reminders": len(reminders)}
