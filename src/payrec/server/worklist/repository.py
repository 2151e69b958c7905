"""The worklist's queries: one page of open cases in `domain.worklist` order, read tier by tier,
and its capped count."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from payrec.domain.cases import OPEN
from payrec.domain.worklist import AGING_BUCKETS, DISPUTED, ORDER, PAUSED, TIERS, Reason, Tier
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
    matches: Sequence[str] | None = None
    """The cases the search finds, when read beforehand (`matching`): the queries filter by
    these ids instead of searching again."""
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


def _const(value: str) -> ColumnElement[str]:
    """A constant written into the SQL rather than bound, so that PostgreSQL and SQLite see
    that the query implies a partial index's WHERE (the worklist's indexes are partial)."""
    return literal(value, String, literal_execute=True)


def manual_task_due(today: date) -> ColumnElement[bool]:
    """A pending CALL or LETTER task planned before the end of today (UTC), probed per case
    (`ix_tasks_manual_due`): the worklist asks it only of the cases it reads, a page's worth. The
    OFFSET keeps PostgreSQL from turning it into a hash of every manual task due (50,000 at
    1M cases: 0.4 s) to look the few cases up in."""
    end_of_today = datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
    return (
        select(Task.id)
        .where(
            Task.recovery_case_id == RecoveryCase.id,
            Task.status == _const("PENDING"),
            Task.type.in_([_const(kind) for kind in MANUAL_TASK_TYPES]),
            Task.scheduled_at < end_of_today,
        )
        .offset(0)
        .exists()
    )


def flag_expressions(today: date) -> dict[Reason, ColumnElement[bool]]:
    """The SQL of each flag reason (`domain.worklist.flags_of` in SQL)."""
    return {
        Reason.BROKEN_PROMISE: RecoveryCase.broken_promise_at.is_not(None),
        Reason.PROMISE_DUE: and_(
            RecoveryCase.promise_due.is_not(None), RecoveryCase.promise_due <= today
        ),
        Reason.DISPUTE_WAITING: RecoveryCase.status == _const(DISPUTED),
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


def _bucket(index: int, today: date) -> ColumnElement[bool]:
    """The due dates of aging bucket `index` (`domain.worklist.aging_bucket` in SQL)."""
    bounds = [today - timedelta(days=bound) for bound in AGING_BUCKETS]
    terms: list[ColumnElement[bool]] = []
    if index < len(bounds):
        terms.append(RecoveryCase.due_date < bounds[index])
    if index > 0:
        terms.append(RecoveryCase.due_date >= bounds[index - 1])
    return and_(*terms)


OUTSTANDING = RecoveryCase.amount - RecoveryCase.amount_paid
"""The amount a case still owes, as the worklist index (`ix_recovery_cases_worklist`) has it."""
WALK_ORDER: tuple[Any, ...] = (
    OUTSTANDING.desc(),
    RecoveryCase.due_date,
    RecoveryCase.id,
)
"""A bucketed tier's order: `ix_recovery_cases_worklist`'s, so the tier is an index walk."""


def _statuses(values: Sequence[str]) -> ColumnElement[bool]:
    return RecoveryCase.status.in_([_const(value) for value in values])


def _tier_where(tier: Tier, filters: Filters, today: date) -> ColumnElement[bool] | None:
    """What puts a case in `tier` (None when the filters leave the tier empty)."""
    flags = flag_expressions(today)
    at = ORDER.index(tier.flag) if tier.flag is not None else len(ORDER)
    terms = [not_(flags[reason]) for reason in ORDER[:at]]
    if tier.flag is not None:
        terms.append(flags[tier.flag])
    if tier.bucket is None:
        if tier.flag == Reason.DISPUTE_WAITING and filters.status not in (None, DISPUTED):
            return None
        return and_(*terms)
    # after the disputes only cases of other statuses are left: the open ones (the only
    # listed ones without a flag) unless the status filter asks for another
    statuses = [s for s in ([filters.status] if filters.status else OPEN) if s != DISPUTED]
    if not statuses:
        return None
    return and_(*terms, _statuses(statuses), _bucket(tier.bucket, today))


AnyRows = Select[*tuple[Any, ...]]


def matching(session: Session, filters: Filters, cap: int) -> list[str] | None:
    """The ids of the cases the search finds, read once for the page's queries (at most
    `cap` + 1; None when there is no search, or it finds more than `cap`)."""
    if not filters.search:
        return None
    query = _matching(filters.search, filters.search_digits).limit(cap + 1)
    ids = [str(found) for found in session.scalars(query).all()]
    return ids if len(ids) <= cap else None


def _matching(text: str, digits: str | None) -> CompoundSelect[str]:
    """The ids of the cases a search finds: by the customer's name, e-mail or phone, or by the
    invoice number. A union of lookups each with its own index (PostgreSQL: trigram indexes on
    the lower-cased texts, `0019_worklist_tiers`), not one OR over a join that reads them all."""
    pattern = _like(text)
    by_customer: list[ColumnElement[bool]] = [
        func.lower(Customer.name).like(pattern, escape="\\"),
        func.lower(Customer.email).like(pattern, escape="\\"),
    ]
    if digits:
        by_customer.append(Customer.phone_digits.like(f"%{digits}%"))
    customers = select(Customer.id).where(or_(*by_customer))
    return union(
        select(RecoveryCase.id).where(RecoveryCase.customer_id.in_(customers)),
        select(RecoveryCase.id).where(
            func.lower(RecoveryCase.invoice_number).like(pattern, escape="\\")
        ),
    )


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
    if filters.matches is not None:
        query = query.where(RecoveryCase.id.in_(filters.matches))
    elif filters.search:
        query = query.where(RecoveryCase.id.in_(_matching(filters.search, filters.search_digits)))
    return query


def _whole_key(today: date) -> tuple[Any, ...]:
    """The worklist's whole order in SQL (`domain.worklist`): flags, a waiting dispute
    without an owner first among the disputes, then aging and the walk order."""
    flags = flag_expressions(today)
    ranks: list[ColumnElement[int]] = [case((flags[r], 0), else_=1) for r in ORDER]
    at = ORDER.index(Reason.DISPUTE_WAITING) + 1
    owner_wanted = case(
        (and_(flags[Reason.DISPUTE_WAITING], RecoveryCase.assignee_user_id.is_(None)), 0),
        else_=1,
    )
    return (*ranks[:at], owner_wanted, *ranks[at:], _aging(today), *WALK_ORDER)


@functools.lru_cache(maxsize=512)
def _tier_queries(filters: Filters, today: date) -> tuple[AnyRows, ...]:
    """Each tier's query, without its limit, built once per filters and day (building the
    expressions of a dozen tiers cost a page more than its index walks)."""
    whole_key = _whole_key(today)
    queries: list[AnyRows] = []
    for tier in TIERS:
        where = _tier_where(tier, filters, today)
        if where is None:
            continue
        query: AnyRows = select(RecoveryCase.id).where(where)
        order = whole_key if tier.bucket is None else WALK_ORDER
        queries.append(_where(query, filters, today).order_by(*order))
    return tuple(queries)


def page_ids(session: Session, filters: Filters, *, today: date, stop: int) -> list[str]:
    """The ids of the first `stop` cases of the worklist, in its order: tier by tier
    (`domain.worklist.TIERS`), each query stopping where the page ends; the few cases a
    search found (`Filters.matches`) in one query."""
    ids: list[str] = []
    if filters.matches is not None:
        # a search has narrowed the book to a few cases (at most COUNT_CAP): sorted at once
        if filters.matches:
            found = _where(select(RecoveryCase.id), filters, today).order_by(*_whole_key(today))
            ids.extend(session.scalars(found.limit(stop)).all())
        return ids
    for query in _tier_queries(filters, today):
        ids.extend(session.scalars(query.limit(stop - len(ids))).all())
        if len(ids) >= stop:
            break
    return ids


WORKLIST_COLUMNS: tuple[Any, ...] = (
    RecoveryCase.id,
    RecoveryCase.invoice_number,
    RecoveryCase.amount,
    RecoveryCase.amount_paid,
    RecoveryCase.currency,
    RecoveryCase.due_date,
    RecoveryCase.status,
    RecoveryCase.assignee_user_id,
    RecoveryCase.promise_due,
    RecoveryCase.broken_promise_at,
    Customer.id.label("customer_id"),
    Customer.name.label("customer_name"),
    Customer.email.label("customer_email"),
    Customer.phone.label("customer_phone"),
)
"""What a worklist row shows of its case and customer (columns, not whole rows: a page of
entities costs more to load than to read)."""


def rows_of(session: Session, ids: Sequence[str], today: date) -> list[Any]:
    """Rows of `WORKLIST_COLUMNS` and `manual_task_due` of `ids`, in their order (the other
    flags are read off the case by `domain.worklist.flags_of`)."""
    if not ids:
        return []
    query = (
        select(*WORKLIST_COLUMNS, manual_task_due(today).label("manual_task_due"))
        .join(Customer, Customer.id == RecoveryCase.customer_id)
        .where(RecoveryCase.id.in_(ids))
    )
    found = {row.id: row for row in session.execute(query).all()}
    return [found[i] for i in ids if i in found]


def count(session: Session, filters: Filters, today: date, cap: int) -> int:
    """How many cases the worklist has, counted up to `cap` + 1 (the pager shows "cap+")."""
    if filters.matches is not None:
        if not filters.matches:
            return 0
        query = _count_query(filters, today, cap)
    else:
        query = _cached_count_query(filters, today, cap)
    return int(session.scalar(query) or 0)


def _count_query(filters: Filters, today: date, cap: int) -> Select[int]:
    matching = _where(select(RecoveryCase.id), filters, today).limit(cap + 1).subquery()
    return select(func.count()).select_from(matching)


_cached_count_query = functools.lru_cache(maxsize=512)(_count_query)
"""`_count_query` built once per filters and day (filters without a search's ids)."""
