"""Marking a reminder SENT or FAILED: the hottest write, in plain statements.

Every reminder ends here once (`PUT /reminders/{id}/sent`), with its case advanced and its task
completed in the same transaction, so it runs as Core statements built once (no unit of work,
no model instances): three locking reads, at most three updates and one insert, and the audit
entries written with the transaction's others at commit. The rules are the ones the model
services apply to cases (`cases.service.update`, `add_note`) and tasks (`tasks.service`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from payrec.domain.cases import OPEN, status_after_reminder_sent
from payrec.domain.leases import fence_holds
from payrec.domain.states import REMINDER, TASK, check_transition
from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.cases.service import snapshot
from payrec.server.errors import Invalid, NotFound
from payrec.server.events.service import emit, reminder_data
from payrec.server.models import CaseNote, RecoveryCase, Reminder, Task
from payrec.server.models.base import new_id
from payrec.server.reminders.schemas import ReminderOut, ReminderSent, TaskCompletion
from payrec.server.tasks import repository as task_repository
from payrec.server.tasks.schemas import TaskOut
from payrec.server.tasks.service import record_status_change, row_to_wire

_reminders = cast(Table, Reminder.__table__)
_cases = cast(Table, RecoveryCase.__table__)
_tasks = cast(Table, Task.__table__)
_notes = cast(Table, CaseNote.__table__)

# The case first, as a payment settling it locks it before its tasks and reminders (the other
# order deadlocks with a payment arriving at the same moment); FOR NO KEY UPDATE as
# `cases.repository` locks a case.
_LOCK_CASE = (
    select(_cases)
    .join(_reminders, _reminders.c.recovery_case_id == _cases.c.id)
    .where(_reminders.c.id == bindparam("reminder_id"))
    .with_for_update(of=_cases, key_share=True)
)
_LOCK_REMINDER = (
    select(_reminders).where(_reminders.c.id == bindparam("reminder_id")).with_for_update()
)
_LOCK_TASK = (
    select(*task_repository.TASK_WIRE_COLUMNS)
    .where(_tasks.c.id == bindparam("task_id"))
    .with_for_update()
)
_MARK = (
    update(_reminders)
    .where(_reminders.c.id == bindparam("reminder_id"))
    .values(
        status=bindparam("status"),
        channel=bindparam("channel"),
        external_id=bindparam("external_id"),
        error=bindparam("error"),
        sent_at=bindparam("sent_at"),
        updated_at=bindparam("now"),
    )
)
_ADVANCE_CASE = (
    update(_cases)
    .where(_cases.c.id == bindparam("case_id"))
    .values(
        status=bindparam("status"),
        last_reminder_sent_at=bindparam("last_reminder_sent_at"),
        version=_cases.c.version + 1,
        updated_at=bindparam("now"),
    )
)
_ADD_NOTE = insert(_notes)
_COMPLETE_TASK = (
    update(_tasks)
    .where(_tasks.c.id == bindparam("task_id"))
    .values(
        status="COMPLETED",
        result=bindparam("result"),
        completed_at=bindparam("now"),
        lease_expires_at=None,
        updated_at=bindparam("now"),
    )
)


def mark(
    session: Session, reminder_id: str, data: ReminderSent, actor: Actor
) -> tuple[ReminderOut, TaskOut | None]:
    """Mark a reminder SENT or FAILED; once SENT, `caseNote` advances its case and
    `completeTask` completes its task, in this transaction. Answers the reminder and, with
    `completeTask`, its task, as they are now.

    Every row is locked before anything changes. A task whose lease was lost, or that moved
    on, is answered as it is and never undoes the SENT mark: its next holder finds the
    reminder SENT and only finishes the bookkeeping.
    """
    connection = session.connection()
    case = connection.execute(_LOCK_CASE, {"reminder_id": reminder_id}).first()
    row = connection.execute(_LOCK_REMINDER, {"reminder_id": reminder_id}).first()
    if row is None:
        raise NotFound("reminder", reminder_id)
    reminder = dict(row._mapping)
    moves = check_transition(REMINDER, reminder["status"], data.status)
    sent = reminder["status"] == "SENT" or (moves and data.status == "SENT")
    completion = data.complete_task if sent else None
    if completion is not None and reminder["task_id"] != completion.id:
        raise Invalid("completeTask.id is not this reminder's task", field="completeTask.id")
    task = None
    if completion is not None:
        task = connection.execute(_LOCK_TASK, {"task_id": completion.id}).first()
    now = datetime.now(UTC)
    if moves:
        _apply_mark(session, connection, reminder, data, actor, now)
    if case is not None and moves and data.status == "SENT":
        if data.case_note:
            _advance_case(session, connection, dict(case._mapping), reminder, data.case_note, actor)
        _advance_listed(session, connection, case.customer_id, reminder, data, actor, now)
    task_out = None
    if task is not None and completion is not None:
        task_out = _complete_task(session, connection, task, completion, actor, now)
    return _reminder_out(reminder), task_out


def _apply_mark(
    session: Session,
    connection: Connection,
    reminder: dict[str, Any],
    data: ReminderSent,
    actor: Actor,
    now: datetime,
) -> None:
    """Move `reminder` (its values, updated here too) to SENT or FAILED."""
    reminder.update(
        status=data.status,
        channel=data.channel or reminder["type"],
        external_id=data.external_id or reminder["external_id"],
        error=data.error,
        updated_at=now,
    )
    if data.status == "SENT":
        reminder["sent_at"] = data.sent_at or now
    connection.execute(
        _MARK,
        {
            "reminder_id": reminder["id"],
            **{key: reminder[key] for key in ("status", "channel", "external_id", "error")},
            "sent_at": reminder["sent_at"],
            "now": now,
        },
    )
    record(
        session,
        actor,
        action=f"reminder.{data.status.lower()}",
        entity_type="reminder",
        entity_id=reminder["id"],
        case_id=reminder["recovery_case_id"],
        before={"status": "SCHEDULED"},
        after={
            "status": reminder["status"],
            "externalId": reminder["external_id"],
            "error": reminder["error"],
        },
    )
    emit(session, f"reminder.{data.status.lower()}", reminder_data(reminder))


def _advance_case(
    session: Session,
    connection: Connection,
    case: dict[str, Any],
    reminder: Mapping[str, Any],
    note: str,
    actor: Actor,
) -> None:
    """What a sent reminder means for its (locked) case: PENDING/OVERDUE → IN_PROGRESS, the
    latest reminder time, and the note (as `cases.service.update` with them would)."""
    now = reminder["updated_at"]
    before = snapshot(SimpleNamespace(**case))
    case["status"] = status_after_reminder_sent(case["status"])
    latest = case["last_reminder_sent_at"]
    if latest is None or reminder["sent_at"] > latest:
        case["last_reminder_sent_at"] = reminder["sent_at"]
    after = snapshot(SimpleNamespace(**case))
    if after != before:
        connection.execute(
            _ADVANCE_CASE,
            {
                "case_id": case["id"],
                "status": case["status"],
                "last_reminder_sent_at": case["last_reminder_sent_at"],
                "now": now,
            },
        )
        record(
            session,
            actor,
            action="case.updated",
            entity_type="recovery_case",
            entity_id=case["id"],
            case_id=case["id"],
            before=before,
            after=after,
        )
    note_id = new_id("note")
    connection.execute(
        _ADD_NOTE,
        {
            "id": note_id,
            "recovery_case_id": case["id"],
            "body": note,
            "author": actor.name,
            "service_name": actor.service_name,
            "created_at": now,
        },
    )
    record(
        session,
        actor,
        action="case.note_added",
        entity_type="case_note",
        entity_id=note_id,
        case_id=case["id"],
        after={"body": note},
    )


def _advance_listed(
    session: Session,
    connection: Connection,
    customer_id: str,
    reminder: Mapping[str, Any],
    data: ReminderSent,
    actor: Actor,
    now: datetime,
) -> None:
    """A sent statement (`metadata.consolidatedCaseIds`) was each listed invoice's reminder:
    every listed case still open advances as the lead's did (with the same note), and the
    steps folded into it (CANCELLED, `consolidatedInto` its task) are COMPLETED, `sentWith`
    this reminder, on their cases' timelines. The cases are locked after the lead's, in id
    order."""
    listed = sorted(
        {str(i) for i in (reminder["metadata"] or {}).get("consolidatedCaseIds") or []}
        - {reminder["recovery_case_id"]}
    )
    if not listed:
        return
    cases = connection.execute(
        _LOCK_LISTED, {"ids": listed, "customer_id": customer_id, "open": list(OPEN)}
    ).all()
    if data.case_note:
        for row in cases:
            _advance_case(session, connection, dict(row._mapping), reminder, data.case_note, actor)
    lead = reminder["task_id"]
    if lead is None:
        return
    for task_id, case_id, result in connection.execute(
        _LOCK_FOLDED, {"ids": [row.id for row in cases]}
    ).all():
        if not isinstance(result, dict) or result.get("consolidatedInto") != lead:
            continue
        result = {**result, "sentWith": reminder["id"]}
        connection.execute(_COMPLETE_TASK, {"task_id": task_id, "result": result, "now": now})
        record_status_change(
            session, actor, task_id, case_id, "CANCELLED", "COMPLETED", result, None
        )


_LOCK_LISTED = (
    select(_cases)
    .where(
        _cases.c.id.in_(bindparam("ids", expanding=True)),
        _cases.c.customer_id == bindparam("customer_id"),
        _cases.c.status.in_(bindparam("open", expanding=True)),
    )
    .order_by(_cases.c.id)
    .with_for_update(of=_cases, key_share=True)
)
_LOCK_FOLDED = (
    select(_tasks.c.id, _tasks.c.recovery_case_id, _tasks.c.result)
    .where(
        _tasks.c.recovery_case_id.in_(bindparam("ids", expanding=True)),
        _tasks.c.type == "REMINDER",
        _tasks.c.status == "CANCELLED",
    )
    .order_by(_tasks.c.id)
    .with_for_update()
)


def _complete_task(
    session: Session,
    connection: Connection,
    task: task_repository.WireRow,
    completion: TaskCompletion,
    actor: Actor,
    now: datetime,
) -> TaskOut:
    """Complete the sent reminder's locked task if the lease still holds; else leave it."""
    status, result = task.status, task.result
    changes: dict[str, Any] = {}
    fenced = fence_holds(status, task.lease_token, completion.lease_token, "COMPLETED")
    if fenced and check_transition(
        TASK, status, "COMPLETED"
    ):
        if completion.result is not None:
            result = completion.result
        changes = {
            "status": "COMPLETED",
            "result": result,
            "completed_at": now,
            "lease_expires_at": None,
            "updated_at": now,
        }
        connection.execute(_COMPLETE_TASK, {"task_id": task.id, "result": result, "now": now})
        record_status_change(
            session, actor, task.id, task.recovery_case_id, status, "COMPLETED", result, None
        )
    return TaskOut.model_validate(row_to_wire(task, **changes, lease_token=None))


def _reminder_out(reminder: Mapping[str, Any]) -> ReminderOut:
    """A reminder row's values (its columns are the answer's fields) as the answer."""
    return ReminderOut.model_validate({**reminder, "metadata": reminder["metadata"] or {}})
