"""Task rules: creation, legal transitions, claims with leases and fencing tokens."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payrec.domain.calendar import Placement
from payrec.domain.leases import StaleLease, check_fence, holds, release
from payrec.domain.states import TASK, TaskStatus, check_transition
from payrec.server.actor import Actor
from payrec.server.audit.service import record, statement_fields
from payrec.server.cancellation import cancel_task
from payrec.server.errors import Invalid, NotFound
from payrec.server.models import RecoveryCase, Task
from payrec.server.models.base import new_id
from payrec.server.tasks import contact_plan, repository
from payrec.server.tasks.schemas import (
    HeldLease,
    TaskClaim,
    TaskCreate,
    TaskOut,
    TaskStatusUpdate,
)

logger = logging.getLogger("payrec.tasks")

FINISHED = {TaskStatus.COMPLETED.value, TaskStatus.FAILED.value, TaskStatus.CANCELLED.value}


def to_out(task: Task, *, with_lease: bool = False) -> TaskOut:
    return TaskOut.from_row(
        task, metadata=task.meta or {}, lease_token=task.lease_token if with_lease else None
    )


def get(session: Session, task_id: str) -> Task:
    task = repository.get(session, task_id)
    if task is None:
        raise NotFound("task", task_id)
    return task


def create(
    session: Session, data: TaskCreate, actor: Actor, *, default_max_attempts: int
) -> tuple[Task, bool]:
    """Create a PENDING task; with a dedupe key, an existing task is returned instead."""
    if (
        data.recovery_case_id is not None
        and session.get(RecoveryCase, data.recovery_case_id) is None
    ):
        raise Invalid("unknown recovery case", field="recoveryCaseId")
    if data.dedupe_key is not None:
        existing = repository.by_dedupe_key(session, data.recovery_case_id, data.dedupe_key)
        if existing is not None:
            return existing, False
    task = _new_task(data, default_max_attempts)
    contact_plan.plan(session, [task])
    if data.dedupe_key is not None:
        # Two schedulers may race for the same step: the unique (case, key) index decides,
        # and the loser answers with the winner's task.
        try:
            with session.begin_nested():
                session.add(task)
                session.flush()
        except IntegrityError:
            existing = repository.by_dedupe_key(session, data.recovery_case_id, data.dedupe_key)
            if existing is None:
                raise
            return existing, False
    else:
        session.add(task)
        session.flush()
    _record_created(session, actor, task)
    return task, True


def _new_task(data: TaskCreate, default_max_attempts: int) -> Task:
    return Task(
        id=new_id("task"),
        type=data.type,
        status=data.status,
        result=data.result,
        completed_at=datetime.now(UTC) if data.status == TaskStatus.CANCELLED.value else None,
        scheduled_at=data.scheduled_at,
        recovery_case_id=data.recovery_case_id,
        dedupe_key=data.dedupe_key,
        meta=data.metadata,
        attempts=0,
        max_attempts=data.max_attempts or default_max_attempts,
    )


def _record_created(session: Session, actor: Actor, task: Task) -> None:
    record(
        session,
        actor,
        action="task.created",
        entity_type="task",
        entity_id=task.id,
        case_id=task.recovery_case_id,
        after={"type": task.type, "scheduledAt": task.scheduled_at, "status": task.status},
    )


def update_status(
    session: Session,
    task_id: str,
    data: TaskStatusUpdate,
    actor: Actor,
    *,
    locked: Task | None = None,
) -> Task:
    """Move a task as the transition table allows; `locked` is the task when the caller
    already holds its lock."""
    task = locked if locked is not None and locked.id == task_id else None
    task = task or repository.get(session, task_id, for_update=True)
    if task is None:
        raise NotFound("task", task_id)
    check_fence(task.status, task.lease_token, data.lease_token, data.status)
    before = task.status
    if not check_transition(TASK, task.status, data.status):
        return task  # repeating the same status is a no-op
    now = datetime.now(UTC)
    task.status = data.status
    if data.result is not None:
        task.result = data.result
    if data.error:
        task.last_error = data.error
    if data.status in FINISHED:
        task.completed_at = now
        task.lease_expires_at = None
    if data.status == TaskStatus.PENDING.value:
        _release(task, retry_at=data.retry_at or now, counts_as_attempt=before == "IN_PROGRESS")
        contact_plan.replan(session, task)  # a retried send still keeps the cap
    record_status_change(
        session, actor, task.id, task.recovery_case_id, before, task.status, task.result, data.error
    )
    session.flush()
    return task


def record_status_change(
    session: Session,
    actor: Actor,
    task_id: str,
    case_id: str | None,
    before: str,
    after: str,
    result: dict[str, Any] | None,
    error: str | None,
) -> None:
    """The audit entry of a task's move from `before` to `after`."""
    record(
        session,
        actor,
        action="task.status_changed",
        entity_type="task",
        entity_id=task_id,
        case_id=case_id,
        before={"status": before},
        after={"status": after, "result": result, "error": error},
    )


