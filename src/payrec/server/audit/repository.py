"""Audit log queries: the filtered, newest-first list."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from payrec.server.models import AuditEvent
from payrec.server.pagination import count_and_page


def page(
    session: Session,
    *,
    entity_type: str | None,
    entity_id: str | None,
    recovery_case_id: str | None,
    action: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[AuditEvent], int]:
    conditions = []
    if entity_type:
        conditions.append(AuditEvent.entity_type == entity_type)
    if entity_id:
        conditions.append(AuditEvent.entity_id == entity_id)
    if recovery_case_id:
        conditions.append(AuditEvent.recovery_case_id == recovery_case_id)
    if action:
        conditions.append(AuditEvent.action == action)
    order = (AuditEvent.at.desc(), AuditEvent.id)
    return count_and_page(session, AuditEvent, conditions, order, offset=offset, limit=limit)
