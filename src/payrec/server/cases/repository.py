"""Recovery case queries."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, bindparam, func, select, type_coerce
from sqlalchemy.orm import Session

from payrec.server.db import DriverStatement
from payrec.server.models import (
    AuditEvent,
    CaseNote,
    Customer,
    Dispute,
    Promise,
    RecoveryCase,
    Task,
)
from payrec.server.pagination import count_and_page


def get(session: Session, case_id: str, *, for_update: bool = False) -> RecoveryCase | None:
    """A case; without a lock, one this transaction already read costs no query."""
    if not for_update:
        return session.get(RecoveryCase, case_id)
    return session.scalar(_LOCK_CASE, {"case_id": case_id})


# Built once: SQLAlchemy then skips building the statement and its cache key on every call.
# FOR NO KEY UPDATE (PostgreSQL): a case is never re-keyed, and the weaker lock lets rows that
# reference the case (a claim recording a reminder, a note) be inserted meanwhile; with FOR
# UPDATE a claim holding its tasks would wait on a payment holding the case, which waits on
# those tasks: a deadlock.
_LOCK_CASE = (
    select(RecoveryCase)
    .where(RecoveryCase.id == bindparam("case_id"))
    .with_for_update(key_share=True)
)


def with_customers(
    session: Session, cases: Sequence[RecoveryCase]
) -> list[tuple[RecoveryCase, Customer]]:
    ids = {c.customer_id for c in cases}
    customers = (
        {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids))).all()}
        if ids
        else {}
    )
    return [(case, customers[case.customer_id]) for case in cases]


_cases = RecoveryCase.__table__.c
_customers = Customer.__table__.c
_CASE_WIRE_NAMES = (
    "id",
    "customer_id",
    "invoice_number",
    "amount",
    "amount_paid",
    "currency",
    "due_date",
    "status",
    "priority",
    "policy_id",
    "last_reminder_sent_at",
    "resolved_at",
    "created_at",
    "updated_at",
    "paused_until",
    "promise_due",
    "broken_promise_at",
    "issue_date",
)


def _case_wire_columns(columns: Any) -> tuple[Any, ...]:
    """The columns of a case's wire form (`service.row_to_wire`), in that order, taken from a
    table or a subquery; money as the stored scaled integers (MONEY_SCALE), not Decimals."""
    return tuple(
        type_coerce(columns[name], BigInteger)
        if name in ("amount", "amount_paid")
        else columns[name]
        for name in _CASE_WIRE_NAMES
    )


CASE_WIRE_COLUMNS = _case_wire_columns(_cases)
CUSTOMER_WIRE_COLUMNS = (
    _customers.id,
    _customers.name,
    _customers.email,
    _customers.phone,
    _customers.timezone,
    _customers.locale,
    _customers.opt_out_email,
    _customers.opt_out_sms,
    _customers.policy_id,
)


def _queue_page(*, by_priority: bool) -> DriverStatement:
    """The page of case rows first (walking the queue index, stopping after the page), then
    their customers: joining before the offset would look up a customer for every skipped row."""
    page = (
        select(RecoveryCase.__table__)
        .where(_cases.status.in_([bindparam("s1"), bindparam("s2"), bindparam("s3")]))
        .order_by(_cases.priority_rank, _cases.due_date, _cases.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    if by_priority:
        page = page.where(_cases.priority == bindparam("priority"))
    rows = page.subquery("page")
    return DriverStatement(
        select(*_case_wire_columns(rows.c), *CUSTOMER_WIRE_COLUMNS)
        .join_from(rows, Customer.__table__, _customers.id == rows.c.customer_id)
        .order_by(rows.c.priority_rank, rows.c.due_date, rows.c.id)
    )


# Built once and run on the driver: the queue is the API's hottest read, and building a
# statement or processing its result through SQLAlchemy per request costs more than the query.
_QUEUE_PAGE = {False: _queue_page(by_priority=False), True: _queue_page(by_priority=True)}


def pending_rows(
    session: Session,
    *,
    statuses: Sequence[str],
    priority: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Any], int]:
    """One page of the open-case queue: driver rows of `CASE_WIRE_COLUMNS` followed by
    `CUSTOMER_WIRE_COLUMNS` (money as scaled integers; see `service.row_to_wire`).

    The page walks `ix_recovery_cases_queue` in order and looks each customer up by primary
    key (`bench.scale` checks the plans).
    """
    params = _queue_params(statuses, priority)
    total = _cached_total(params)
    if total is None:
        total = _remember_total(params, QUEUE_COUNT[bool(priority)].rows(session, params)[0][0])
    page = {**params, "limit": limit, "offset": offset}
    return _QUEUE_PAGE[bool(priority)].rows(session, page), total


def _queue_params(statuses: Sequence[str], priority: str | None) -> dict[str, Any]:
    wanted = list(statuses) + [statuses[-1]] * (3 - len(statuses))  # at most the three open
    params: dict[str, Any] = {"s1": wanted[0], "s2": wanted[1], "s3": wanted[2]}
    if priority:
        params["priority"] = priority
    return params


def wire_rows_by_id(session: Session, case_ids: Sequence[str]) -> Sequence[Any]:
    """Cases with their customers as rows of the queue's columns (for `service.row_to_wire`)."""
    if not case_ids:
        return []
    statement = (
        select(*CASE_WIRE_COLUMNS, *CUSTOMER_WIRE_COLUMNS)
        .join_from(RecoveryCase.__table__, Customer.__table__, _customers.id == _cases.customer_id)
        .where(_cases.id.in_(list(case_ids)))
    )
    return session.connection().execute(statement).all()


