"""Task queries: due lists, claims with row locks, lease expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, String, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from payrec.server.models import RecoveryCase, Task

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


def list_due(
    session: Session,
    *,
    status: str,
    due_before: datetime,
    task_type: str | None,
    case_id: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Task], int]:
    conditions = [Task.status == status, Task.scheduled_at <= due_before]
    if task_type:
        conditions.append(Task.type == task_type)
    if case_id:
        conditions.append(Task.recovery_case_id == case_id)
    total = session.scalar(select(func.count()).select_from(Task).where(*conditions)) or 0
    rows = session.scalars(
        select(Task)
        .where(*conditions)
        .order_by(Task.scheduled_at, Task.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def _due_statement(*, by_type: bool) -> Select[*tuple[Any, ...]]:
    statement = select(*TASK_WIRE_COLUMNS).where(
        _tasks.status == "PENDING", _tasks.scheduled_at <= bindparam("now")
    )
    if by_type:
        statement = statement.where(_tasks.type.in_(bindparam("types", expanding=True)))
    return (
        statement.order_by(_tasks.scheduled_at, _tasks.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )


# Built once: claiming is the workers' hottest call (see `cases.repository._QUEUE_PAGE`).
_DUE = {False: _due_statement(by_type=False), True: _due_statement(by_type=True)}
_ANY_EXPIRED = (
    select(_tasks.id)
    .where(_tasks.status == "IN_PROGRESS", _tasks.lease_expires_at < bindparam("now"))
    .limit(1)
)
_LEASE = (
    update(Task)
    .where(_tasks.id.in_(bindparam("ids", expanding=True)), _tasks.status == "PENDING")
    .values(
        status="IN_PROGRESS",
        # One statement for the whole claim: each task's token is the claim's random prefix
        # and the task's id, so every lease still has its own token.
        lease_token=bindparam("prefix", type_=String) + _tasks.id,
        lease_expires_at=bindparam("expires"),
        locked_by=bindparam("worker"),
        updated_at=bindparam("now"),
    )
)


# PostgreSQL: pick, lock, lease and audit a claim in one statement, so that a claim outside a
# transaction (autocommit) is one round trip and one commit. Rows another claim holds are
# skipped; RETURNING gives the leased rows in no set order (`lease_due` sorts them).
_RETURNED = ", ".join(f"t.{column.name}" for column in TASK_WIRE_COLUMNS)
_LEASE_DUE_PG = """
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
_LEASE_DUE = {
    by_type: _LEASE_DUE_PG.format(
        by_type="AND type = ANY(%(types)s)" if by_type else "", returned=_RETURNED
    )
    for by_type in (False, True)
}
_SCHEDULED, _ID = (TASK_WIRE_COLUMNS.index(c) for c in (_tasks.scheduled_at, _tasks.id))


def lease_due(
    session: Session,
    *,
    now: datetime,
    types: Sequence[str] | None,
    limit: int,
    prefix: str,
    expires: datetime,
    worker: str,
    event: dict[str, Any],
) -> list[WireRow]:
    """PostgreSQL only: lease up to `limit` due PENDING tasks to `worker` (each task's token is
    `prefix` + its id) and write the claim's audit entry (`event`: its `event_id`, `actor`,
    `service_name`, `request_id`), all in one statement; the leased rows of
    `TASK_WIRE_COLUMNS` in claim order."""
    params: dict[str, Any] = {
        "now": now,
        "limit": limit,
        "prefix": prefix,
        "expires": expires,
        "worker": worker,
        **event,
    }
    if types:
        params["types"] = list(types)
    rows = session.connection().exec_driver_sql(_LEASE_DUE[bool(types)], params).all()
    return sorted(rows, key=lambda row: (row[_SCHEDULED], row[_ID]))


def lock_due_rows(
    session: Session, *, now: datetime, types: Sequence[str] | None, limit: int
) -> Sequence[WireRow]:
    """Due PENDING tasks as rows of `TASK_WIRE_COLUMNS`, locked; rows another transaction
    holds are skipped (PostgreSQL; SQLite's writer lock serialises claims)."""
    params: dict[str, Any] = {"now": now, "limit": limit}
    if types:
        params["types"] = list(types)
    return session.connection().execute(_DUE[bool(types)], params).all()


def any_expired_lease(session: Session, *, now: datetime) -> bool:
    return session.connection().execute(_ANY_EXPIRED, {"now": now}).first() is not None


def lease(
    session: Session,
    ids: Sequence[str],
    *,
    prefix: str,
    expires: datetime,
    worker: str,
    now: datetime,
) -> None:
    """Mark locked PENDING tasks IN_PROGRESS; each task's lease token is `prefix` + its id."""
    params = {"ids": list(ids), "prefix": prefix, "expires": expires, "worker": worker}
    session.connection().execute(_LEASE, {**params, "now": now})


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
