"""Task queries: due lists, claims with row locks, lease expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from payrec.server.models import Task


def get(session: Session, task_id: str, *, for_update: bool = False) -> Task | None:
    stmt = select(Task).where(Task.id == task_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


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


def lock_due_pending(
    session: Session, *, now: datetime, types: Sequence[str] | None, limit: int
) -> Sequence[Task]:
    """Due PENDING tasks, locked; rows another transaction holds are skipped (PostgreSQL)."""
    stmt = select(Task).where(Task.status == "PENDING", Task.scheduled_at <= now)
    if types:
        stmt = stmt.where(Task.type.in_(list(types)))
    stmt = stmt.order_by(Task.scheduled_at, Task.id).limit(limit).with_for_update(skip_locked=True)
    return session.scalars(stmt).all()


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


def touch_scheduled(session: Session, task_id: str, when: datetime) -> None:
    session.execute(update(Task).where(Task.id == task_id).values(scheduled_at=when))
