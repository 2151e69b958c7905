"""`emit`: the one call a service makes to tell other systems about a change it wrote.

The event is written into the outbox (`webhook_deliveries`, one row per subscribed endpoint)
in the caller's session, so it commits or rolls back with the change it reports. The worker
delivers it (`webhook_endpoints.deliveries`).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.domain.webhooks import EVENT_TYPES
from payrec.server.jsonio import dumps, format_timestamp
from payrec.server.models import (
    Document,
    Extraction,
    Promise,
    RecoveryCase,
    WebhookDelivery,
    WebhookEndpoint,
)


def emit(session: Session, type: str, data: dict[str, Any]) -> None:
    """Queue `{type, timestamp, data}` for every live endpoint subscribed to `type`."""
    emit_many(session, type, [data])


def emit_many(session: Session, type: str, items: list[dict[str, Any]]) -> None:
    """`emit` for many changes of one type at once (one endpoint look-up: bulk imports)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    if not items:
        return
    endpoints = session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.deleted_at.is_(None))
    ).all()
    targets = [e for e in endpoints if type in (e.events or [])]
    if not targets:
        return
    now = datetime.now(UTC)
    for data in items:
        case_id = data.get("recoveryCaseId")
        body = dumps({"type": type, "timestamp": format_timestamp(now), "data": data}).decode()
        message_id = f"msg_{secrets.token_hex(12)}"
        for endpoint in targets:
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    message_id=message_id,
                    type=type,
                    recovery_case_id=str(case_id) if case_id else None,
                    body=body,
                    status="PENDING",
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    session.flush()


def case_data(case: RecoveryCase, **extra: Any) -> dict[str, Any]:
    """An event's `data` for a case: its id at `recoveryCaseId`, its state, and `extra`."""
    return {
        "recoveryCaseId": case.id,
        "customerId": case.customer_id,
        "invoiceNumber": case.invoice_number,
        "status": case.status,
        "amount": str(case.amount),
        "amountPaid": str(case.amount_paid),
        "currency": case.currency,
        "dueDate": case.due_date.isoformat() if case.due_date else None,
        **extra,
    }


def resolved_or_updated(before: dict[str, Any], after: dict[str, Any]) -> str:
    """`case.resolved` for a change that settles the case, else `case.updated`."""
    settles = after.get("status") == "RESOLVED" and before.get("status") != "RESOLVED"
    return "case.resolved" if settles else "case.updated"


def reminder_data(reminder: dict[str, Any]) -> dict[str, Any]:
    """An event's `data` for a reminder row marked SENT or FAILED."""
    return {
        "recoveryCaseId": reminder["recovery_case_id"],
        "reminderId": reminder["id"],
        "type": reminder["type"],
        "channel": reminder["channel"],
        "status": reminder["status"],
        "recipient": reminder["recipient"],
        "sentAt": reminder["sent_at"],
        "error": reminder["error"],
    }


def document_data(
    document: Document, case_id: str | None, extraction: Extraction
) -> dict[str, Any]:
    return {
        "recoveryCaseId": case_id,
        "documentId": document.id,
        "extractionId": extraction.id,
        "reason": document.failure_reason,
        "confidence": extraction.confidence,
    }


def promise_data(case: RecoveryCase, promise: Promise) -> dict[str, Any]:
    return case_data(
        case,
        promiseId=promise.id,
        promisedDate=promise.promised_date.isoformat(),
        promiseAmount=None if promise.amount is None else str(promise.amount),
        promiseStatus=promise.status,
        breaksAt=promise.breaks_at,
    )
