"""Cancelling one pending contact (task, reminder, notification), audited: the shared step of
settling a case, pausing it, and honouring an opt-out."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.models import Notification, Reminder, Task


def _audit(
    session: Session,
    actor: Actor,
    kind: str,
    entity_id: str,
    case_id: str | None,
    before: str,
    reason: str,
) -> None:
    record(
        session,
        actor,
        action=f"{kind}.cancelled",
        entity_type=kind,
        entity_id=entity_id,
        case_id=case_id,
        before={"status": before},
        after={"status": "CANCELLED", "reason": reason},
    )


def cancel_task(session: Session, task: Task, actor: Actor, reason: str) -> None:
    before = task.status
    task.status = "CANCELLED"
    task.completed_at = datetime.now(UTC)
    task.last_error = reason
    task.lease_expires_at = None
    _audit(session, actor, "task", task.id, task.recovery_case_id, before, reason)


def cancel_reminder(session: Session, reminder: Reminder, actor: Actor, reason: str) -> None:
    before = reminder.status
    reminder.status = "CANCELLED"
    reminder.error = reason
    _audit(session, actor, "reminder", reminder.id, reminder.recovery_case_id, before, reason)


def cancel_notification(
    session: Session, notification: Notification, actor: Actor, reason: str
) -> None:
    before = notification.status
    notification.status = "CANCELLED"
    notification.error = reason
    notification.lease_expires_at = None
    _audit(
        session,
        actor,
        "notification",
        notification.id,
        notification.recovery_case_id,
        before,
        reason,
    )
