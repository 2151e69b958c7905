"""Customers: who owes, how to reach them, and what they agreed to receive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from payrec.server.models.base import Base, JsonType, UtcDateTime, new_id, utcnow


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_email", "email"),
        Index("ix_customers_name", "name"),
        Index("ix_customers_created", "created_at", "id"),  # the list's order
        # extractions are matched to customers case-insensitively (`repository.by_email`)
        Index("ix_customers_email_lower", func.lower(text("email"))),
        Index("ix_customers_name_lower", func.lower(text("name"))),
        # inbound SMS replies find their customer by the number's digits
        Index("ix_customers_phone_digits", "phone_digits"),
        Index("ix_customers_external_id", "external_id"),  # imports upsert by it
        # the worklist's search (`LIKE '%...%'` on the name, e-mail, phone digits): trigrams,
        # PostgreSQL only (0019_worklist_tiers)
        Index(
            "ix_customers_name_trgm",
            func.lower(text("name")).label("name_lower"),
            postgresql_using="gin",
            postgresql_ops={"name_lower": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_customers_email_trgm",
            func.lower(text("email")).label("email_lower"),
            postgresql_using="gin",
            postgresql_ops={"email_lower": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_customers_phone_digits_trgm",
            text("phone_digits gin_trgm_ops"),  # an expression: SQLite's comparison skips it
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cust"))
    name: Mapped[str] = mapped_column(String(300))
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    phone_digits: Mapped[str | None] = mapped_column(String(40), nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    vat_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(20), default="en_US")
    policy_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    opt_out_email: Mapped[bool] = mapped_column(Boolean, default=False)
    opt_out_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    # late charges (issue 18): B2B schemes apply to businesses only; the letter's address
    is_business: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    postal_address: Mapped[str | None] = mapped_column(Text, nullable=True)
    late_charges: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    @validates("phone")
    def _keep_phone_digits(self, _key: str, phone: str | None) -> str | None:
        """`phone_digits` follows `phone` (`+1-555-0123` → `15550123`)."""
        self.phone_digits = digits_of(phone or "") or None
        return phone


def digits_of(number: str) -> str:
    """A phone number's digits, as written (`+49 30 1234` and `0049301234` differ)."""
    return "".join(ch for ch in number if ch.isdigit())
