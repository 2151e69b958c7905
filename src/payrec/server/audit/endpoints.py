"""`GET /api/v1/audit-events`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from starlette.responses import Response

from payrec.server.audit import repository
from payrec.server.automation_deps import ManagementContext
from payrec.server.jsonio import json_response
from payrec.server.pagination import PageQuery
from payrec.server.routing import api_router
from payrec.server.types import OutModel

router = api_router(prefix="/audit-events", tags=["audit"])


class AuditEventOut(OutModel):
    id: str
    at: datetime
    actor: str | None
    service_name: str | None
    request_id: str | None
    action: str
    entity_type: str
    entity_id: str
    recovery_case_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditEventList(OutModel):
    events: list[AuditEventOut]
    total: int
    next_cursor: str | None


@router.get("", response_model=AuditEventList)
def list_audit_events(
    ctx: ManagementContext,
    page: PageQuery,
    entity_type: Annotated[str | None, Query(alias="entityType", max_length=40)] = None,
    entity_id: Annotated[str | None, Query(alias="entityId", max_length=40)] = None,
    recovery_case_id: Annotated[str | None, Query(alias="recoveryCaseId", max_length=40)] = None,
    action: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    with ctx.read() as session:
        rows, total = repository.page(
            session,
            entity_type=entity_type,
            entity_id=entity_id,
            recovery_case_id=recovery_case_id,
            action=action,
            offset=page.offset,
            limit=page.limit,
        )
        events = [AuditEventOut.from_row(e) for e in rows]
    return json_response(
        AuditEventList(events=events, total=total, next_cursor=page.next_cursor(len(rows), total))
    )
