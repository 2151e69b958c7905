"""`/api/v1/automation/reminders`."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.server.automation_deps import AutomationContext
from payrec.server.jsonio import json_response
from payrec.server.reminders import marking, service
from payrec.server.reminders.schemas import ReminderCreate, ReminderOut, ReminderSent
from payrec.server.routing import api_router

router = api_router(prefix="/reminders", tags=["reminders"])


@router.post("", status_code=201, response_model=ReminderOut)
def create_reminder(body: ReminderCreate, ctx: AutomationContext) -> Response:
    def action(session: Session) -> Response:
        reminder, created, content = service.create(
            session, body, ctx.actor, link_template=ctx.state.settings.payment_link_template
        )
        out = service.to_out(reminder)
        out.content = content
        return json_response(out, 201 if created else 200)

    return ctx.write(action)


@router.get("/{reminder_id}", response_model=ReminderOut)
def get_reminder(reminder_id: str, ctx: AutomationContext) -> Response:
    with ctx.read() as session:
        return json_response(service.to_out(service.get(session, reminder_id)))


@router.put("/{reminder_id}/sent", response_model=ReminderOut)
def record_reminder_sent(reminder_id: str, body: ReminderSent, ctx: AutomationContext) -> Response:
    def action(session: Session) -> ReminderOut:
        out, task = marking.mark(session, reminder_id, body, ctx.actor)
        out.task = task
        return out

    return ctx.write(action)
