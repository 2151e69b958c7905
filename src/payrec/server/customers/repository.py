"""Customer queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from payrec.server.models import Customer, RecoveryCase
from payrec.server.pagination import count_and_page


def get(session: Session, customer_id: str) -> Customer | None:
    return session.get(Customer, customer_id)


def page(
    session: Session, *, offset: int, limit: int, email: str | None
) -> tuple[Sequence[Customer], int]:
    conditions = [Customer.email == email] if email else []
    order = (Customer.created_at, Customer.id)
    return count_and_page(session, Customer, conditions, order, offset=offset, limit=limit)


def by_email(session: Session, email: str) -> Customer | None:
    return session.scalar(BY_EMAIL, {"email": email.lower()})


def by_name(session: Session, name: str) -> Customer | None:
    return session.scalar(BY_NAME, {"name": name.lower()})


def by_phone_digits(session: Session, *variants: str) -> Sequence[Customer]:
    """Customers whose phone number has one of these digit strings (inbound SMS opt-outs)."""
    return session.scalars(BY_PHONE_DIGITS, {"variants": list(variants)}).all()


# Case-insensitive lookups, served by the `lower(...)` indexes (`ix_customers_*_lower`).
BY_EMAIL = select(Customer).where(func.lower(Customer.email) == bindparam("email")).limit(1)
BY_NAME = select(Customer).where(func.lower(Customer.name) == bindparam("name")).limit(1)
BY_PHONE_DIGITS = select(Customer).where(
    Customer.phone_digits.in_(bindparam("variants", expanding=True))
)


STATEMENT_LIMIT = 1000


def cases_of(session: Session, customer_id: str) -> Sequence[RecoveryCase]:
    """The customer's cases, latest due date first (at most STATEMENT_LIMIT)."""
    return session.scalars(
        select(RecoveryCase)
        .where(RecoveryCase.customer_id == customer_id)
        .order_by(RecoveryCase.due_date.desc(), RecoveryCase.id)
        .limit(STATEMENT_LIMIT)
    ).all()
