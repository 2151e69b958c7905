"""`/api/v1/recovery-cases/{id}/payments` (management)."""

from __future__ import annotations

from starlette.responses import Response

from payrec.server.automation_deps import ManagementContext
from payrec.server.cases import service as cases
from payrec.server.jsonio import json_response
from payrec.server.payments import repository, reversal, service
from payrec.server.payments.schemas import PaymentCreate, PaymentReceipt, PaymentReversal
from payrec.server.routing import api_router

router = api_router(prefix="/recovery-cases/{case_id}/payments", tags=["payments"])
reversal_router = api_router(prefix="/payments", tags=["payments"])


@router.post("", status_code=201, response_model=PaymentReceipt)
def record_payment(case_id: str, body: PaymentCreate, ctx: ManagementContext) -> Response:
    return ctx.write(lambda s: service.record_payment(s, case_id, body, ctx.actor), status_code=201)


@router.get("")
def list_payments(case_id: str, ctx: ManagementContext) -> Response:
    with ctx.read() as session:
        cases.get(session, case_id)
        payments = [service.to_out(p) for p in repository.for_case(session, case_id)]
    return json_response({"payments": payments, "total": len(payments)})


@reversal_router.post("/{payment_id}/reverse", response_model=PaymentReceipt)
def reverse_payment(payment_id: str, body: PaymentReversal, ctx: ManagementContext) -> Response:
    """A bounced transfer, a refund or a chargeback: the case owes the amount again (a
    RESOLVED one re-opens and its steps are planned anew); the reason is on the timeline."""
    return ctx.write(
        lambda s: reversal.reverse_payment(s, payment_id, body.reason, ctx.actor)
    )
