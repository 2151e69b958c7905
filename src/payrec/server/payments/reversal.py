"""Reversing a payment (a bounced transfer, a refund, a chargeback): the case owes it again,
a RESOLVED case re-opens and its steps are planned anew, the reason is on the timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.domain.allocation import Allocation, reverse
from payrec.domain.cases import opening_status
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cases import service as cases
from payrec.server.cases.replan import release_steps
from payrec.server.charges import service as late_charges
from payrec.server.customers import service as customers
from payrec.server.errors import Conflict, NotFound
from payrec.server.events.service import case_data, emit
from payrec.server.models import CustomerCredit, Payment
from payrec.server.payments.schemas import PaymentReceipt
from payrec.server.payments.service import to_out
from payrec.server.templates.rendering import local_today


def reverse_payment(session: Session, payment_id: str, reason: str, actor: Actor) -> PaymentReceipt:
    found = session.get(Payment, payment_id)
    if found is None:
        raise NotFound("payment", payment_id)
    case = cases.get(session, found.recovery_case_id, for_update=True)  # lock order: case first
    payment = session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
    assert payment is not None
    if payment.reversed_at is not None:
        raise Conflict(f"payment {payment_id} was reversed already", code="payment-reversed")
    if case.status == "WRITTEN_OFF":
        raise Conflict(
            "the case is WRITTEN_OFF; re-open it before reversing its payments", code="case-closed"
        )
    before = cases.snapshot(case)
    credit = session.scalar(
        select(CustomerCredit).where(CustomerCredit.payment_id == payment.id).with_for_update()
    )
    credit_left = credit.remaining if credit else payment.surplus
    paid, left = reverse(case.amount_paid, credit_left, Allocation(payment.amount, payment.surplus))
    withdrawn = credit_left - left
    case.amount_paid = paid
    if credit is not None:
        credit.remaining = left
        if left == 0:
            credit.status = "REVERSED"
        credit.reason = f"payment reversed: {reason}"[:500]
    payment.reversed_at, payment.reversal_reason = datetime.now(UTC), reason
    released = 0
    session.flush()
    if case.status == "RESOLVED" and not late_charges.settled(session, case):
        case.status = opening_status(
            case.due_date, local_today(customers.get(session, case.customer_id).timezone)
        )
        case.resolved_at = None
        released = release_steps(
            session, case, actor, reason=f"payment reversed: {reason}", waiting=False
        )
    session.flush()
    record_change(
        session,
        actor,
        "payment.reversed",
        payment,
        before=before,
        after={
            **cases.snapshot(case),
            "reason": reason,
            "restored": payment.amount,
            "creditWithdrawn": withdrawn,
            "stepsReplanned": released,
        },
    )
    emit(session, "payment.reversed", case_data(case, paymentId=payment.id, reason=reason))
    customer = customers.get(session, case.customer_id)
    return PaymentReceipt(
        payment=to_out(payment),
        case=cases.charged_out(session, [(case, customer)])[0],
        cancelled={"tasks": 0, "notifications": 0, "reminders": 0},
        credit_id=credit.id if credit else None,
    )
