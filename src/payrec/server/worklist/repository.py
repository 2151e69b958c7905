"""The worklist's queries: one page of open cases in `domain.worklist` order, and its count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from payrec.domain.cases import OPEN
from payrec.domain.worklist import AGING_BUCKETS, DISPUTED, ORDER, PAUSED, Reason
from payrec.server.models import Customer, RecoveryCase, Task

MANUAL_TASK_TYPES = ("CALL", "LETTER")


@dataclass(frozen=True)
class Filters:
    assignee_user_id: str | None = None
    unassigned: bool = False
    status: str | None = None
    currency: str | None = None
    policy_step: int | None = None
    search: str | None = None
    search_digits: str | None = None
    aging: str | None = None
    """An aging bucket of the reports (`current`, `1-30`, `31-60`, `61-90`, `90+`)."""
    unassigned_tasks: bool = False
    """With `assignee_user_id`: also the unassigned cases with a manual task due (a collector's
    "mine": a task's collector is its case's assignee, and nobody's task is everybody's)."""


AGING_RANGES: dict[str, tuple[int | None, int | None]] = {
    "current": (None, 0),
    "1-30": (1, 30),
    "31-60": (31, 60),
    "61-90": (61, 90),
    "90+": (91, None),
}
"""Days past due (inclusive bounds) of each aging bucket, as the reports count them."""


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def manual_task_due(today: date) -> ColumnElement[bool]:
    """A pending CALL or LETTER task planned before the end of today (UTC)."""
    end_of_today = datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
    return exists().where(
        Task.recovery_case_id == RecoveryCase.id,
        Task.status == "PENDING",
        Task.type.in_(MANUAL_TASK_TYPES),
        Task.scheduled_at < end_of_today,
    )


def flag_expressions(today: date) -> dict[Reason, ColumnElement[bool]]:
    """The SQL of each flag reason (`domain.worklist.flags_of` in SQL)."""
    return {
        Reason.BROKEN_PROMISE: RecoveryCase.broken_promise_at.is_not(None),
        Reason.PROMISE_DUE: and_(
            RecoveryCase.promise_due.is_not(None), RecoveryCase.promise_due <= today
        ),
        Reason.DISPUTE_WAITING: RecoveryCase.status == DISPUTED,
        Reason.MANUAL_TASK_DUE: manual_task_due(today),
    }


def _listed(today: date) -> ColumnElement[bool]:
    """`domain.worklist.listed` in SQL: open, disputed, or held with a promise due or broken."""
    return or_(
        RecoveryCase.status.in_((*OPEN, DISPUTED)),
        and_(
            RecoveryCase.status == PAUSED,
            or_(
                RecoveryCase.broken_promise_at.is_not(None),
                and_(RecoveryCase.promise_due.is_not(None), RecoveryCase.promise_due <= today),
            ),
        ),
    )


def _aging(today: date) -> ColumnElement[int]:
    whens = [
        (RecoveryCase.due_date < today - timedelta(days=bound), index)
        for index, bound in enumerate(AGING_BUCKETS)
    ]
    return case(*whens, else_=len(AGING_BUCKETS))


AnyRows = Select[*tuple[Any, ...]]


def _where(query: AnyRows, filters: Filters, today: date) -> AnyRows:
    if filters.status:
        query = query.where(RecoveryCase.status == filters.status)
    else:
        query = query.where(_listed(today))
    if filters.currency:
        query = query.where(RecoveryCase.currency == filters.currency)
    if filters.unassigned:
        query = query.where(RecoveryCase.assignee_user_id.is_(None))
    elif filters.assignee_user_id and filters.unassigned_tasks:
        query = query.where(
            or_(
                RecoveryCase.assignee_user_id == filters.assignee_user_id,
                and_(RecoveryCase.assignee_user_id.is_(None), manual_task_due(today)),
            )
        )
    elif filters.assignee_user_id:
        query = query.where(RecoveryCase.assignee_user_id == filters.assignee_user_id)
    if filters.aging in AGING_RANGES:
        low, high = AGING_RANGES[filters.aging]
        if high is not None:
            query = query.where(RecoveryCase.due_date >= today - timedelta(days=high))
        if low is not None:
            query = query.where(RecoveryCase.due_date <= today - timedelta(days=low))
    if filters.policy_step is not None:
        query = query.where(
            exists().where(
                Task.recovery_case_id == RecoveryCase.id,
                Task.status == "COMPLETED",
                Task.dedupe_key.like(f"%#{int(filters.policy_step)}:%"),
            )
        )
    if filters.search:
        pattern = _like(filters.search)
        matches: list[ColumnElement[bool]] = [
            func.lower(Customer.name).like(pattern, escape="\\"),
            func.lower(RecoveryCase.invoice_number).like(pattern, escape="\\"),
            func.lower(Customer.email).like(pattern, escape="\\"),
        ]
        if filters.search_digits:
            matches.append(Customer.phone_digits.like(f"%{filters.search_digits}%"))
        query = query.where(or_(*matches))
    return query


def page(
    session: Session,
    filters: Filters,
    *,
    today: date,
    offset: int,
    limit: int,
) -> Sequence[Any]:
    """Rows of (case, customer, manual task due) in the worklist's order (the other flags
    are read off the case by `domain.worklist.flags_of`)."""
    flags = flag_expressions(today)
    outstanding = RecoveryCase.amount - RecoveryCase.amount_paid
    ranks: list[ColumnElement[int]] = [case((flags[r], 0), else_=1) for r in ORDER]
    at = ORDER.index(Reason.DISPUTE_WAITING) + 1
    owner_wanted = case(
        (and_(flags[Reason.DISPUTE_WAITING], RecoveryCase.assignee_user_id.is_(None)), 0),
        else_=1,
    )
    order = [
        *ranks[:at],
        owner_wanted,
        *ranks[at:],
        _aging(today),
        outstanding.desc(),
        RecoveryCase.due_date,
        RecoveryCase.id,
    ]
    query: AnyRows = select(
        RecoveryCase, Customer, flags[Reason.MANUAL_TASK_DUE].label("manual_task_due")
    ).join(Customer, Customer.id == RecoveryCase.customer_id)
    query = _where(query, filters, today).order_by(*order).offset(offset).limit(limit)
    return session.execute(query).all()


def count(session: Session, filters: Filters, today: date) -> int:
    """The page's total; customers are joined only when a search reads them (every case has
    its customer: the foreign key), which at 1M cases saves hashing the customers table."""
    query: AnyRows = select(func.count()).select_from(RecoveryCase)
    if filters.search:
        query = query.join(Customer, Customer.id == RecoveryCase.customer_id)
    return int(session.scalar(_where(query, filters, today)) or 0)
