"""The worklist, for the API and the app alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from payrec.domain.worklist import (
    MAX_PAGE_SIZE,
    ORDER,
    SEARCH_MAX,
    STATUSES,
    Facts,
    days_overdue,
    reasons,
    search_digits,
)
from payrec.server.errors import Invalid
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
    page: int = 1,
    page_size: int = 25,
    now: datetime | None = None,
) -> WorklistPage:
    if page < 1:
        raise Invalid("page starts at 1", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise Invalid(f"pageSize is 1 to {MAX_PAGE_SIZE}", field="pageSize")
    filters = _checked(filters)
    now = now or datetime.now(UTC)
    today = now.date()
    rows = repository.page(
        session, filters, now=now, today=today, offset=(page - 1) * page_size, limit=page_size
    )
    items = []
    for row in rows:
        case, customer = row[0], row[1]
        flags = frozenset(reason for reason, on in zip(ORDER, row[2:], strict=True) if on)
        facts = Facts(case.id, case.due_date, case.outstanding, flags)
        items.append(
            WorklistItem(
                id=case.id,
                invoice_number=case.invoice_number,
                customer=WorklistCustomer(
                    id=customer.id, name=customer.name, email=customer.email, phone=customer.phone
                ),
                amount=case.amount,
                amount_paid=case.amount_paid,
                outstanding=case.outstanding,
                currency=case.currency,
                due_date=case.due_date,
                days_overdue=days_overdue(case.due_date, today),
                status=case.status,
                assignee_user_id=case.assignee_user_id,
                reasons=reasons(facts, today),
            )
        )
    total = repository.count(session, filters)
    return WorklistPage(items=items, total=total, page=page, page_size=page_size)
