"""`/api/v1/automation/notifications`."""

from __future__ import annotations

from starlette.responses import Response

from payrec.server.automation_deps import AutomationContext
from payrec.server.jsonio import json_response
from payrec.server.notifications import service
from payrec.server.notifications.schemas import (
    ClaimedNotifications,
    NotificationClaim,
    NotificationCreate,
    NotificationOut,
    NotificationStatusUpdate,
)
from payrec.server.routing import api_router

router = api_router(prefix="/notifications", tags=["notifications"])


@router.post("", status_code=201, response_model=NotificationOut)
def create_notification(body: NotificationCreate, ctx: AutomationContext) -> Response:
    return ctx.write(lambda s: service.to_out(service.create(s, body, ctx.actor)), status_code=201)


@router.post("/claim", response_model=ClaimedNotifications)
def claim_notifications(body: NotificationClaim, ctx: AutomationContext) -> Response:
    return ctx.write(
        lambda s: ClaimedNotifications(
            notifications=[
                service.to_out(n, with_lease=True) for n in service.claim(s, body, ctx.actor)
            ]
        )
    )


@router.get("/{notification_id}", response_model=NotificationOut)
def get_notification(notification_id: str, ctx: AutomationContext) -> Response:
    with ctx.read() as session:
        return json_response(service.to_out(service.get(session, notification_id)))


@router.put("/{notification_id}/status", response_model=NotificationOut)
def update_notification_status(
    notification_id: str, body: NotificationStatusUpdate, ctx: AutomationContext
) -> Response:
    return ctx.write(
        lambda s: service.to_out(service.update_status(s, notification_id, body, ctx.actor))
    )
