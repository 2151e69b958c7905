"""A customer's statement: all their cases and what is owed, per currency."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from payrec.domain.money import quantize
from payrec.domain.statement import StatementLine, totals
from payrec.server.customers import repository
from payrec.server.customers.schemas import CustomerStatement, StatementCase, StatementTotal
from payrec.server.customers.service import get, to_out


def statement(session: Session, customer_id: str, *, today: date) -> CustomerStatement:
    customer = get(session, customer_id)
    rows = repository.cases_of(session, customer.id)
    lines = [StatementLine(c.currency, c.amount, c.amount_paid, c.due_date, c.status) for c in rows]
    return CustomerStatement(
        customer=to_out(customer),
        as_of=today,
        totals=[
            StatementTotal(
                currency=t.currency,
                cases=t.cases,
                open_cases=t.open_cases,
                amount=t.amount,
                amount_paid=t.paid,
                amount_outstanding=t.outstanding,
                amount_overdue=t.overdue,
            )
            for t in totals(lines, today=today)
        ],
        cases=[
            StatementCase(
                id=c.id,
                invoice_number=c.invoice_number,
                amount=quantize(c.amount, c.currency),
                amount_paid=quantize(c.amount_paid, c.currency),
                amount_outstanding=quantize(c.outstanding, c.currency),
                currency=c.currency,
                due_date=c.due_date,
                status=c.status,
                priority=c.priority,
                created_at=c.created_at,
            )
            for c in rows
        ],
    )
