"""Bank statement entries imported: matched ones name their payment, unsure ones wait."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from payrec.server.models.base import Base, Money, UtcDateTime, new_id, utcnow


class BankEntry(Base):
    """One credit read from a statement. ``reference`` (the bank's entry id, or a hash of
    the entry) is unique: importing the same statement again finds it and records nothing.

    ``status``: MATCHED (a payment was recorded automatically), UNMATCHED (waits for a
    person), ASSIGNED (a person chose the case), DISMISSED (not a customer's payment).
    """

    __tablename__ = "bank_entries"
    __table_args__ = (
        Index("ix_bank_entries_reference", "reference", unique=True),
        Index("ix_bank_entries_status", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("bnk"))
    reference: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    booked_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    structured_reference: Mapped[str] = mapped_column(String(200), default="")
    remittance: Mapped[str] = mapped_column(Text, default="")
    debtor_name: Mapped[str] = mapped_column(String(200), default="")
    debtor_iban: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20))
    matched_by: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    recovery_case_id: Mapped[str | None] = mapped_column(
        ForeignKey("recovery_cases.id"), nullable=True
    )
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
