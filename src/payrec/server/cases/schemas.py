"""Recovery case wire shapes (the guide's `cases` JSON, plus the timeline)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from payrec.domain.cases import MAX_REASON_CHARS
from payrec.server.customers.schemas import CustomerSummary
from payrec.server.types import (
    Amount,
    ApiModel,
    Currency,
    EntityId,
    ExactNumber,
    OutModel,
    SaneDate,
    UtcTimestamp,
)

PriorityName = Literal["HIGH", "MEDIUM", "LOW"]
CaseStatusName = Literal[
    "PENDING", "OVERDUE", "IN_PROGRESS", "PAUSED", "DISPUTED", "RESOLVED", "WRITTEN_OFF"
]
OpenStatusName = Literal["PENDING", "OVERDUE", "IN_PROGRESS"]


class CaseCreate(ApiModel):
    customer_id: EntityId
    invoice_number: str | None = Field(default=None, min_length=1, max_length=100)
    amount: Amount
    currency: Currency
    due_date: SaneDate
    issue_date: SaneDate | None = Field(
        default=None,
        description=(
            "The invoice's issue date (reports count the invoice as billed then); when "
            "absent, the earlier of today and dueDate"
        ),
    )
    priority: PriorityName = "MEDIUM"
    policy_id: EntityId | None = None
    notes: str | None = Field(default=None, max_length=10_000)


class CaseUpdate(ApiModel):
    """The guide's partial update; a note is appended, never overwrites."""

    status: CaseStatusName | None = None
    priority: PriorityName | None = None
    last_reminder_sent_at: UtcTimestamp | None = None
    notes: str | None = Field(default=None, max_length=10_000)


class CasePatch(CaseUpdate):
    """The management API's update: ADMIN only; `reason` goes with a status change and is
    required for WRITTEN_OFF (kept in the audit entry and as a note)."""

    reason: str | None = Field(default=None, max_length=MAX_REASON_CHARS)


class CaseEdit(CasePatch):
    """A person's edit: the update's fields, plus the amount, due date and policy
    (`policyId: null` returns the case to its customer's policy), which need the `reason`."""

    amount: Amount | None = None
    due_date: SaneDate | None = None
    policy_id: EntityId | None = None


class CaseOut(OutModel):
    id: str
    customer_id: str
    invoice_number: str | None
    amount: ExactNumber
    amount_paid: ExactNumber
    amount_outstanding: ExactNumber
    currency: str
    due_date: date
    issue_date: date | None = None
    status: str
    priority: str
    policy_id: str | None
    last_reminder_sent_at: datetime | None
    resolved_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    customer: CustomerSummary
    schedule: dict[str, Any] | None = None
    paused_until: datetime | None = None
    promise_due: date | None = None
    broken_promise: bool = False
    # ISO 11649 structured creditor reference (derived from the id; bank transfers quote it)
    creditor_reference: str | None = None
    charges: list[dict[str, Any]] = Field(
        default_factory=list,
        description=(
            "late charges (issue 18): {kind: INTEREST|COMPENSATION|FEE, amount, currency, "
            "rate, fromDate, toDate, base, days, referenceRate, margin, waived, paid, "
            "outstanding}; amountOutstanding stays the principal left"
        ),
    )
    charges_outstanding: ExactNumber | None = None
    total_due: ExactNumber | None = Field(
        default=None, description="principal left plus charges outstanding"
    )
    late_charges: dict[str, Any] | None = Field(
        default=None, description="scheme, applicable, note, error (a missing rate is shown)"
    )


class CaseList(OutModel):
    cases: list[CaseOut]
    total: int
    next_cursor: str | None = None


class NoteOut(OutModel):
    id: str
    body: str
    author: str | None
    service_name: str | None
    created_at: datetime


class TimelineEntry(OutModel):
    at: datetime
    action: str
    entity_type: str
    entity_id: str
    actor: str | None
    service_name: str | None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class CaseDetail(CaseOut):
    notes: list[NoteOut]
    tasks: list[dict[str, Any]]
    reminders: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    extractions: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    promises: list[dict[str, Any]] = []
    disputes: list[dict[str, Any]] = []
    timeline: list[TimelineEntry]
