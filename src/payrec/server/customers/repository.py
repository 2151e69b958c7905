"""Customer queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payrec.server.models import Customer


def get(session: Session, customer_id: str) -> Customer | None:
    return session.get(Customer, customer_id)


def page(
    session: Session, *, offset: int, limit: int, email: str | None
) -> tuple[Sequence[Customer], int]:
    conditions = [Customer.email == email] if email else []
    total = session.scalar(select(func.count()).select_from(Customer).where(*conditions)) or 0
    rows = session.scalars(
        select(Customer)
        .where(*conditions)
        .order_by(Customer.created_at, Customer.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def by_email(session: Session, email: str) -> Customer | None:
    return session.scalar(
        select(Customer).where(func.lower(Customer.email) == email.lower()).limit(1)
    )


def by_name(session: Session, name: str) -> Customer | None:
    return session.scalar(
        select(Customer).where(func.lower(Customer.name) == name.lower()).limit(1)
    )


def by_phone_digits(session: Session, digits: str) -> Sequence[Customer]:
    """Customers whose phone number has these digits (for inbound SMS opt-outs)."""
    rows = session.scalars(select(Customer).where(Customer.phone.is_not(None))).all()
    return [c for c in rows if c.phone and "".join(ch for ch in c.phone if ch.isdigit()) == digits]
