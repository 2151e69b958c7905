"""Report queries: one row per case with the payments received by a moment.

`func.sum(Payment.amount)` keeps the `Money` type, so the sum comes back as an exact Decimal
on SQLite and PostgreSQL alike (verified). An arithmetic expression over two Money columns
does not (it returns the raw scaled integer): such sums are done in Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payrec.domain.cases import default_issue_date
from payrec.server.models import Customer, Payment, Promise, RecoveryCase, Task


@dataclass(frozen=True)
class CaseRow:
    id: str
    customer_name: str
    invoice_number: str | None
    currency: str
    amount: Decimal
    paid: Decimal
    due_date: date
    status: str
    resolved_at: datetime | None
    created_at: datetime
    issue_date: date
    assignee_user_id: str | None = None
    # where a late-charge scheme applies (`service.with_charges`): the principal left after
    # the scheme's allocation order and the charges left; else `amount - paid` and none
    principal_left: Decimal | None = None
    charges_left: Decimal = Decimal(0)


def case_rows(session: Session, *, until: datetime) -> Iterator[CaseRow]:
    """Cases created before `until`, each with the payments received before `until`."""
    paid = (
        select(Payment.recovery_case_id, func.sum(Payment.amount).label("paid"))
        .where(Payment.received_at < until, Payment.reversed_at.is_(None))
        .group_by(Payment.recovery_case_id)
        .subquery()
    )
    stmt = (
        select(
            RecoveryCase.id,
            Customer.name,
            RecoveryCase.invoice_number,
            RecoveryCase.currency,
            RecoveryCase.amount,
            paid.c.paid,
            RecoveryCase.due_date,
            RecoveryCase.status,
            RecoveryCase.resolved_at,
            RecoveryCase.created_at,
            RecoveryCase.issue_date,
            RecoveryCase.assignee_user_id,
        )
        .join(Customer, Customer.id == RecoveryCase.customer_id)
        .outerjoin(paid, paid.c.recovery_case_id == RecoveryCase.id)
        .where(RecoveryCase.created_at < until)
        .order_by(RecoveryCase.currency, RecoveryCase.due_date, RecoveryCase.id)
        .execution_options(yield_per=1000)
    )
    for row in session.execute(stmt):
        yield CaseRow(
            id=row[0],
            customer_name=row[1],
            invoice_number=row[2],
            currency=row[3],
            amount=row[4],
            paid=row[5] if row[5] is not None else Decimal(0),
            due_date=row[6],
            status=row[7],
            resolved_at=row[8],
            created_at=row[9],
            issue_date=row[10] or default_issue_date(row[6], row[9].date()),
            assignee_user_id=row[11],
        )


def completed_step_tasks(
    session: Session, *, until: datetime
) -> Iterator[tuple[str, Mapping[str, Any] | None]]:
    """(case id, metadata) of the scheduler's step tasks carried out before `until`."""
    stmt = (
        select(Task.recovery_case_id, Task.meta)
        .where(
            Task.status == "COMPLETED",
            Task.dedupe_key.is_not(None),
            Task.recovery_case_id.is_not(None),
            Task.completed_at < until,
        )
        .execution_options(yield_per=1000)
    )
    for case_id, meta in session.execute(stmt):
        yield str(case_id), meta


def promise_counts(session: Session, *, until: datetime) -> dict[tuple[str, str], int]:
    """(currency, status) -> promises taken before `until` (their status now)."""
    stmt = (
        select(Promise.currency, Promise.status, func.count())
        .where(Promise.created_at < until)
        .group_by(Promise.currency, Promise.status)
    )
    return {(row[0], row[1]): int(row[2]) for row in session.execute(stmt)}
