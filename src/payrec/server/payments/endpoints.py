"""`/api/v1/recovery-cases/{id}/payments` (management)."""

from __future__ import annotations

from starlette.responses import Response

from payrec.server.automation_deps import ManagementContext
from payrec.server.cases import service as cases
from payrec.server.jsonio import json_response
from payrec.server.payments import repository, service
from payrec.server.payments.schemas import PaymentCreate, PaymentReceipt
from payrec.server.routing import api_router

router = api_router(prefix="/recovery-cases/{case_id}/payments", tags=["payments"])


@router.post("", status_code=201, response_model=PaymentReceipt)
def record_payment(case_id: str, body: PaymentCreate, ctx: ManagementContext) -> Response:
    return ctx.write(lambda s: service.record_payment(s, case_id, body, ctx.actor), status_code=201)


@router.get("")
def list_payments(case_id: str, ctx: ManagementContext) -> Response:
    with ctx.read() as session:
        cases.get(session, case_id)
        payments = [service.to_out(p) for p in repository.for_case(session, case_id)]
    return json_response({"payments": payments, "total": len(payments)})
