"""Recovery cases: the guide's automation endpoints and the management ones."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.server.auth.roles import Role
from payrec.server.automation_deps import AutomationContext, ManagementContext, StaffContext
from payrec.server.cases import edits, repository, service
from payrec.server.cases.schemas import (
    CaseCreate,
    CaseDetail,
    CaseEdit,
    CaseList,
    CaseOut,
    CaseStatusName,
    CaseUpdate,
    OpenStatusName,
    PriorityName,
)
from payrec.server.cases.timeline import case_detail
from payrec.server.documents.endpoints import base_url
from payrec.server.jsonio import json_response
from payrec.server.pagination import PageQuery, decode_cursor
from payrec.server.routing import api_router

automation_router = api_router(prefix="/recovery-cases", tags=["recovery-cases"])
management_router = api_router(prefix="/recovery-cases", tags=["recovery-cases"])


@automation_router.get("/pending", response_model=CaseList)
def get_pending_recovery_cases(
    ctx: AutomationContext,
    status: OpenStatusName | None = None,
    priority: PriorityName | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    include: Annotated[Literal["schedule"] | None, Query()] = None,
) -> Response:
    """Open cases by priority then due date; `include=schedule` adds what the scheduler needs."""
    offset = decode_cursor(cursor)
    with ctx.read() as session:
        body = service.queue_page(
            session, status=status, priority=priority, offset=offset, limit=limit, include=include
        )
    return json_response(body)  # the CaseList shape, built without models (hot path)


@automation_router.get("/{case_id}", response_model=CaseOut)
def get_recovery_case(case_id: str, ctx: AutomationContext) -> Response:
    with ctx.read() as session:
        return json_response(service.get_out(session, case_id))


@automation_router.put("/{case_id}", response_model=CaseOut)
def update_recovery_case(case_id: str, body: CaseUpdate, ctx: AutomationContext) -> Response:
    def action(session: Session) -> CaseOut:
        service.update(session, case_id, body, ctx.actor)
        return service.get_out(session, case_id)

    return ctx.write(action)


@management_router.post("", status_code=201, response_model=CaseOut)
def create_recovery_case(body: CaseCreate, ctx: ManagementContext) -> Response:
    def action(session: Session) -> CaseOut:
        case = service.create(session, body, ctx.actor)
        return service.get_out(session, case.id)

    return ctx.write(action, status_code=201)


@management_router.get("", response_model=CaseList)
def list_recovery_cases(
    ctx: ManagementContext,
    page: PageQuery,
    status: CaseStatusName | None = None,
    customer_id: Annotated[str | None, Query(alias="customerId", max_length=40)] = None,
) -> Response:
    with ctx.read() as session:
        rows, total = repository.page(
            session, status=status, customer_id=customer_id, offset=page.offset, limit=page.limit
        )
        body = CaseList(
            cases=service.charged_out(session, list(repository.with_customers(session, rows))),
            total=total,
            next_cursor=page.next_cursor(len(rows), total),
        )
    return json_response(body)


@management_router.get("/{case_id}", response_model=CaseDetail)
def get_case_detail(case_id: str, ctx: ManagementContext) -> Response:
    with ctx.read() as session:
        return json_response(case_detail(session, case_id, base_url(ctx)))


@management_router.patch("/{case_id}", response_model=CaseOut)
def patch_recovery_case(case_id: str, body: CaseEdit, ctx: StaffContext) -> Response:
    """ADMIN or AGENT: the update's fields (a write-off: ADMIN only, with its reason), plus
    `amount`, `dueDate` and `policyId` with a `reason` (audited; an amount below what was
    paid is refused; a new due date or policy re-plans the steps not yet run)."""

    def action(session: Session) -> CaseOut:
        edits.edit(
            session, case_id, body, ctx.actor, may_write_off=ctx.principal.has_any(Role.ADMIN.value)
        )
        return service.get_out(session, case_id)

    return ctx.write(action)
