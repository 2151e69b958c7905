"""A customer's statement: all their cases and what is owed, per currency.

What a case owes is its late-charge computation (`charges.service.for_cases`, one call for
all the customer's cases): the principal left after the allocation order where a scheme
applies (payments pay costs, then interest, then principal), the charges left, and the
total due; with no scheme that is `amount - amountPaid` and no charges."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from payrec.domain.money import quantize
from payrec.domain.statement import StatementLine, totals
from payrec.server.charges import service as late_charges
from payrec.server.customers import repository
from payrec.server.customers.schemas import CustomerStatement, StatementCase, StatementTotal
from payrec.server.customers.service import get, to_out


def statement(session: Session, customer_id: str, *, today: date) -> CustomerStatement:
    customer = get(session, customer_id)
    rows = repository.cases_of(session, customer.id)
    owed = late_charges.for_cases(session, rows, {customer.id: customer.policy_id})
    lines = [
        StatementLine(
            c.currency,
            c.amount,
            c.amount_paid,
            c.due_date,
            c.status,
            principal_left=owed[c.id].principal_outstanding,
            charges_left=owed[c.id].outstanding,
        )
        for c in rows
    ]
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
                charges_outstanding=t.charges,
                total_due=quantize(t.total_due, t.currency),
            )
            for t in totals(lines, today=today)
        ],
        cases=[
            StatementCase(
                id=c.id,
                invoice_number=c.invoice_number,
                amount=quantize(c.amount, c.currency),
                amount_paid=quantize(c.amount_paid, c.currency),
                amount_outstanding=quantize(owed[c.id].principal_outstanding, c.currency),
                charges_outstanding=quantize(owed[c.id].outstanding, c.currency),
                total_due=quantize(owed[c.id].total_due, c.currency),
                currency=c.currency,
                due_date=c.due_date,
                status=c.status,
                priority=c.priority,
                created_at=c.created_at,
            )
            for c in rows
        ],
    )
