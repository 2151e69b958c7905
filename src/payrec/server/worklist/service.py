"""The worklist, for the API and the app alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from payrec.domain.cases import outstanding
from payrec.domain.worklist import (
    COUNT_CAP,
    MAX_PAGE_SIZE,
    SEARCH_MAX,
    STATUSES,
    Facts,
    days_overdue,
    flags_of,
    reasons,
    search_digits,
)
from payrec.server.errors import Invalid
from payrec.server.pagination import encode_cursor
from payrec.server.worklist import repository
from payrec.server.worklist.repository import Filters
from payrec.server.worklist.schemas import WorklistCustomer, WorklistItem, WorklistPage


def _checked(filters: Filters) -> Filters:
    if filters.status and filters.status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}", field="status")
    if filters.currency and not (len(filters.currency) == 3 and filters.currency.isalpha()):
        raise Invalid("currency is an ISO 4217 code such as EUR", field="currency")
    if filters.policy_step is not None and not 0 <= filters.policy_step < 1000:
        raise Invalid("policyStep is a step index (0 for the first step)", field="policyStep")
    if filters.aging and filters.aging not in repository.AGING_RANGES:
        names = ", ".join(repository.AGING_RANGES)
        raise Invalid(f"aging is one of {names}", field="aging")
    text = (filters.search or "").strip()
    if len(text) > SEARCH_MAX:
        raise Invalid(f"a search has at most {SEARCH_MAX} characters", field="q")
    return replace(
        filters,
        currency=filters.currency.upper() if filters.currency else None,
        search=text or None,
        search_digits=search_digits(text) if text else None,
    )


def worklist(
    session: Session,
    filters: Filters,
    *,
    offset: int = 0,
    limit: int = 25,
    now: datetime | None = None,
) -> WorklistPage:
    """One page (`offset`, `limit`) of the worklist in `domain.worklist` order; `nextCursor`
    continues it (`server.pagination`'s cursors). `total` counts up to `COUNT_CAP` cases;
    `totalCapped` says there are more."""
    if offset < 0:
        raise Invalid("offset starts at 0", field="cursor")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise Invalid(f"limit is 1 to {MAX_PAGE_SIZE}", field="limit")
    filters = _checked(filters)
    today = (now or datetime.now(UTC)).date()
    filters = replace(filters, matches=repository.matching(session, filters, COUNT_CAP))
    ids = repository.page_ids(session, filters, today=today, stop=offset + limit + 1)
    more = len(ids) > offset + limit
    rows = repository.rows_of(session, ids[offset : offset + limit], today)
    items = []
    for row in rows:
        flags = flags_of(
            status=row.status,
            promise_due=row.promise_due,
            broken_promise=row.broken_promise_at is not None,
            manual_task_due=bool(row.manual_task_due),
            today=today,
        )
        owed = outstanding(row.amount, row.amount_paid)
        facts = Facts(row.id, row.due_date, owed, flags, row.assignee_user_id is not None)
        items.append(
            WorklistItem(
                id=row.id,
                invoice_number=row.invoice_number,
                customer=WorklistCustomer(
                    id=row.customer_id,
                    name=row.customer_name,
                    email=row.customer_email,
                    phone=row.customer_phone,
                ),
                amount=row.amount,
                amount_paid=row.amount_paid,
                outstanding=owed,
                currency=row.currency,
                due_date=row.due_date,
                days_overdue=days_overdue(row.due_date, today),
                status=row.status,
                assignee_user_id=row.assignee_user_id,
                reasons=reasons(facts, today),
            )
        )
    counted = repository.count(session, filters, today, COUNT_CAP)
    return WorklistPage(
        items=items,
        total=min(counted, COUNT_CAP),
        total_capped=counted > COUNT_CAP,
        offset=offset,
        limit=limit,
        next_cursor=encode_cursor(offset + limit) if more else None,
    )
