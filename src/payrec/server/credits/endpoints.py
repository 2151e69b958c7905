"""`/api/v1/customers/{id}/credits` (management): an overpayment's surplus, applied to
another open case of the customer or marked refunded."""

from __future__ import annotations

from starlette.responses import Response

from payrec.server.automation_deps import ManagementContext
from payrec.server.credits import service
from payrec.server.credits.schemas import (
    CreditApplied,
    CreditApply,
    CreditList,
    CreditOut,
    CreditRefund,
)
from payrec.server.jsonio import json_response
from payrec.server.routing import api_router

router = api_router(prefix="/customers/{customer_id}/credits", tags=["credits"])


@router.get("", response_model=CreditList)
def list_credits(customer_id: str, ctx: ManagementContext) -> Response:
    with ctx.read() as session:
        body = service.list_for(session, customer_id)
    return json_response(body)


@router.post("/{credit_id}/apply", response_model=CreditApplied)
def apply_credit(
    customer_id: str, credit_id: str, body: CreditApply, ctx: ManagementContext
) -> Response:
    return ctx.write(
        lambda s: service.apply(s, customer_id, credit_id, body.recovery_case_id, ctx.actor)
    )


@router.post("/{credit_id}/refund", response_model=CreditOut)
def refund_credit(
    customer_id: str, credit_id: str, body: CreditRefund, ctx: ManagementContext
) -> Response:
    return ctx.write(lambda s: service.refund(s, customer_id, credit_id, body.reason, ctx.actor))
