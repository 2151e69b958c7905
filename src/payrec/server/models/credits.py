"""A customer's credit: the surplus of an overpayment, applied to another case or refunded."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from payrec.server.models.base import Base, Money, UtcDateTime, new_id, utcnow


class CustomerCredit(Base):
    """``remaining`` of ``amount`` is still the customer's. ``status``: AVAILABLE, USED (all
    applied to cases), REFUNDED (paid back, with the reason), REVERSED (its payment was)."""

    __tablename__ = "customer_credits"
    __table_args__ = (Index("ix_customer_credits_customer", "customer_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cred"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    recovery_case_id: Mapped[str | None] = mapped_column(
        ForeignKey("recovery_cases.id"), nullable=True
    )  # the case that was overpaid
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Money)
    remaining: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20), default="AVAILABLE")
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}
