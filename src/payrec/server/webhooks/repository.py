"""Queries for opt-outs: a customer's open contacts on one channel."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.customers import repository as customers
from payrec.server.models import Customer, Notification, RecoveryCase, Reminder, Task
from payrec.server.models.customers import digits_of

OPEN_TASK = ("PENDING", "IN_PROGRESS")
OPEN_NOTIFICATION = ("PENDING", "IN_PROGRESS")


def customers_with_phone(session: Session, e164: str) -> list[Customer]:
    """Customers whose stored phone is this E.164 number, written `+49…` or `0049…`."""
    digits = digits_of(e164)
    if not digits:
        return []
    return list(customers.by_phone_digits(session, digits, "00" + digits))


def _case_ids(session: Session, customer_id: str) -> list[str]:
    return list(
        session.scalars(select(RecoveryCase.id).where(RecoveryCase.customer_id == customer_id))
    )


def open_tasks(session: Session, customer_id: str, channel: str) -> list[Task]:
    """Open tasks of the customer's cases that would contact them on `channel`."""
    case_ids = _case_ids(session, customer_id)
    if not case_ids:
        return []
    rows: Sequence[Task] = session.scalars(
        select(Task)
        .where(Task.recovery_case_id.in_(case_ids), Task.status.in_(OPEN_TASK))
        .with_for_update()
    ).all()
    return [
        t
        for t in rows
        if str((t.meta or {}).get("reminderType") or (t.meta or {}).get("channel") or "").upper()
        == channel
    ]


def scheduled_reminders(session: Session, customer_id: str, channel: str) -> Sequence[Reminder]:
    case_ids = _case_ids(session, customer_id)
    if not case_ids:
        return []
    return session.scalars(
        select(Reminder)
        .where(
            Reminder.recovery_case_id.in_(case_ids),
            Reminder.status == "SCHEDULED",
            (Reminder.type == channel) | (Reminder.channel == channel),
        )
        .with_for_update()
    ).all()


def open_notifications(session: Session, customer_id: str, channel: str) -> Sequence[Notification]:
    """Pending notifications of this channel on the customer's cases (any recipient)."""
    case_ids = _case_ids(session, customer_id)
    if not case_ids:
        return []
    return session.scalars(
        select(Notification)
        .where(
            Notification.recovery_case_id.in_(case_ids),
            Notification.status.in_(OPEN_NOTIFICATION),
            Notification.type == channel,
        )
        .with_for_update()
    ).all()
