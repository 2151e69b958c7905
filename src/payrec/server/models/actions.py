"""What collectors record on a case: promises to pay and disputes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from payrec.server.models.base import Base, Money, UtcDateTime, new_id, utcnow


class Promise(Base):
    """A customer's promise to pay `target` by `promised_date` (+ the policy's grace)."""

    __tablename__ = "promises"
    __table_args__ = (
        Index("ix_promises_case", "recovery_case_id", "created_at"),
        Index("ix_promises_due", "status", "breaks_at"),  # the periodic check's order
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("prom"))
    recovery_case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id"))
    promised_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)  # as the customer said
    target: Mapped[Decimal] = mapped_column(Money)  # the amount (or everything owed then)
    paid_before: Mapped[Decimal] = mapped_column(Money)  # the case's amount paid when promised
    currency: Mapped[str] = mapped_column(String(3))
    grace_days: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date] = mapped_column(Date)
    breaks_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="PENDING")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Dispute(Base):
    """A customer contesting a case; contact stops until someone resolves it."""

    __tablename__ = "disputes"
    __table_args__ = (Index("ix_disputes_case", "recovery_case_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("disp"))
    recovery_case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id"))
    reason: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="OPEN")
    status_before: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)  # a CREDIT's amount
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    opened_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
