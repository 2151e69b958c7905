"""`emit`: the one call a service makes to tell other systems about a change it wrote.

The event is written into the outbox (`webhook_deliveries`, one row per subscribed endpoint)
in the caller's session, so it commits or rolls back with the change it reports. The worker
delivers it (`webhook_endpoints.deliveries`).

Which endpoints subscribe is read once per transaction (one small query, only `id` and
`events` of live endpoints) and kept on the session for that transaction: a payment that
emits `payment.recorded` and `case.resolved`, or an import that emits one event per row,
asks once. No cache outlives the transaction, so an endpoint created on any backend is seen
by every transaction that begins after its creation committed; creating or deleting one in
the same transaction drops the memo (`endpoints_changed`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sized
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, SessionTransaction

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

_MEMO = "payrec.events.subscribers"

Subscribers = tuple[tuple[str, frozenset[str]], ...]


def subscribers(session: Session) -> Subscribers:
    """The live endpoints as (id, event types), read once per transaction of `session`."""
    transaction: SessionTransaction | None = session.get_transaction()
    memo = session.info.get(_MEMO)
    if memo is not None and transaction is not None and memo[0] is transaction:
        found: Subscribers = memo[1]
        return found
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events)
        .where(WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    ).all()
    found = tuple((row.id, frozenset(row.events or ())) for row in rows)
    session.info[_MEMO] = (session.get_transaction(), found)
    return found


def endpoints_changed(session: Session) -> None:
    """Forget the memo: an endpoint was created or deleted in this transaction."""
    session.info.pop(_MEMO, None)


def emit(session: Session, type: str, data: dict[str, Any]) -> None:
    """Queue `{type, timestamp, data}` for every live endpoint subscribed to `type`."""
    emit_many(session, type, [data])


def emit_many(session: Session, type: str, items: Iterable[dict[str, Any]]) -> None:
    """`emit` for many changes of one type at once (bulk imports); `items` is only read
    when an endpoint is subscribed to `type` (an import's cases, when none is, never)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    if isinstance(items, Sized) and not items:
        return
    targets = [endpoint_id for endpoint_id, types in subscribers(session) if type in types]
    if not targets:
        return
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for data in items:
        case_id = data.get("recoveryCaseId")
        body = dumps({"type": type, "timestamp": format_timestamp(now), "data": data}).decode()
        message_id = f"msg_{secrets.token_hex(12)}"
        for endpoint_id in targets:
            rows.append(
                {
                    "endpoint_id": endpoint_id,
                    "message_id": message_id,
                    "type": type,
                    "recovery_case_id": str(case_id) if case_id else None,
                    "body": body,
                    "status": "PENDING",
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    # one executemany, rows in call order (so `seq` keeps each case's order), at once: the
    # rows are written here, as the change they report was
    if rows:
        session.execute(insert(WebhookDelivery), rows)


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