def _release(task: Task, *, retry_at: datetime, counts_as_attempt: bool) -> None:
    """Back to the queue at `retry_at`, moved into the customer's send window when the task
    carries its placement (a retry never goes out at night or on a holiday)."""
    released = release(task.attempts, task.max_attempts, counts_as_attempt=counts_as_attempt)
    task.attempts = released.attempts
    task.lease_token = None
    task.lease_expires_at = None
    task.locked_by = None
    task.scheduled_at = in_window(task.meta, retry_at)
    task.completed_at = None
    if released.gave_up:
        task.status = TaskStatus.FAILED.value
        task.completed_at = datetime.now(UTC)
        task.last_error = task.last_error or "gave up after reaching maxAttempts"


def create_many(
    session: Session, items: Sequence[TaskCreate], actor: Actor, *, default_max_attempts: int
) -> list[tuple[Task, bool]]:
    """`create` for each item, in one transaction; an invalid item names its position.

    The whole batch is checked with two queries and inserted with one statement; when a
    concurrent scheduler inserted one of its (case, dedupeKey) pairs meanwhile, the batch
    is rolled back to its savepoint and made one item at a time, as `create` settles it.
    """
    try:
        with session.begin_nested():
            return _create_batch(session, items, actor, default_max_attempts)
    except IntegrityError:
        logger.info("a task batch met a concurrent scheduler's tasks: made one at a time")
    made = []
    for index, item in enumerate(items):
        try:
            made.append(create(session, item, actor, default_max_attempts=default_max_attempts))
        except Invalid as exc:
            field = (exc.errors or [{}])[0].get("field") or "body"
            raise Invalid(exc.detail, field=f"tasks.{index}.{field}") from exc
    return made


def _create_batch(
    session: Session, items: Sequence[TaskCreate], actor: Actor, default_max_attempts: int
) -> list[tuple[Task, bool]]:
    case_ids = {item.recovery_case_id for item in items if item.recovery_case_id is not None}
    known = repository.existing_case_ids(session, case_ids)
    for index, item in enumerate(items):
        if item.recovery_case_id is not None and item.recovery_case_id not in known:
            raise Invalid("unknown recovery case", field=f"tasks.{index}.recoveryCaseId")
    keyed = [(item.recovery_case_id, item.dedupe_key) for item in items if item.dedupe_key]
    existing = repository.by_dedupe_keys(session, keyed)
    made: list[tuple[Task, bool]] = []
    new: list[Task] = []
    for item in items:
        key = (item.recovery_case_id, item.dedupe_key)
        if item.dedupe_key is not None and key in existing:
            made.append((existing[key], False))  # made before, or earlier in this batch
            continue
        task = _new_task(item, default_max_attempts)
        if item.dedupe_key is not None:
            existing[key] = task
        made.append((task, True))
        new.append(task)
    contact_plan.plan(session, new)
    session.add_all(new)
    session.flush()
    for task in new:
        _record_created(session, actor, task)
    return made


_SWEEP_CHECK_SECONDS = 0.5
_next_sweep_check = 0.0


def sweep_due() -> bool:
    """Whether a claim should look for expired leases: at most every half second per process
    (the look is a query; the sweeper thread catches the rest)."""
    global _next_sweep_check
    now = time.monotonic()
    if now < _next_sweep_check:
        return False
    _next_sweep_check = now + _SWEEP_CHECK_SECONDS
    return True


def claim(
    session: Session,
    data: TaskClaim,
    actor: Actor,
    *,
    sweep: bool | None = None,
) -> list[dict[str, Any]]:
    """Lease up to `data.limit` due tasks to `data.worker_id`; their wire form, lease included
    (`tasks.claiming` adds what the claim's `include` asks for).

    Runs as plain statements (no models): one `UPDATE ... RETURNING` picks and leases the
    tasks. On PostgreSQL it skips rows other claims hold and writes the audit entry too.
    When `sweep` (by default
    `sweep_due()`), expired leases are returned to the queue first, so a claim does not wait
    for the sweeper.
    """
    now = datetime.now(UTC)
    if (sweep_due() if sweep is None else sweep) and repository.any_expired_lease(session, now=now):
        expire_leases(session, now=now, actor=actor)
        session.flush()
    lease = _lease(data, now)
    if session.get_bind().dialect.name == "postgresql":
        rows = repository.lease_due_and_audit(session, lease, statement_fields(actor))
    else:
        rows = repository.lease_due(session, lease)
        if rows:
            ids = [row[0] for row in rows]
            after = {"workerId": data.worker_id, "taskIds": ids}
            record(
                session,
                actor,
                action="tasks.claimed",
                entity_type="task",
                entity_id=ids[0],
                after=after,
            )
    claimed = [row_to_wire(row) for row in rows]
    return _defer_outside_window(session, claimed, now, actor) if claimed else claimed


def in_window(meta: dict[str, Any] | None, moment: datetime) -> datetime:
    """`moment`, or the first instant after it inside the send window the task carries."""
    placement = Placement.from_dict((meta or {}).get("placement"))
    if placement is None:
        return moment
    try:
        return placement.place(moment)
    except ValueError:  # no allowed day within the search horizon: leave it as asked
        return moment


