"""The audit log: one entry per state change, written in the same transaction.

Entries are kept on the session and written in one statement when the transaction commits,
however many a request records (a sent reminder records four): one round trip instead of one
per entry between the other statements. A transaction that rolls back writes none of them.
Inside a savepoint an entry is added at once instead, so that rolling the savepoint back
takes the entry with it.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, event, insert
from sqlalchemy.orm import Session, SessionTransaction

from payrec.server.actor import Actor
from payrec.server.jsonio import to_plain
from payrec.server.models import AuditEvent
from payrec.server.models.base import new_id, new_ids, utcnow

_PENDING = "payrec.audit.pending"
_INSERT = insert(cast(Table, AuditEvent.__table__))


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    entity_type: str,
    entity_id: str,
    case_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    row = {
        "id": new_id("evt"),
        "at": utcnow(),
        "actor": actor.name,
        "service_name": actor.service_name,
        "request_id": actor.request_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "recovery_case_id": case_id,
        "before": _jsonable(before),
        "after": _jsonable(after),
    }
    if session.in_nested_transaction():
        session.add(AuditEvent(**row))
        return
    session.info.setdefault(_PENDING, []).append(row)


def record_many(session: Session, actor: Actor, entries: list[dict[str, Any]]) -> None:
    """Many entries at once, written now in one executemany (bulk imports): each entry has
    `action`, `entity_type`, `entity_id` and optionally `case_id`, `before`, `after`."""
    if not entries:
        return
    at = utcnow()
    rows = [
        {
            "id": event_id,
            "at": at,
            "actor": actor.name,
            "service_name": actor.service_name,
            "request_id": actor.request_id,
            "action": entry["action"],
            "entity_type": entry["entity_type"],
            "entity_id": entry["entity_id"],
            "recovery_case_id": entry.get("case_id"),
            "before": _jsonable(entry.get("before")),
            "after": _jsonable(entry.get("after")),
        }
        for entry, event_id in zip(entries, new_ids("evt", len(entries)), strict=True)
    ]
    session.connection().execute(_INSERT, rows)


def statement_fields(actor: Actor) -> dict[str, Any]:
    """A new entry's id and who made it, for an entry that a statement writes itself
    (`tasks.repository.lease_due_and_audit`): the values `record` would give it."""
    return {
        "event_id": new_id("evt"),
        "actor": actor.name,
        "service_name": actor.service_name,
        "request_id": actor.request_id,
    }


def write_pending(session: Session) -> None:
    """Write the entries recorded so far (before reading the log in the same transaction)."""
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.connection().execute(_INSERT, rows)


@event.listens_for(Session, "before_commit")
def _write_on_commit(session: Session) -> None:
    write_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _discard_on_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed (written) or undone
        session.info.pop(_PENDING, None)


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    plain: dict[str, Any] = to_plain(values)
    return plain
