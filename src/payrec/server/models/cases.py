"""Recovery cases, their notes and the payments received against them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from payrec.domain.cases import outstanding
from payrec.server.models.base import Base, Money, UtcDateTime, new_id, utcnow

OPEN_WHERE = "status IN ('PENDING', 'OVERDUE', 'IN_PROGRESS')"
"""The open cases (`domain.cases.OPEN`), the worklist index's partial WHERE."""
FLAGGED_INDEXES = (
    ("ix_recovery_cases_broken_promise", "status", "broken_promise_at IS NOT NULL"),
    ("ix_recovery_cases_promise_due", "status", "promise_due IS NOT NULL"),
    ("ix_recovery_cases_disputed", "assignee_user_id", "status = 'DISPUTED'"),
)
"""The worklist's flagged tiers, each a partial index of its few cases."""
FLAGGED_INCLUDE = (
    "id",
    "status",
    "broken_promise_at",
    "promise_due",
    "assignee_user_id",
    "due_date",
    "amount",
    "amount_paid",
    "currency",
)
"""What the worklist's queries read of a flagged case (PostgreSQL: read off the index alone,
not from the cases' pages all over the table)."""
WALK_INCLUDE = ("status", "currency", "assignee_user_id", "broken_promise_at", "promise_due")
"""What the worklist's walks read of an open case besides the index's key (likewise)."""


class RecoveryCase(Base):
    __tablename__ = "recovery_cases"
    __table_args__ = (
        Index("ix_recovery_cases_open", "status", "priority_rank", "due_date"),
        # the pending queue's order: walked in order and filtered, it stops after one page
        Index("ix_recovery_cases_queue", "priority_rank", "due_date", "id"),
        Index("ix_recovery_cases_customer", "customer_id"),
        Index("ix_recovery_cases_created", "created_at"),
        Index("ix_recovery_cases_invoice", "invoice_number"),
        Index("ix_recovery_cases_assignee", "assignee_user_id"),
        # one open case per (customer, invoice number): the service checks it under the
        # customer's lock (stored duplicates from before the rule keep the index non-unique)
        Index("ix_recovery_cases_customer_invoice", "customer_id", "invoice_number"),
        Index("ix_recovery_cases_paused_until", "paused_until"),  # the periodic auto-resume
        Index("ix_recovery_cases_external_id", "external_id"),  # imports upsert by it
        # the worklist (server/worklist/repository.py, domain.worklist.TIERS): its bucketed
        # tiers walk the open cases by what they owe; its flagged tiers find the few broken and
        # due promises by these partial indexes (the disputes by ix_recovery_cases_open)
        Index(
            "ix_recovery_cases_worklist",
            text("(amount - amount_paid) DESC"),
            "due_date",
            "id",
            postgresql_where=text(OPEN_WHERE),
            sqlite_where=text(OPEN_WHERE),
            postgresql_include=list(WALK_INCLUDE),
        ),
        *(
            Index(
                name,
                column,
                postgresql_where=text(where),
                sqlite_where=text(where),
                postgresql_include=list(FLAGGED_INCLUDE),
            )
            for name, column, where in FLAGGED_INDEXES
        ),
        # the worklist's search by invoice number (`LIKE '%...%'`): trigrams, PostgreSQL only
        Index(
            "ix_recovery_cases_invoice_trgm",
            func.lower(text("invoice_number")).label("invoice_lower"),
            postgresql_using="gin",
            postgresql_ops={"invoice_lower": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("case"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    invoice_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))
    due_date: Mapped[date] = mapped_column(Date)
    # the invoice's issue date (reports count it as billed then); null only on rows written
    # around the service, which fills it (domain.cases.default_issue_date)
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    priority_rank: Mapped[int] = mapped_column(Integer)
    policy_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    assignee_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    last_reminder_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    promise_due: Mapped[date | None] = mapped_column(Date, nullable=True)  # a pending promise's
    broken_promise_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    @property
    def outstanding(self) -> Decimal:
        return outstanding(self.amount, self.amount_paid)


class CaseNote(Base):
    """An append-only note on a case's history."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case", "recovery_case_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("note"))
    recovery_case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id"))
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200), nullable=True)
    service_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_case", "recovery_case_id", "received_at"),
        UniqueConstraint("recovery_case_id", "reference"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pay"))
    recovery_case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reference: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # `amount` is what paid the case; `surplus`, received above what it owed, became the
    # customer's credit (received = amount + surplus); a reversed payment keeps its row
    surplus: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    reversed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reversal_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
