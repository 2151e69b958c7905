"""Late charges: waivers of a case's charges, and reference rates an admin added."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from payrec.server.models.base import Base, Money, UtcDateTime, new_id, utcnow


class ChargeWaiver(Base):
    """A charge kind waived on a case from a day on (the reason is audited)."""

    __tablename__ = "charge_waivers"
    __table_args__ = (Index("ix_charge_waivers_case", "recovery_case_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("waiver"))
    recovery_case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id"))
    kind: Mapped[str] = mapped_column(String(20))
    waived_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReferenceRateRow(Base):
    """A half-year's reference rate added by an admin (the shipped table is in the package)."""

    __tablename__ = "reference_rates"
    __table_args__ = (UniqueConstraint("reference", "valid_from"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("rate"))
    reference: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Money)
    source: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
