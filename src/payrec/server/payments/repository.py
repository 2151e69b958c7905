"""Payment queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.models import Payment


def for_case(session: Session, case_id: str) -> Sequence[Payment]:
    """A case's payments in the order they were received."""
    return session.scalars(
        select(Payment).where(Payment.recovery_case_id == case_id).order_by(Payment.received_at)
    ).all()
