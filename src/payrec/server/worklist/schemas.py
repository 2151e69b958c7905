"""Wire form of the worklist (`GET /api/v1/worklist`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from payrec.server.types import OutModel


class WorklistCustomer(OutModel):
    id: str
    name: str
    email: str | None
    phone: str | None


class WorklistItem(OutModel):
    id: str
    invoice_number: str | None
    customer: WorklistCustomer
    amount: Decimal
    amount_paid: Decimal
    outstanding: Decimal
    currency: str
    due_date: date
    days_overdue: int
    status: str
    assignee_user_id: str | None
    reasons: list[str]


class WorklistPage(OutModel):
    items: list[WorklistItem]
    total: int
    page: int
    page_size: int
