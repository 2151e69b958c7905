"""The fast path of a chunk: rows that open a new case (the bulk of a first import) are
written together, one flush for the new customers and one for the new cases, each with its
audit entry, exactly as `customers.create` and `cases.create` would write them (the rows
are already validated; duplicates and policies were looked up for the whole chunk)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.domain.imports.records import InvoiceRow
from payrec.server.actor import Actor
from payrec.server.audit.service import record_many
from payrec.server.cases import service as cases
from payrec.server.customers import service as customers
from payrec.server.models import Customer, Policy, RecoveryCase
from payrec.server.models.base import new_id


def known_policies(session: Session, rows: list[InvoiceRow]) -> set[str]:
    wanted = {r.policy_id for r in rows if r.policy_id and r.policy_id != "policy-default"}
    if not wanted:
        return {"policy-default"}
    return set(session.scalars(select(Policy.id).where(Policy.id.in_(wanted)))) | {
        "policy-default"
    }


def new_customers(
    session: Session, rows: list[InvoiceRow], known: dict[str, Customer], actor: Actor
) -> None:
    """Customers the chunk names that do not exist yet, added to `known`."""
    made: list[Customer] = []
    for row in rows:
        data = row.customer
        if data.key in known:
            continue
        customer = Customer(
            id=new_id("cust"),
            name=data.name,
            external_id=data.external_id,
            email=data.email,
            phone=data.phone,
            timezone=data.timezone,
            locale=data.locale,
            policy_id=None,
            opt_out_email=False,
            opt_out_sms=False,
        )
        known[data.key] = customer
        made.append(customer)
    if not made:
        return
    session.add_all(made)
    session.flush()  # before the cases that name them (no ORM relationship orders them)
    record_many(
        session,
        actor,
        [
            {"action": "customer.created", "entity_type": "customer", "entity_id": c.id,
             "after": customers.snapshot(c)}
            for c in made
        ],
    )


def new_cases(
    session: Session, rows: list[InvoiceRow], known: dict[str, Customer], actor: Actor
) -> list[RecoveryCase]:
    today = datetime.now(UTC).date()
    made: list[RecoveryCase] = []
    for row in rows:
        made.append(
            cases.new_case(
                customer_id=known[row.customer.key].id,
                invoice_number=row.invoice_number,
                external_id=row.external_id,
                amount=row.amount,
                currency=row.currency,
                due_date=row.due_date,
                issue_date=row.issue_date,
                priority="MEDIUM",
                policy_id=row.policy_id,
                today=today,
            )
        )
    session.add_all(made)
    session.flush()
    record_many(
        session,
        actor,
        [
            {"action": "case.created", "entity_type": "recovery_case", "entity_id": c.id,
             "case_id": c.id, "after": cases.snapshot(c)}
            for c in made
        ],
    )
    cases.announce_opened(session, made)
    return made
