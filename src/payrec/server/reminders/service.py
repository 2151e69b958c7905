"""Reminder records: created once per task, then SENT or FAILED exactly once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from payrec.domain.cases import OPEN, is_contactable
from payrec.domain.policy import Channel
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cases import service as cases
from payrec.server.customers import service as customers
from payrec.server.errors import Conflict, Invalid, NotFound
from payrec.server.models import Customer, RecoveryCase, Reminder
from payrec.server.reminders.schemas import (
    ReminderContent,
    ReminderCreate,
    ReminderOut,
)
from payrec.server.templates import rendering
from payrec.server.templates.rendering import opted_out
from payrec.server.templates.schemas import RenderedOut, RenderRequest

SUBJECT_CAP = 500  # the column's size
BODY_CAP = 20_000  # characters of the text body kept: a dunning letter fits many times
CUT = "\n[…]"


def to_out(reminder: Reminder) -> ReminderOut:
    return ReminderOut.from_row(reminder, metadata=reminder.meta or {})


def to_managed(reminder: Reminder) -> dict[str, Any]:
    """The reminder as the management API shows it: the automation shape, with `content` the
    stored render (`{"subject", "body", "language"}`, or null when none was rendered)."""
    out: dict[str, Any] = to_out(reminder).model_dump(mode="python", by_alias=True)
    out["content"] = stored_content(reminder)
    return out


def stored_content(reminder: Any) -> dict[str, Any] | None:
    """What `keep_content` stored on `reminder` (an ORM row or a Core row of its columns)."""
    if reminder.content_body is None:
        return None
    return ReminderContent(
        subject=reminder.content_subject,
        body=reminder.content_body,
        language=reminder.content_language,
    ).model_dump(mode="python", by_alias=True)


def keep_content(reminder: Reminder, content: RenderedOut | None) -> None:
    """Store on `reminder` what was rendered for the customer: its subject, text body (capped:
    `SUBJECT_CAP`, `BODY_CAP`) and language. It is what the customer receives, so it is
    written when the reminder is recorded and never re-rendered for display. A re-claim (or a
    retried `POST /reminders` with `render`) while the reminder is still SCHEDULED answers a
    fresh render, and that is what its worker sends: the stored one follows it when it changed
    (a template edited in between). Once SENT or FAILED, it never changes."""
    if content is None or reminder.status != "SCHEDULED":
        return
    kept = (_cap(content.subject, SUBJECT_CAP), _cap(content.text, BODY_CAP), content.language)
    if kept != (reminder.content_subject, reminder.content_body, reminder.content_language):
        reminder.content_subject, reminder.content_body, reminder.content_language = kept


def _cap(text: str | None, size: int) -> str | None:
    if text is None or len(text) <= size:
        return text
    return text[: size - len(CUT)] + CUT


def get(session: Session, reminder_id: str, *, for_update: bool = False) -> Reminder:
    stmt = _LOCK_REMINDER if for_update else _GET_REMINDER
    reminder = session.scalar(stmt, {"reminder_id": reminder_id})
    if reminder is None:
        raise NotFound("reminder", reminder_id)
    return reminder


# Built once: SQLAlchemy then skips building the statement and its cache key on every call.
_GET_REMINDER = select(Reminder).where(Reminder.id == bindparam("reminder_id"))
_LOCK_REMINDER = _GET_REMINDER.with_for_update()


def create(
    session: Session, data: ReminderCreate, actor: Actor, *, link_template: str
) -> tuple[Reminder, bool, RenderedOut | None]:
    """Record a reminder; one per task, so a retried creation returns the first. With
    `render`, also what to send (rendered before the record is written, so the record carries
    its subject from the start)."""
    case = session.get(RecoveryCase, data.recovery_case_id)
    if case is None:
        raise Invalid("unknown recovery case", field="recoveryCaseId")
    render = data.render and data.template_id is not None
    if data.task_id is not None:
        existing = session.scalar(select(Reminder).where(Reminder.task_id == data.task_id))
        if existing is not None:
            content = None
            if render:
                content = _render(session, data, existing.recovery_case_id, link_template)
                keep_content(existing, content)
            return existing, False, content
    customer = session.get(Customer, case.customer_id) if render else None
    reminder, content = new_reminder(session, data, case, customer, link_template=link_template)
    session.add(reminder)
    session.flush()
    record_created(session, actor, reminder)
    return reminder, True, content


def new_reminder(
    session: Session,
    data: ReminderCreate,
    case: RecoveryCase,
    customer: Customer | None,
    *,
    link_template: str,
) -> tuple[Reminder, RenderedOut | None]:
    """The reminder `data` asks for, not yet added to the session; with `data.render`, also
    what to send (see `checked_content`)."""
    content = checked_content(session, data, case, customer, link_template=link_template)
    metadata = data.metadata
    if content is not None:  # what was sent stays on the reminder
        metadata = {**(metadata or {}), "subject": content.subject, "language": content.language}
    reminder = Reminder(
        recovery_case_id=case.id,
        task_id=data.task_id,
        type=data.type,
        template_id=data.template_id,
        scheduled_for=data.scheduled_for,
        recipient=data.recipient,
        meta=metadata,
        status="SCHEDULED",
    )
    keep_content(reminder, content)
    return reminder, content


def checked_content(
    session: Session,
    data: ReminderCreate,
    case: RecoveryCase,
    customer: Customer | None,
    *,
    link_template: str,
) -> RenderedOut | None:
    """With `data.render`, what to send for `data` on `case`; refused (409) when the case, or
    with `render` the customer, may not be contacted on this channel."""
    if not is_contactable(case.status):
        raise Conflict(
            f"case is {case.status}: no reminder may be sent", code="case-not-contactable"
        )
    if not data.render or data.template_id is None:
        return None
    if customer is not None and opted_out(customer, Channel(data.type)):
        raise Conflict(f"the customer opted out of {data.type}", code="customer-opted-out")
    return _render(session, data, case.id, link_template, case=case, customer=customer)


def record_created(session: Session, actor: Actor, reminder: Reminder) -> None:
    """The audit entry of a newly recorded (flushed) reminder."""
    record_change(
        session,
        actor,
        "reminder.created",
        reminder,
        after={
            "type": reminder.type,
            "recipient": reminder.recipient,
            "templateId": reminder.template_id,
        },
    )


def _render(
    session: Session,
    data: ReminderCreate,
    case_id: str,
    link_template: str,
    *,
    case: RecoveryCase | None = None,
    customer: Customer | None = None,
) -> RenderedOut:
    request = RenderRequest(template_id=str(data.template_id), channel=data.type)
    if case is None or customer is None or case.id != case_id:
        case = cases.get(session, case_id)
        customer = customers.get(session, case.customer_id)
    others = consolidated(session, data.metadata, case)
    return rendering.render_for(
        session, case, customer, request, link_template=link_template, others=others
    )


def consolidated(
    session: Session, metadata: dict[str, Any] | None, case: RecoveryCase
) -> list[RecoveryCase]:
    """The other invoices a consolidated e-mail lists (`metadata.consolidatedCaseIds`): those
    of the same customer still open and owing, by due date."""
    ids = sorted({str(i) for i in (metadata or {}).get("consolidatedCaseIds") or []} - {case.id})
    if not ids:
        return []
    rows = session.scalars(
        select(RecoveryCase)
        .where(
            RecoveryCase.id.in_(ids),
            RecoveryCase.customer_id == case.customer_id,
            RecoveryCase.status.in_(OPEN),
        )
        .order_by(RecoveryCase.due_date, RecoveryCase.id)
    )
    return [other for other in rows if other.outstanding > 0]
