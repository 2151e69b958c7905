"""Wire form of the worklist (`GET /api/v1/worklist`)."""

from __future__ import annotations

from datetime import date

from payrec.server.types import ExactNumber, OutModel


class WorklistCustomer(OutModel):
    id: str
    name: str
    email: str | None
    phone: str | None


class WorklistItem(OutModel):
    id: str
    invoice_number: str | None
    customer: WorklistCustomer
    amount: ExactNumber
    amount_paid: ExactNumber
    outstanding: ExactNumber
    currency: str
    due_date: date
    days_overdue: int
    status: str
    assignee_user_id: str | None
    reasons: list[str]


class WorklistPage(OutModel):
    items: list[WorklistItem]
    total: int
    total_capped: bool = False
    """True when there are more than `total` cases (the count stops at 1,000)."""
    offset: int
    limit: int
    next_cursor: str | None