def _queue_count(*, by_priority: bool) -> DriverStatement:
    statement = (
        select(func.count())
        .select_from(RecoveryCase)
        .where(_cases.status.in_([bindparam("s1"), bindparam("s2"), bindparam("s3")]))
    )
    if by_priority:
        statement = statement.where(_cases.priority == bindparam("priority"))
    return DriverStatement(statement)


QUEUE_COUNT = {False: _queue_count(by_priority=False), True: _queue_count(by_priority=True)}

# Counting a large queue costs more than serving its page (7 ms on SQLite, 14 ms on
# PostgreSQL at 100k open cases), and workers poll it constantly: a count above
# COUNT_CACHE_MIN is reused for COUNT_CACHE_SECONDS in this process. Smaller counts stay exact.
COUNT_CACHE_MIN = 10_000
COUNT_CACHE_SECONDS = 2.0
_counts: dict[tuple[object, ...], tuple[float, int]] = {}
_counts_lock = threading.Lock()


def _count_key(params: dict[str, Any]) -> tuple[object, ...]:
    return (params["s1"], params["s2"], params["s3"], params.get("priority"))


def _cached_total(params: dict[str, Any]) -> int | None:
    with _counts_lock:
        cached = _counts.get(_count_key(params))
    return cached[1] if cached is not None and cached[0] > time.monotonic() else None


def _remember_total(params: dict[str, Any], total: int) -> int:
    if total >= COUNT_CACHE_MIN:
        with _counts_lock:
            _counts[_count_key(params)] = (time.monotonic() + COUNT_CACHE_SECONDS, total)
    return total


def page(
    session: Session,
    *,
    status: str | None,
    customer_id: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[RecoveryCase], int]:
    conditions = []
    if status:
        conditions.append(RecoveryCase.status == status)
    if customer_id:
        conditions.append(RecoveryCase.customer_id == customer_id)
    order = (RecoveryCase.created_at, RecoveryCase.id)
    return count_and_page(session, RecoveryCase, conditions, order, offset=offset, limit=limit)


def notes(session: Session, case_id: str) -> Sequence[CaseNote]:
    return session.scalars(
        select(CaseNote).where(CaseNote.recovery_case_id == case_id).order_by(CaseNote.created_at)
    ).all()


def events(session: Session, case_id: str) -> Sequence[AuditEvent]:
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.recovery_case_id == case_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()


# --- collectors' actions: promises, disputes, holds, re-planning, one case per invoice ---


def pending_promise(session: Session, case_id: str) -> Promise | None:
    return session.scalar(
        select(Promise).where(Promise.recovery_case_id == case_id, Promise.status == "PENDING")
    )


def promises_of(session: Session, case_id: str) -> Sequence[Promise]:
    return session.scalars(
        select(Promise)
        .where(Promise.recovery_case_id == case_id)
        .order_by(Promise.created_at, Promise.id)
    ).all()


def disputes_of(session: Session, case_id: str) -> Sequence[Dispute]:
    return session.scalars(
        select(Dispute)
        .where(Dispute.recovery_case_id == case_id)
        .order_by(Dispute.created_at, Dispute.id)
    ).all()


def due_hold_case_ids(session: Session, now: datetime, limit: int) -> list[str]:
    """Cases with a pending promise whose time is up or a pause that has ended (each read
    through its index: `ix_promises_due`, `ix_recovery_cases_paused_until`)."""
    broken = session.scalars(
        select(Promise.recovery_case_id)
        .where(Promise.status == "PENDING", Promise.breaks_at <= now)
        .order_by(Promise.breaks_at, Promise.id)
        .limit(limit)
    ).all()
    paused = session.scalars(
        select(RecoveryCase.id)
        .where(RecoveryCase.paused_until <= now, RecoveryCase.status == "PAUSED")
        .order_by(RecoveryCase.paused_until, RecoveryCase.id)
        .limit(limit)
    ).all()
    return sorted(set(broken) | set(paused))


def keyed_tasks(session: Session, case_id: str, statuses: Sequence[str]) -> Sequence[Task]:
    """The case's step tasks (those with a key) in `statuses`, locked."""
    return session.scalars(
        select(Task)
        .where(
            Task.recovery_case_id == case_id,
            Task.dedupe_key.is_not(None),
            Task.status.in_(list(statuses)),
        )
        .with_for_update()
    ).all()


def open_case_for_invoice(
    session: Session, customer_id: str, invoice_number: str, *, exclude: str | None = None
) -> str | None:
    """The oldest open case of the customer for the invoice, after locking the customer's
    row (FOR NO KEY UPDATE: new cases referencing it may still be inserted meanwhile)."""
    session.scalar(
        select(Customer.id).where(Customer.id == customer_id).with_for_update(key_share=True)
    )
    return session.scalar(
        select(RecoveryCase.id)
        .where(
            RecoveryCase.customer_id == customer_id,
            RecoveryCase.invoice_number == invoice_number,
            RecoveryCase.status.not_in(["RESOLVED", "WRITTEN_OFF"]),
            *([RecoveryCase.id != exclude] if exclude else []),
        )
        .order_by(RecoveryCase.created_at)
        .limit(1)
    )
