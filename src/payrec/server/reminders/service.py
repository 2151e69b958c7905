"""Reminder records: created once per task, then SENT or FAILED exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.domain.policy import Channel
from payrec.domain.states import REMINDER, check_transition
from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.errors import Conflict, Invalid, NotFound
from payrec.server.models import Customer, RecoveryCase, Reminder, Task
from payrec.server.reminders.schemas import (
    ReminderCreate,
    ReminderOut,
    ReminderSent,
    TaskCompletion,
)
from payrec.server.templates.rendering import opted_out


def to_out(reminder: Reminder) -> ReminderOut:
    return ReminderOut(
        id=reminder.id,
        recovery_case_id=reminder.recovery_case_id,
        task_id=reminder.task_id,
        type=reminder.type,
        template_id=reminder.template_id,
        scheduled_for=reminder.scheduled_for,
        recipient=reminder.recipient,
        metadata=reminder.meta or {},
        status=reminder.status,
        channel=reminder.channel,
        sent_at=reminder.sent_at,
        external_id=reminder.external_id,
        error=reminder.error,
        created_at=reminder.created_at,
        updated_at=reminder.updated_at,
    )


def get(session: Session, reminder_id: str, *, for_update: bool = False) -> Reminder:
    stmt = select(Reminder).where(Reminder.id == reminder_id)
    if for_update:
        stmt = stmt.with_for_update()
    reminder = session.scalar(stmt)
    if reminder is None:
        raise NotFound("reminder", reminder_id)
    return reminder


def create(session: Session, data: ReminderCreate, actor: Actor) -> tuple[Reminder, bool]:
    """Record a reminder; one per task, so a retried creation returns the first."""
    case = session.get(RecoveryCase, data.recovery_case_id)
    if case is None:
        raise Invalid("unknown recovery case", field="recoveryCaseId")
    if data.task_id is not None:
        existing = session.scalar(select(Reminder).where(Reminder.task_id == data.task_id))
        if existing is not None:
            return existing, False
    if case.status in ("RESOLVED", "WRITTEN_OFF", "PAUSED", "DISPUTED"):
        raise Conflict(
            f"case is {case.status}: no reminder may be sent", code="case-not-contactable"
        )
    if data.render:
        customer = session.get(Customer, case.customer_id)
        if customer is not None and opted_out(customer, Channel(data.type)):
            raise Conflict(f"the customer opted out of {data.type}", code="customer-opted-out")
    reminder = Reminder(
        recovery_case_id=case.id,
        task_id=data.task_id,
        type=data.type,
        template_id=data.template_id,
        scheduled_for=data.scheduled_for,
        recipient=data.recipient,
        meta=data.metadata,
        status="SCHEDULED",
    )
    session.add(reminder)
    session.flush()
    record(
        session,
        actor,
        action="reminder.created",
        entity_type="reminder",
        entity_id=reminder.id,
        case_id=case.id,
        after={
            "type": reminder.type,
            "recipient": reminder.recipient,
            "templateId": reminder.template_id,
        },
    )
    return reminder, True


def mark(session: Session, reminder_id: str, data: ReminderSent, actor: Actor) -> Reminder:
    reminder = get(session, reminder_id, for_update=True)
    if not check_transition(REMINDER, reminder.status, data.status):
        return reminder  # marking sent twice is a no-op
    reminder.status = data.status
    reminder.channel = data.channel or reminder.type
    reminder.external_id = data.external_id or reminder.external_id
    reminder.error = data.error
    if data.status == "SENT":
        reminder.sent_at = data.sent_at or datetime.now(UTC)
    record(
        session,
        actor,
        action=f"reminder.{data.status.lower()}",
        entity_type="reminder",
        entity_id=reminder.id,
        case_id=reminder.recovery_case_id,
        before={"status": "SCHEDULED"},
        after={
            "status": reminder.status,
            "externalId": reminder.external_id,
            "error": reminder.error,
        },
    )
    if data.status == "SENT" and data.case_note:
        _advance_case(session, reminder, data.case_note, actor)
    session.flush()
    return reminder


def complete_task(
    session: Session, reminder: Reminder, completion: TaskCompletion, actor: Actor
) -> Task | None:
    """Complete a sent reminder's task in a savepoint: a stale lease or a task that moved on
    leaves the task untouched and never rolls back the reminder's SENT mark."""
    from payrec.server.tasks import service as tasks
    from payrec.server.tasks.schemas import TaskStatusUpdate

    if reminder.task_id != completion.id:
        raise Invalid("completeTask.id is not this reminder's task", field="completeTask.id")
    update = TaskStatusUpdate(
        status="COMPLETED", result=completion.result, lease_token=completion.lease_token
    )
    try:
        with session.begin_nested():
            return tasks.update_status(session, completion.id, update, actor)
    except (Conflict, NotFound):
        return session.get(Task, completion.id)


def _advance_case(session: Session, reminder: Reminder, note: str, actor: Actor) -> None:
    """What a sent reminder means for its case, atomically with the reminder's SENT."""
    from payrec.server.cases import repository as case_repository
    from payrec.server.cases import service as cases
    from payrec.server.cases.schemas import CaseUpdate

    case = case_repository.get(session, reminder.recovery_case_id, for_update=True)
    if case is None:
        return
    cases.update(
        session,
        case.id,
        CaseUpdate(
            status="IN_PROGRESS" if case.status in ("PENDING", "OVERDUE") else None,
            last_reminder_sent_at=reminder.sent_at,
            notes=note,
        ),
        actor,
        locked=case,
    )
