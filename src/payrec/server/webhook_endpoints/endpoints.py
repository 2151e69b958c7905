"""`/api/v1/webhook-endpoints` (ADMIN) and `/api/v1/automation/webhook-deliveries` (workers)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from starlette.responses import Response

from payrec.server.auth.secretbox import secret_box
from payrec.server.automation_deps import AdminContext, AutomationContext
from payrec.server.jsonio import json_response
from payrec.server.routing import api_router
from payrec.server.webhook_endpoints import service
from payrec.server.webhook_endpoints.schemas import (
    ClaimedDeliveries,
    DeliveryClaim,
    DeliveryList,
    DeliveryOut,
    DeliveryReports,
    DeliveryReportsOut,
    DeliveryResult,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointOut,
)

router = api_router(prefix="/webhook-endpoints", tags=["webhook endpoints"])
automation_router = api_router(prefix="/webhook-deliveries", tags=["webhook deliveries"])

StatusFilter = Literal["PENDING", "IN_PROGRESS", "SUCCEEDED", "FAILED", "CANCELLED"]


@router.post("", status_code=201, response_model=WebhookEndpointOut)
def create_endpoint(body: WebhookEndpointCreate, ctx: AdminContext) -> Response:
    settings = ctx.state.settings
    return ctx.write(
        lambda s: service.create(
            s,
            body,
            ctx.actor,
            box=secret_box(settings),
            allow_private=settings.webhook_allow_private,
        ),
        status_code=201,
        secret_fields=("secret",),
    )


@router.get("", response_model=WebhookEndpointList)
def list_endpoints(ctx: AdminContext) -> Response:
    with ctx.read() as session:
        return json_response(WebhookEndpointList(endpoints=service.list_all(session)))


@router.get("/{endpoint_id}", response_model=WebhookEndpointOut)
def get_endpoint(endpoint_id: str, ctx: AdminContext) -> Response:
    with ctx.read() as session:
        return json_response(service.endpoint_out(service.get(session, endpoint_id)))


@router.delete("/{endpoint_id}", status_code=204, response_class=Response)
def delete_endpoint(endpoint_id: str, ctx: AdminContext) -> Response:
    ctx.write(lambda s: service.delete(s, endpoint_id, ctx.actor))
    return Response(status_code=204)


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryList)
def list_deliveries(
    endpoint_id: str,
    ctx: AdminContext,
    status: Annotated[StatusFilter | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    with ctx.read() as session:
        items = service.deliveries(session, endpoint_id, status=status, limit=limit)
        return json_response(DeliveryList(deliveries=items))


@router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryOut)
def redeliver(endpoint_id: str, delivery_id: str, ctx: AdminContext) -> Response:
    return ctx.write(lambda s: service.redeliver(s, endpoint_id, delivery_id, ctx.actor))


@automation_router.post("/claim", response_model=ClaimedDeliveries)
def claim_deliveries(body: DeliveryClaim, ctx: AutomationContext) -> Response:
    settings = ctx.state.settings
    return ctx.write(
        lambda s: ClaimedDeliveries(
            deliveries=service.claim(s, body, box=secret_box(settings), settings=settings)
        ),
        secret_fields=("deliveries",),
    )


@automation_router.put("/{delivery_id}/result", response_model=DeliveryOut)
def report_result(delivery_id: str, body: DeliveryResult, ctx: AutomationContext) -> Response:
    settings = ctx.state.settings
    return ctx.write(lambda s: service.report(s, delivery_id, body, settings=settings))


@automation_router.post("/results", response_model=DeliveryReportsOut)
def report_results(body: DeliveryReports, ctx: AutomationContext) -> Response:
    """Several attempts' results in one request (what the `webhooks` worker sends)."""
    settings = ctx.state.settings
    return ctx.write(lambda s: service.report_many(s, body.results, settings=settings))
