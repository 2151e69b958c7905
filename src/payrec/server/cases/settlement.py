"""Stopping all contact with a case: cancel its open tasks, notifications and reminders."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.cancellation import cancel_notification, cancel_reminder
from payrec.server.models import Notification, RecoveryCase, Reminder
from payrec.server.tasks.service import cancel_open_for_case


def stop_contact(
    session: Session, case: RecoveryCase, actor: Actor, *, reason: str
) -> dict[str, int]:
    """Cancel everything still waiting to reach the customer, in the caller's transaction."""
    tasks = cancel_open_for_case(session, case.id, actor, reason)
    notifications = session.scalars(
        select(Notification)
        .where(
            Notification.recovery_case_id == case.id,
            Notification.status.in_(["PENDING", "IN_PROGRESS"]),
        )
        .with_for_update()
    ).all()
    for notification in notifications:
        cancel_notification(session, notification, actor, reason)
    reminders = session.scalars(
        select(Reminder)
        .where(Reminder.recovery_case_id == case.id, Reminder.status == "SCHEDULED")
        .with_for_update()
    ).all()
    for reminder in reminders:
        cancel_reminder(session, reminder, actor, reason)
    return {"tasks": tasks, "notifications": len(notifications), "reminders": len(reminders)}
