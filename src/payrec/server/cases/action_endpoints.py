"""`/api/v1/recovery-cases/{id}/promises|disputes|pause|resume`: collectors' work, so ADMIN
or AGENT for reads and writes alike."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.server.auth.roles import Role
from payrec.server.automation_deps import ManagementContext, StaffContext
from payrec.server.cases import assignment, disputes, holds, promises
from payrec.server.cases import service as cases
from payrec.server.cases.action_schemas import (
    AssignRequest,
    DisputeCreate,
    DisputeReceipt,
    DisputeResolve,
    PauseRequest,
    PromiseCreate,
    PromiseReceipt,
    ResumeRequest,
)
from payrec.server.cases.action_views import dispute_out, promise_out
from payrec.server.cases.schemas import CaseOut
from payrec.server.jsonio import json_response
from payrec.server.routing import api_router

router = api_router(prefix="/recovery-cases/{case_id}", tags=["case-actions"])


@router.post("/promises", status_code=201, response_model=PromiseReceipt)
def take_promise(case_id: str, body: PromiseCreate, ctx: StaffContext) -> Response:
    """Reminders stop until the promised date plus the policy's `promiseGraceDays`."""

    def action(session: Session) -> PromiseReceipt:
        promise = promises.create(
            session,
            case_id,
            promised_date=body.promised_date,
            amount=body.amount,
            note=body.note,
            actor=ctx.actor,
        )
        return PromiseReceipt(promise=promise_out(promise), case=cases.get_out(session, case_id))

    return ctx.write(action, status_code=201)


@router.get("/promises")
def list_promises(case_id: str, ctx: ManagementContext) -> Response:
    with ctx.read() as session:
        rows = [promise_out(p) for p in promises.listing(session, case_id)]
    return json_response({"promises": rows, "total": len(rows)})


@router.post("/disputes", status_code=201, response_model=DisputeReceipt)
def open_dispute(case_id: str, body: DisputeCreate, ctx: StaffContext) -> Response:
    """Contact stops (DISPUTED) until the dispute is resolved."""

    def action(session: Session) -> DisputeReceipt:
        dispute = disputes.open_dispute(
            session, case_id, reason=body.reason, text=body.text, actor=ctx.actor
        )
        case = cases.get_out(session, case_id)
        return DisputeReceipt(dispute=dispute_out(dispute, case.currency), case=case)

    return ctx.write(action, status_code=201)


@router.get("/disputes")
def list_disputes(case_id: str, ctx: ManagementContext) -> Response:
    with ctx.read() as session:
        currency = cases.get(session, case_id).currency
        rows = [dispute_out(d, currency) for d in disputes.listing(session, case_id)]
    return json_response({"disputes": rows, "total": len(rows)})


@router.post("/disputes/{dispute_id}/resolve", response_model=DisputeReceipt)
def resolve_dispute(
    case_id: str, dispute_id: str, body: DisputeResolve, ctx: StaffContext
) -> Response:
    def action(session: Session) -> DisputeReceipt:
        dispute, case = disputes.resolve(
            session,
            case_id,
            dispute_id,
            outcome=body.outcome,
            amount=body.amount,
            note=body.note,
            actor=ctx.actor,
            may_write_off=ctx.principal.has_any(Role.ADMIN.value),
        )
        return DisputeReceipt(
            dispute=dispute_out(dispute, case.currency), case=cases.get_out(session, case_id)
        )

    return ctx.write(action)


@router.post("/pause", response_model=CaseOut)
def pause_case(case_id: str, body: PauseRequest, ctx: StaffContext) -> Response:
    """Contact stops until `until` (the customer's zone), then resumes by itself."""

    def action(session: Session) -> CaseOut:
        holds.pause(session, case_id, body.until, body.reason, ctx.actor)
        return cases.get_out(session, case_id)

    return ctx.write(action)


@router.post("/resume", response_model=CaseOut)
def resume_case(case_id: str, ctx: StaffContext, body: ResumeRequest | None = None) -> Response:
    """Contact resumes; the steps the pause cancelled are planned again."""

    def action(session: Session) -> CaseOut:
        reason = (body.reason if body else None) or "resumed"
        holds.resume(session, case_id, ctx.actor, reason=reason)
        return cases.get_out(session, case_id)

    return ctx.write(action)


@router.post("/assign", response_model=CaseOut)
def assign_case(case_id: str, body: AssignRequest, ctx: StaffContext) -> Response:
    """Assign the case to a collector (`userId`), or to nobody (`userId: null`)."""

    def action(session: Session) -> CaseOut:
        assignment.assign(session, case_id, body.user_id, ctx.actor)
        return cases.get_out(session, case_id)

    return ctx.write(action)
