"""Customer credits: an overpayment's surplus, applied to another open case of the same
customer (as a payment of that case) or refunded (marked, with the reason)."""

from __future__ import annotations

import secrets
from decimal import Decimal

from sqlalchemy.orm import Session

from payrec.domain.allocation import use_credit
from payrec.domain.money import quantize
from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.audit.subjects import record_change
from payrec.server.cases import service as cases
from payrec.server.charges import service as late_charges
from payrec.server.credits import repository
from payrec.server.credits.schemas import CreditApplied, CreditList, CreditOut
from payrec.server.customers import service as customers
from payrec.server.errors import Conflict, Invalid, NotFound
from payrec.server.models import CustomerCredit
from payrec.server.payments import service as payments
from payrec.server.payments.schemas import PaymentCreate


def to_out(credit: CustomerCredit) -> CreditOut:
    return CreditOut.from_row(
        credit,
        amount=quantize(credit.amount, credit.currency),
        remaining=quantize(credit.remaining, credit.currency),
    )


def list_for(session: Session, customer_id: str) -> CreditList:
    customers.get(session, customer_id)
    rows = repository.for_customer(session, customer_id)
    available: dict[str, Decimal] = {}
    for row in rows:
        if row.status == "AVAILABLE":
            available[row.currency] = available.get(row.currency, Decimal(0)) + row.remaining
    return CreditList(
        credits=[to_out(r) for r in rows],
        total=len(rows),
        available={c: quantize(a, c) for c, a in available.items()},
    )


def _available(session: Session, customer_id: str, credit_id: str) -> CustomerCredit:
    credit = repository.locked(session, credit_id)
    if credit is None or credit.customer_id != customer_id:
        raise NotFound("credit", credit_id)
    if credit.status != "AVAILABLE" or credit.remaining <= 0:
        raise Conflict(f"the credit is {credit.status}", code="credit-unavailable")
    return credit


def apply(
    session: Session, customer_id: str, credit_id: str, case_id: str, actor: Actor
) -> CreditApplied:
    """Pay `case_id` from the credit, up to what the case owes."""
    credit = _available(session, customer_id, credit_id)
    case = cases.get(session, case_id)
    if case.customer_id != customer_id:
        raise Invalid("the case belongs to another customer", field="recoveryCaseId")
    if case.currency != credit.currency:
        raise Invalid(
            f"the case is in {case.currency}, the credit in {credit.currency}",
            field="recoveryCaseId",
        )
    used = use_credit(credit.remaining, late_charges.owed(session, case))
    receipt = payments.record_payment(
        session,
        case_id,
        PaymentCreate(
            amount=used,
            currency=credit.currency,
            reference=f"credit:{credit.id}:{secrets.token_hex(3)}",
        ),
        actor,
    )
    credit.remaining = credit.remaining - used
    if credit.remaining == 0:
        credit.status = "USED"
    session.flush()
    record(
        session,
        actor,
        action="credit.applied",
        entity_type="credit",
        entity_id=credit.id,
        case_id=case_id,
        after={"used": used, "remaining": credit.remaining, "payment": receipt.payment.id},
    )
    return CreditApplied(credit=to_out(credit), receipt=receipt)


def refund(
    session: Session, customer_id: str, credit_id: str, reason: str, actor: Actor
) -> CreditOut:
    """The remaining credit was paid back to the customer (outside payrec): marked so."""
    credit = _available(session, customer_id, credit_id)
    refunded = credit.remaining
    credit.remaining, credit.status, credit.reason = Decimal(0), "REFUNDED", reason
    session.flush()
    record_change(
        session, actor, "credit.refunded", credit, after={"refunded": refunded, "reason": reason}
    )
    return to_out(credit)
