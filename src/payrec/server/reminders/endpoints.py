"""`/api/v1/automation/reminders`."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.server.actor import Actor
from payrec.server.automation_deps import AutomationContext
from payrec.server.fastlane import Work, plain_body
from payrec.server.jsonio import json_response
from payrec.server.reminders import marking, service
from payrec.server.reminders.schemas import ReminderCreate, ReminderOut, ReminderSent
from payrec.server.routing import api_router
from payrec.server.state import AppState

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
        return _mark(session, reminder_id, body, ctx.actor)

    return ctx.write(action)


def _mark(session: Session, reminder_id: str, body: ReminderSent, actor: Actor) -> ReminderOut:
    out, task = marking.mark(session, reminder_id, body, actor)
    out.task = task
    return out


def sent_lane(
    query: Mapping[str, list[str]], body: bytes, params: Mapping[str, str]
) -> Work | None:
    """`record_reminder_sent` for the fast lane, if the request is plain (see fastlane)."""
    sent = plain_body(ReminderSent, query, body)
    if sent is None:
        return None
    reminder_id = params["reminder_id"]

    def work(state: AppState, actor: Actor) -> ReminderOut:
        with state.db.write() as session:
            return _mark(session, reminder_id, sent, actor)

    return work
