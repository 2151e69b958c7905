"""A chunk's new rows written in bulk: the new customers in one Core `INSERT` (executemany),
the new cases in another, their audit entries in one executemany each and their
`case.created` events in one call, with the values `customers.create` and `cases.create`
give (a case's columns from `cases.case_values`, the constructor `cases.create` uses too).
The rows are already validated; duplicates and policies were looked up for the chunk."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from payrec.domain.imports.records import CustomerRow, InvoiceRow
from payrec.server.actor import Actor
from payrec.server.audit.service import record_many
from payrec.server.cases import service as cases
from payrec.server.customers import service as customers
from payrec.server.models import Customer, Policy, RecoveryCase
from payrec.server.models.base import new_id, utcnow
from payrec.server.models.customers import digits_of

_CUSTOMERS = cast(Table, Customer.__table__)
_CASES = cast(Table, RecoveryCase.__table__)


def known_policies(session: Session, rows: list[InvoiceRow]) -> set[str]:
    wanted = {r.policy_id for r in rows if r.policy_id and r.policy_id != "policy-default"}
    if not wanted:
        return {"policy-default"}
    return set(session.scalars(select(Policy.id).where(Policy.id.in_(wanted)))) | {"policy-default"}


def customer_values(row: CustomerRow) -> dict[str, Any]:
    """A new customer's columns, as `customers.create` fills them for the import's fields
    (`phone_digits` follows the phone, as the model's validator keeps it)."""
    now = utcnow()
    return {
        "id": new_id("cust"),
        "name": row.name,
        "external_id": row.external_id,
        "email": row.email,
        "phone": row.phone,
        "phone_digits": digits_of(row.phone or "") or None,
        "timezone": row.timezone,
        "locale": row.locale,
        "policy_id": None,
        "opt_out_email": False,
        "opt_out_sms": False,
        "is_business": False,
        "postal_address": None,
        "late_charges": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def case_values(row: InvoiceRow, customer_id: str, case_id: str) -> dict[str, Any]:
    values = cases.case_values(
        case_id=case_id,
        customer_id=customer_id,
        invoice_number=row.invoice_number,
        external_id=row.external_id,
        amount=row.amount,
        currency=row.currency,
        due_date=row.due_date,
        issue_date=row.issue_date,
        priority="MEDIUM",
        policy_id=row.policy_id,
    )
    now = utcnow()
    values.update(version=1, created_at=now, updated_at=now)
    return values


def insert_customers(session: Session, made: list[dict[str, Any]], actor: Actor) -> None:
    if not made:
        return
    _insert(session, _CUSTOMERS, made)
    record_many(
        session,
        actor,
        [
            {
                "action": "customer.created",
                "entity_type": "customer",
                "entity_id": values["id"],
                "after": customers.snapshot(_view(_CUSTOMERS, values)),
            }
            for values in made
        ],
    )


def insert_cases(session: Session, made: list[dict[str, Any]], actor: Actor) -> None:
    """After the customers they name (one statement each: no ORM unit of work to order)."""
    if not made:
        return
    _insert(session, _CASES, made)
    views = [_view(_CASES, values) for values in made]
    record_many(
        session,
        actor,
        [
            {
                "action": "case.created",
                "entity_type": "recovery_case",
                "entity_id": view.id,
                "case_id": view.id,
                "after": cases.snapshot(view),
            }
            for view in views
        ],
    )
    cases.announce_opened(session, views)


def _insert(session: Session, table: Table, made: list[dict[str, Any]]) -> None:
    """One executemany (psycopg sends it as a pipeline; multi-row VALUES through
    SQLAlchemy's insertmanyvalues measured slower here: psycopg parses each long statement)."""
    session.execute(insert(table), made)


def _view(table: Table, values: dict[str, Any]) -> Any:
    """A row as written read as attributes, as the snapshots and events read a model (the
    columns left out are NULL)."""
    return SimpleNamespace(**{**_NULLS[table.name], **values})


_NULLS = {table.name: dict.fromkeys(table.columns.keys()) for table in (_CUSTOMERS, _CASES)}


def merge_customer(values: dict[str, Any], row: CustomerRow) -> None:
    """A later row's values for a customer not written yet (an empty cell keeps the value)."""
    for name in ("name", "email", "timezone", "locale"):
        value = getattr(row, name)
        if value is not None:
            values[name] = value
    if row.phone is not None and row.phone != values["phone"]:
        values["phone"] = row.phone
        values["phone_digits"] = digits_of(row.phone) or None
