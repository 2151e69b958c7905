"""Bulk look-ups for one chunk of an import: one query per kind of key, never one per row."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, defer

from payrec.server.models import Customer, ImportJob, RecoveryCase


def get(session: Session, import_id: str, *, for_update: bool = False) -> ImportJob | None:
    """The job; locked (`for_update`, as each chunk takes it) without its file, which
    would otherwise be read again for every chunk (a 100k-row file 200 times)."""
    statement = select(ImportJob).where(ImportJob.id == import_id)
    if for_update:
        statement = statement.with_for_update().options(defer(ImportJob.content))
    return session.scalar(statement)


def customers_by_external_id(session: Session, ids: Collection[str]) -> dict[str, Customer]:
    if not ids:
        return {}
    rows = session.scalars(select(Customer).where(Customer.external_id.in_(list(ids))))
    return {c.external_id: c for c in rows if c.external_id}


def customers_by_name(session: Session, names: Collection[str]) -> dict[str, Customer]:
    """Customers without an external id by their name folded to lower case (first made)."""
    if not names:
        return {}
    rows = session.scalars(
        select(Customer)
        .where(func.lower(Customer.name).in_(list(names)), Customer.external_id.is_(None))
        .order_by(Customer.created_at, Customer.id)
    )
    found: dict[str, Customer] = {}
    for customer in rows:
        found.setdefault(" ".join(customer.name.lower().split()), customer)
    return found


def cases_by_external_id(session: Session, ids: Collection[str]) -> dict[str, RecoveryCase]:
    if not ids:
        return {}
    rows = session.scalars(select(RecoveryCase).where(RecoveryCase.external_id.in_(list(ids))))
    return {c.external_id: c for c in rows if c.external_id}


def cases_by_invoice(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], RecoveryCase]:
    """(customer id, invoice number) → its case: the open one, else the latest closed."""
    if not keys:
        return {}
    rows = session.scalars(
        select(RecoveryCase)
        .where(tuple_(RecoveryCase.customer_id, RecoveryCase.invoice_number).in_(list(keys)))
        .order_by(RecoveryCase.created_at, RecoveryCase.id)
    )
    found: dict[tuple[str, str], RecoveryCase] = {}
    for case in rows:
        key = (case.customer_id, case.invoice_number or "")
        current = found.get(key)
        if current is None or current.resolved_at is not None or case.resolved_at is None:
            found[key] = case
    return found
