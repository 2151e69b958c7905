"""The rows of each export, read in order of their date and streamed (`yield_per`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.models import AuditEvent, Customer, Payment, RecoveryCase, Reminder

BATCH = 1000


def _stream(session: Session, statement: Any) -> Iterator[Any]:
    yield from session.execute(statement.execution_options(yield_per=BATCH))


def cases(session: Session, start: datetime, end: datetime) -> Iterator[Any]:
    return _stream(
        session,
        select(
            RecoveryCase.id,
            RecoveryCase.external_id,
            RecoveryCase.customer_id,
            Customer.external_id,
            Customer.name,
            Customer.email,
            RecoveryCase.invoice_number,
            RecoveryCase.issue_date,
            RecoveryCase.due_date,
            RecoveryCase.amount,
            RecoveryCase.amount_paid,
            RecoveryCase.currency,
            RecoveryCase.status,
            RecoveryCase.priority,
            RecoveryCase.policy_id,
            RecoveryCase.created_at,
            RecoveryCase.resolved_at,
            Customer.policy_id,  # (the last: for the late charges)
        )
        .join(Customer, Customer.id == RecoveryCase.customer_id)
        .where(RecoveryCase.created_at >= start, RecoveryCase.created_at < end)
        .order_by(RecoveryCase.created_at, RecoveryCase.id),
    )


def payments(session: Session, start: datetime, end: datetime) -> Iterator[Any]:
    return _stream(
        session,
        select(
            Payment.id,
            Payment.recovery_case_id,
            RecoveryCase.invoice_number,
            Payment.amount,
            Payment.currency,
            Payment.received_at,
            Payment.reference,
            Payment.created_at,
        )
        .join(RecoveryCase, RecoveryCase.id == Payment.recovery_case_id)
        .where(Payment.received_at >= start, Payment.received_at < end)
        .order_by(Payment.received_at, Payment.id),
    )


def reminders(session: Session, start: datetime, end: datetime) -> Iterator[Any]:
    return _stream(
        session,
        select(
            Reminder.id,
            Reminder.recovery_case_id,
            RecoveryCase.invoice_number,
            Reminder.type,
            Reminder.channel,
            Reminder.recipient,
            Reminder.template_id,
            Reminder.status,
            Reminder.sent_at,
            Reminder.external_id,
        )
        .join(RecoveryCase, RecoveryCase.id == Reminder.recovery_case_id)
        .where(Reminder.sent_at.is_not(None), Reminder.sent_at >= start, Reminder.sent_at < end)
        .order_by(Reminder.sent_at, Reminder.id),
    )


def audit(session: Session, start: datetime, end: datetime) -> Iterator[Any]:
    return _stream(
        session,
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.actor,
            AuditEvent.service_name,
            AuditEvent.request_id,
            AuditEvent.action,
            AuditEvent.entity_type,
            AuditEvent.entity_id,
            AuditEvent.recovery_case_id,
            AuditEvent.before,
            AuditEvent.after,
        )
        .where(AuditEvent.at >= start, AuditEvent.at < end)
        .order_by(AuditEvent.at, AuditEvent.id),
    )
