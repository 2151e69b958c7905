"""The worklist's queries: one page of open cases in `domain.worklist` order, and its count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from payrec.domain.worklist import AGING_BUCKETS, ORDER, STATUSES, Reason
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


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def manual_task_due(now: datetime) -> ColumnElement[bool]:
    return exists().where(
        Task.recovery_case_id == RecoveryCase.id,
        Task.status == "PENDING",
        Task.type.in_(MANUAL_TASK_TYPES),
        Task.scheduled_at <= now,
    )


def flag_expressions(now: datetime) -> dict[Reason, ColumnElement[bool]]:
    """The SQL of each flag reason the schema can answer (case actions add theirs)."""
    return {Reason.MANUAL_TASK_DUE: manual_task_due(now)}


def _aging(today: date) -> ColumnElement[int]:
    whens = [
        (RecoveryCase.due_date < today - timedelta(days=bound), index)
        for index, bound in enumerate(AGING_BUCKETS)
    ]
    return case(*whens, else_=len(AGING_BUCKETS))


AnyRows = Select[*tuple[Any, ...]]


def _where(query: AnyRows, filters: Filters) -> AnyRows:
    query = query.where(RecoveryCase.status.in_(STATUSES))
    if filters.status:
        query = query.where(RecoveryCase.status == filters.status)
    if filters.currency:
        query = query.where(RecoveryCase.currency == filters.currency)
    if filters.unassigned:
        query = query.where(RecoveryCase.assignee_user_id.is_(None))
    elif filters.assignee_user_id:
        query = query.where(RecoveryCase.assignee_user_id == filters.assignee_user_id)
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
    now: datetime,
    today: date,
    offset: int,
    limit: int,
) -> Sequence[Any]:
    """Rows of (case, customer, flag…) in the worklist's order."""
    flags = flag_expressions(now)
    flag_columns = [
        (flags[reason] if reason in flags else literal(False)).label(reason.name.lower())
        for reason in ORDER
    ]
    outstanding = RecoveryCase.amount - RecoveryCase.amount_paid
    order = [
        *(case((flags[r], 0), else_=1) for r in ORDER if r in flags),
        _aging(today),
        outstanding.desc(),
        RecoveryCase.due_date,
        RecoveryCase.id,
    ]
    query: AnyRows = select(RecoveryCase, Customer, *flag_columns).join(
        Customer, Customer.id == RecoveryCase.customer_id
    )
    query = _where(query, filters).order_by(*order).offset(offset).limit(limit)
    return session.execute(query).all()


def count(session: Session, filters: Filters) -> int:
    query = (
        select(func.count())
        .select_from(RecoveryCase)
        .join(Customer, and_(Customer.id == RecoveryCase.customer_id))
    )
    return int(session.scalar(_where(query, filters)) or 0)
