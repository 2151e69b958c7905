"""Customer credit queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.models import CustomerCredit


def for_customer(session: Session, customer_id: str) -> Sequence[CustomerCredit]:
    return session.scalars(
        select(CustomerCredit)
        .where(CustomerCredit.customer_id == customer_id)
        .order_by(CustomerCredit.created_at, CustomerCredit.id)
    ).all()


def locked(session: Session, credit_id: str) -> CustomerCredit | None:
    return session.scalar(
        select(CustomerCredit).where(CustomerCredit.id == credit_id).with_for_update()
    )