def _defer_outside_window(
    session: Session, claimed: list[dict[str, Any]], now: datetime, actor: Actor
) -> list[dict[str, Any]]:
    """Hand back, without counting an attempt, the claimed tasks that fell due inside the
    customer's window but are claimed outside it (caught up after an outage): they wait for
    the window's next opening. The others are the claim's answer."""
    late = {t["id"]: at for t in claimed if (at := in_window(t["metadata"], now)) > now}
    if not late:
        return claimed
    for task in repository.lock_by_ids(session, sorted(late)):
        task.status = TaskStatus.PENDING.value
        _release(task, retry_at=late[task.id], counts_as_attempt=False)
        record(
            session,
            actor,
            action="task.deferred",
            entity_type="task",
            entity_id=task.id,
            case_id=task.recovery_case_id,
            before={"status": "IN_PROGRESS"},
            after={"status": task.status, "scheduledAt": task.scheduled_at},
        )
    session.flush()
    return [t for t in claimed if t["id"] not in late]


def _lease(data: TaskClaim, now: datetime) -> repository.Lease:
    return repository.Lease(
        now=now,
        types=data.types,
        limit=data.limit,
        prefix=secrets.token_urlsafe(16) + ".",  # 22 characters; with a task id at most 63
        expires=now + timedelta(seconds=data.lease_seconds),
        worker=data.worker_id,
    )


def row_to_wire(row: repository.WireRow, **changes: Any) -> dict[str, Any]:
    """A row of `repository.TASK_WIRE_COLUMNS` (with `changes` applied) as `TaskOut` answers
    it with its lease; `tests/integration/test_backend_tasks.py` compares the two."""
    values = dict(zip(_WIRE_FIELDS, row, strict=True))
    values.update(changes)
    values["metadata"] = values["metadata"] or {}
    return {_WIRE_NAMES[name]: value for name, value in values.items()}


_WIRE_FIELDS = tuple(column.key for column in repository.TASK_WIRE_COLUMNS)
_WIRE_NAMES = {name: to_camel(name) for name in _WIRE_FIELDS}


def heartbeat(session: Session, task_id: str, lease_token: str, lease_seconds: int | None) -> Task:
    task = repository.get(session, task_id, for_update=True)
    if task is None:
        raise NotFound("task", task_id)
    if task.status != TaskStatus.IN_PROGRESS.value or not holds(lease_token, task.lease_token):
        raise StaleLease()
    task.lease_expires_at = datetime.now(UTC) + timedelta(seconds=lease_seconds or 60)
    session.flush()
    return task


def heartbeat_many(
    session: Session, leases: Sequence[HeldLease], lease_seconds: int | None
) -> dict[str, list[dict[str, Any]]]:
    """Extend every lease still held under its token; name the others as lost."""
    held = repository.lock_held(session, sorted({lease.id for lease in leases}))
    expires = datetime.now(UTC) + timedelta(seconds=lease_seconds or 60)
    renewed: list[dict[str, Any]] = []
    lost: list[dict[str, Any]] = []
    for lease in leases:
        status, token = held.get(lease.id, (None, None))
        if status is None:
            lost.append({"id": lease.id, "reason": "not-found"})
        elif status != TaskStatus.IN_PROGRESS.value or not holds(lease.lease_token, token):
            lost.append({"id": lease.id, "reason": "stale-lease"})
        else:
            renewed.append({"id": lease.id, "leaseExpiresAt": expires})
    if renewed:
        repository.renew(session, sorted({item["id"] for item in renewed}), expires)
    return {"renewed": renewed, "lost": lost}


def expire_leases(session: Session, *, now: datetime, actor: Actor) -> int:
    """Return expired leases to PENDING with attempts+1; FAILED past maxAttempts."""
    expired = repository.expired_leases(session, now=now)
    contact_plan.lock_customers_of(session, expired)
    for task in expired:
        holder = task.locked_by
        task.status = TaskStatus.PENDING.value
        task.last_error = f"lease of {holder} expired"
        _release(task, retry_at=now, counts_as_attempt=True)
        contact_plan.replan(session, task)  # as an explicit retry: the cap still holds
        record(
            session,
            actor,
            action="task.lease_expired",
            entity_type="task",
            entity_id=task.id,
            case_id=task.recovery_case_id,
            before={"status": "IN_PROGRESS", "lockedBy": holder},
            after={"status": task.status, "attempts": task.attempts},
        )
    return len(expired)


def cancel_open_for_case(session: Session, case_id: str, actor: Actor, reason: str) -> int:
    """Cancel the case's waiting and running tasks; the invoices folded into one of its
    consolidated e-mails are released to be planned again (`contact_plan.release_folds`)."""
    tasks = repository.open_for_case(session, case_id)
    for task in tasks:
        cancel_task(session, task, actor, reason)
    contact_plan.release_folds(session, tasks, actor)
    return len(tasks)
