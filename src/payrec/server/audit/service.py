"""The audit log: one entry per state change, written in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.jsonio import to_plain
from payrec.server.models import AuditEvent


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
) -> AuditEvent:
    event = AuditEvent(
        actor=actor.name,
        service_name=actor.service_name,
        request_id=actor.request_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        recovery_case_id=case_id,
        before=_jsonable(before),
        after=_jsonable(after),
    )
    session.add(event)
    return event


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    plain: dict[str, Any] = to_plain(values)
    return plain
