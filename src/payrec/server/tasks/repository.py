"""Task queries: due lists, claims with row locks, lease expiry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningUpdate

from payrec.server.models import RecoveryCase, Task
from payrec.server.pagination import count_and_page

WireRow = Row[*tuple[Any, ...]]
_tasks = Task.__table__.c
# The columns of a task's wire form (`service.row_to_wire`), in that order.
TASK_WIRE_COLUMNS = (
    _tasks.id,
    _tasks.type,
    _tasks.scheduled_at,
    _tasks.recovery_case_id,
    _tasks.status,
    _tasks.metadata,
    _tasks.result,
    _tasks.attempts,
    _tasks.max_attempts,
    _tasks.locked_by,
    _tasks.lease_expires_at,
    _tasks.lease_token,
    _tasks.last_error,
    _tasks.dedupe_key,
    _tasks.created_at,
    _tasks.updated_at,
    _tasks.completed_at,
)


def get(session: Session, task_id: str, *, for_update: bool = False) -> Task | None:
    return session.scalar(_LOCK_TASK if for_update else _GET_TASK, {"task_id": task_id})


# Built once: SQLAlchemy then skips building the statement and its cache key on every call.
_GET_TASK = select(Task).where(Task.id == bindparam("task_id"))
_LOCK_TASK = _GET_TASK.with_for_update()


def page(
    session: Session,
    *,
    status: str,
    task_types: Sequence[str] | None,
    due_before: datetime | None,
    case_id: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Task], int]:
    """Tasks in due order: of `task_types` (any type when None), due by `due_before` (any
    time when None), of one case when `case_id`; the automation queue read and the manual
    tasks' list."""
    conditions = [Task.status == status]
    if task_types is not None:
        conditions.append(Task.type.in_(list(task_types)))
    if due_before is not None:
        conditions.append(Task.scheduled_at <= due_before)
    if case_id:
        conditions.append(Task.recovery_case_id == case_id)
    order = (Task.scheduled_at, Task.id)
    return count_and_page(session, Task, conditions, order, offset=offset, limit=limit)


def _lease_due_statement(*, by_type: bool) -> ReturningUpdate[*tuple[Any, ...]]:
    """SQLite: lease the first due PENDING tasks in one `UPDATE ... RETURNING` (its writer
    lock, taken at BEGIN IMMEDIATE, serialises claims)."""
    due = select(_tasks.id).where(
        _tasks.status == "PENDING", _tasks.scheduled_at <= bindparam("now")
    )
    if by_type:
        due = due.where(_tasks.type.in_(bindparam("types", expanding=True)))
    first = due.order_by(_tasks.scheduled_at, _tasks.id).limit(bindparam("limit"))
    return (
        update(Task)
        .where(_tasks.id.in_(first.scalar_subquery()), _tasks.status == "PENDING")
        .values(
            status="IN_PROGRESS",
            # Each task's token is the claim's random prefix and the task's id: one
            # statement for the whole claim, and every lease still has its own token.
            lease_token=bindparam("prefix", type_=String) + _tasks.id,
            lease_expires_at=bindparam("expires"),
            locked_by=bindparam("worker"),
            updated_at=bindparam("now"),
        )
        .returning(*TASK_WIRE_COLUMNS)
    )


# Built once: claiming is the workers' hottest call (see `cases.repository._QUEUE_PAGE`).
LEASE_DUE = {by_type: _lease_due_statement(by_type=by_type) for by_type in (False, True)}
_ANY_EXPIRED = (
    select(_tasks.id)
    .where(_tasks.status == "IN_PROGRESS", _tasks.lease_expires_at < bindparam("now"))
    .limit(1)
)

# PostgreSQL: pick, lock, lease and audit a claim in one statement (one round trip). Rows
# another claim holds are skipped.
_RETURNED = ", ".join(f"t.{column.name}" for column in TASK_WIRE_COLUMNS)
_LEASE_DUE_AUDITED = """
WITH picked AS (
    SELECT id FROM tasks
    WHERE status = 'PENDING' AND scheduled_at <= %(now)s {by_type}
    ORDER BY scheduled_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), leased AS (
    UPDATE tasks AS t
    SET status = 'IN_PROGRESS', lease_token = %(prefix)s || t.id, lease_expires_at = %(expires)s,
        locked_by = %(worker)s, updated_at = %(now)s
    FROM picked
    WHERE t.id = picked.id AND t.status = 'PENDING'
    RETURNING {returned}
), audit AS (
    INSERT INTO audit_events (id, at, actor, service_name, request_id, action, entity_type,
                              entity_id, recovery_case_id, before, after)
    SELECT %(event_id)s, %(now)s, %(actor)s, %(service_name)s, %(request_id)s,
           'tasks.claimed', 'task', (array_agg(id ORDER BY scheduled_at, id))[1], NULL, NULL,
           jsonb_build_object('workerId', %(worker)s::text,
                              'taskIds', jsonb_agg(id ORDER BY scheduled_at, id))
    FROM leased
    HAVING count(*) > 0
)
SELECT * FROM leased
"""
LEASE_DUE_AUDITED = {
    by_type: _LEASE_DUE_AUDITED.format(
        by_type="AND type = ANY(%(types)s)" if by_type else "", returned=_RETURNED
    )
    for by_type in (False, True)
}
_SCHEDULED, _ID = (TASK_WIRE_COLUMNS.index(c) for c in (_tasks.scheduled_at, _tasks.id))


