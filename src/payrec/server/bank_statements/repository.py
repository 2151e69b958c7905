"""Bank entry and matching queries."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payrec.domain.cases import OPEN
from payrec.server.models import BankEntry, Customer, RecoveryCase


def known_references(session: Session, references: Collection[str]) -> set[str]:
    """Which of these entry references are already imported (chunked IN lists)."""
    refs = list(references)
    found: set[str] = set()
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        found.update(session.scalars(select(BankEntry.reference).where(
            BankEntry.reference.in_(chunk))))
    return found


def cases_by_id(session: Session, case_ids: Collection[str]) -> Sequence[RecoveryCase]:
    if not case_ids:
        return []
    return session.scalars(select(RecoveryCase).where(RecoveryCase.id.in_(list(case_ids)))).all()


def open_cases_by_invoice(session: Session, tokens: Collection[str]) -> Sequence[RecoveryCase]:
    if not tokens:
        return []
    return session.scalars(
        select(RecoveryCase).where(
            RecoveryCase.invoice_number.in_(list(tokens)), RecoveryCase.status.in_(OPEN)
        )
    ).all()


def open_cases_of_payer(session: Session, name: str, limit: int = 50) -> Sequence[RecoveryCase]:
    """Open cases of the customers whose name is the debtor's (case-insensitive)."""
    if not name.strip():
        return []
    customers = select(Customer.id).where(func.lower(Customer.name) == name.strip().lower())
    return session.scalars(
        select(RecoveryCase)
        .where(RecoveryCase.customer_id.in_(customers), RecoveryCase.status.in_(OPEN))
        .order_by(RecoveryCase.due_date, RecoveryCase.id)
        .limit(limit)
    ).all()


def get(session: Session, entry_id: str, *, for_update: bool = False) -> BankEntry | None:
    query = select(BankEntry).where(BankEntry.id == entry_id)
    return session.scalar(query.with_for_update() if for_update else query)


def unmatched(session: Session, limit: int) -> Sequence[BankEntry]:
    return session.scalars(
        select(BankEntry)
        .where(BankEntry.status == "UNMATCHED")
        .order_by(BankEntry.created_at, BankEntry.id)
        .limit(limit)
    ).all()
