"""Recording payments: partial ones reduce the balance, the last one settles the case; with
`surplusAsCredit` an overpayment settles it and keeps the rest as the customer's credit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.domain.allocation import allocate
from payrec.domain.cases import is_terminal
from payrec.domain.money import quantize
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cases import promises
from payrec.server.cases import service as cases
from payrec.server.cases.settlement import stop_contact
from payrec.server.charges import service as late_charges
from payrec.server.customers import service as customers
from payrec.server.errors import Conflict, Invalid
from payrec.server.events.service import case_data, emit
from payrec.server.models import CustomerCredit, Payment
from payrec.server.payments.schemas import PaymentCreate, PaymentOut, PaymentReceipt


def to_out(payment: Payment) -> PaymentOut:
    return PaymentOut.from_row(
        payment,
        amount=quantize(payment.amount, payment.currency),
        surplus=quantize(payment.surplus or Decimal(0), payment.currency),
    )


def record_payment(
    session: Session, case_id: str, data: PaymentCreate, actor: Actor
) -> PaymentReceipt:
    case = cases.get(session, case_id, for_update=True)
    if is_terminal(case.status):
        raise Conflict(f"case is {case.status}; it takes no more payments", code="case-closed")
    if data.currency != case.currency:
        raise Invalid(
            f"payment currency {data.currency} differs from the case currency {case.currency}",
            field="currency",
        )
    amount = Decimal(str(cases.validated_amount(data.amount, data.currency)))
    owed = late_charges.owed(session, case)  # with late charges: principal and charges
    share = allocate(owed, amount)
    if share.surplus and not data.surplus_as_credit:
        raise Invalid(
            f"payment of {amount} {data.currency} exceeds the outstanding {owed} "
            f"{case.currency}; overpayments are refused unless surplusAsCredit is true",
            field="amount",
            code="overpayment",
        )
    if data.reference and session.scalar(
        select(Payment).where(
            Payment.recovery_case_id == case.id, Payment.reference == data.reference
        )
    ):
        raise Conflict(
            f"a payment with reference {data.reference!r} is already recorded",
            code="duplicate-payment",
        )
    before = cases.snapshot(case)
    payment = Payment(
        recovery_case_id=case.id,
        amount=share.applied,
        surplus=share.surplus,
        currency=data.currency,
        received_at=data.received_at or datetime.now(UTC),
        reference=data.reference,
    )
    session.add(payment)
    case.amount_paid = case.amount_paid + share.applied
    cancelled = {"tasks": 0, "notifications": 0, "reminders": 0}
    if late_charges.settled(session, case):  # with late charges on: nothing left at all
        case.status = "RESOLVED"
        case.resolved_at = datetime.now(UTC)
        cancelled = stop_contact(session, case, actor, reason="case settled by payment")
    session.flush()
    credit = None
    if share.surplus:
        credit = CustomerCredit(
            customer_id=case.customer_id,
            payment_id=payment.id,
            recovery_case_id=case.id,
            currency=case.currency,
            amount=share.surplus,
            remaining=share.surplus,
            status="AVAILABLE",
        )
        session.add(credit)
        session.flush()
    promises.after_payment(session, case, actor)
    record_change(
        session,
        actor,
        "payment.recorded",
        payment,
        before=before,
        after={
            **cases.snapshot(case),
            "payment": share.applied,
            **({"surplus": share.surplus, "credit": credit.id} if credit else {}),
        },
    )
    owes = late_charges.event_fields(session, case)  # chargesOutstanding, totalDue
    emit(session, "payment.recorded", case_data(case, paymentId=payment.id, payment=amount, **owes))
    if case.status == "RESOLVED":
        emit(session, "case.resolved", case_data(case, paymentId=payment.id, **owes))
    customer = customers.get(session, case.customer_id)
    return PaymentReceipt(
        payment=to_out(payment),
        case=cases.charged_out(session, [(case, customer)])[0],
        cancelled=cancelled,
        credit_id=credit.id if credit else None,
    )