@dataclass(frozen=True)
class Lease:
    """What a claim leases: up to `limit` tasks due at `now` (of `types`, if given) to
    `worker` until `expires`; each task's token is `prefix` + its id."""

    now: datetime
    types: Sequence[str] | None
    limit: int
    prefix: str
    expires: datetime
    worker: str

    def params(self) -> dict[str, Any]:
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        values["types"] = list(self.types or ())
        return values


def _in_claim_order(rows: Sequence[Any]) -> list[Any]:
    """RETURNING gives the leased rows in no set order: the claim's is time, then id."""
    return sorted(rows, key=lambda row: (row[_SCHEDULED], row[_ID]))


def lease_due(session: Session, lease: Lease) -> list[WireRow]:
    """SQLite: the leased rows of `TASK_WIRE_COLUMNS`, in claim order."""
    rows = session.connection().execute(LEASE_DUE[bool(lease.types)], lease.params()).all()
    return _in_claim_order(rows)


def lease_due_and_audit(session: Session, lease: Lease, event: dict[str, Any]) -> list[WireRow]:
    """PostgreSQL: the leased rows of `TASK_WIRE_COLUMNS` in claim order, skipping rows other
    claims hold, and the claim's audit entry (`event`: its `event_id`, `actor`,
    `service_name`, `request_id`) written by the same statement."""
    sql = LEASE_DUE_AUDITED[bool(lease.types)]
    rows = session.connection().exec_driver_sql(sql, {**lease.params(), **event}).all()
    return _in_claim_order(rows)


def any_expired_lease(session: Session, *, now: datetime) -> bool:
    return session.connection().execute(_ANY_EXPIRED, {"now": now}).first() is not None


_HELD = (
    select(_tasks.id, _tasks.status, _tasks.lease_token)
    .where(_tasks.id.in_(bindparam("ids", expanding=True)))
    .order_by(_tasks.id)  # one lock order for every caller: no deadlock between batches
    .with_for_update()
)
_RENEW = (
    update(Task)
    .where(_tasks.id.in_(bindparam("ids", expanding=True)))
    .values(lease_expires_at=bindparam("expires"))
)


def lock_by_ids(session: Session, ids: Sequence[str]) -> Sequence[Task]:
    """The tasks among `ids`, rows locked, in id order, as the database holds them now (a
    claim's plain UPDATE may have changed rows the session had loaded)."""
    stmt = (
        select(Task)
        .where(Task.id.in_(list(ids)))
        .order_by(Task.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).all()


def lock_held(session: Session, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """`id → (status, lease_token)` of the tasks that exist among `ids`, rows locked."""
    rows = session.connection().execute(_HELD, {"ids": list(ids)})
    return {row[0]: (row[1], row[2]) for row in rows}


def renew(session: Session, ids: Sequence[str], expires: datetime) -> None:
    session.connection().execute(_RENEW, {"ids": list(ids), "expires": expires})


def expired_leases(session: Session, *, now: datetime, limit: int = 500) -> Sequence[Task]:
    stmt = (
        select(Task)
        .where(Task.status == "IN_PROGRESS", Task.lease_expires_at < now)
        .order_by(Task.lease_expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(stmt).all()


def open_for_case(session: Session, case_id: str) -> Sequence[Task]:
    stmt = (
        select(Task)
        .where(Task.recovery_case_id == case_id, Task.status.in_(["PENDING", "IN_PROGRESS"]))
        .with_for_update()
    )
    return session.scalars(stmt).all()


def for_case(session: Session, case_id: str) -> Sequence[Task]:
    return session.scalars(
        select(Task).where(Task.recovery_case_id == case_id).order_by(Task.created_at)
    ).all()


def by_dedupe_key(session: Session, case_id: str | None, dedupe_key: str) -> Task | None:
    return session.scalar(
        select(Task).where(Task.recovery_case_id == case_id, Task.dedupe_key == dedupe_key)
    )


def by_dedupe_keys(
    session: Session, keys: Sequence[tuple[str | None, str | None]]
) -> dict[tuple[str | None, str | None], Task]:
    """The tasks already made for these (case, dedupe key) pairs, by pair."""
    wanted = set(keys)
    names = {key for _, key in wanted if key is not None}
    if not names:
        return {}
    cases = {case for case, _ in wanted if case is not None}
    of_case = []
    if cases:
        of_case.append(Task.recovery_case_id.in_(cases))
    if any(case is None for case, _ in wanted):
        of_case.append(Task.recovery_case_id.is_(None))
    found = session.scalars(select(Task).where(Task.dedupe_key.in_(names), or_(*of_case))).all()
    pairs = {(task.recovery_case_id, task.dedupe_key): task for task in found}
    return {pair: task for pair, task in pairs.items() if pair in wanted}


def existing_case_ids(session: Session, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    rows = session.execute(select(RecoveryCase.id).where(RecoveryCase.id.in_(ids)))
    return {row[0] for row in rows}


def touch_scheduled(session: Session, task_id: str, when: datetime) -> None:
    session.execute(update(Task).where(Task.id == task_id).values(scheduled_at=when))
