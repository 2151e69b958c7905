"""The customer page's links, and the card payments that came through Stripe."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from payrec.server.models.base import Base, Money, UtcDateTime, utcnow


class PortalLink(Base):
    """A customer-page link: its random token is the link's whole secret, bound to the
    customer and the case it was sent for; renders reuse a case's link while it is young."""

    __tablename__ = "portal_links"
    __table_args__ = (Index("ix_portal_links_case", "recovery_case_id", "expires_at"),)

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), ForeignKey("customers.id"))
    recovery_case_id: Mapped[str] = mapped_column(String(40), ForeignKey("recovery_cases.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class StripeEvent(Base):
    """A Stripe event already handled: a replay of its id changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CardPayment(Base):
    """One Stripe payment intent: recorded once, refunded once, whatever the events' order."""

    __tablename__ = "card_payments"

    payment_intent: Mapped[str] = mapped_column(String(255), primary_key=True)
    recovery_case_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    payment_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    disputed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
