"""Late-charge queries: a page of cases' payments, sent steps and waivers in one query each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from payrec.server.models import (
    ChargeWaiver,
    Customer,
    Payment,
    Policy,
    RecoveryCase,
    ReferenceRateRow,
    Reminder,
)


def payments_of(session: Session, case_ids: Sequence[str]) -> dict[str, list[tuple[date, Decimal]]]:
    found: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    if case_ids:
        rows = session.execute(
            select(Payment.recovery_case_id, Payment.received_at, Payment.amount)
            .where(Payment.recovery_case_id.in_(case_ids))
            .order_by(Payment.received_at, Payment.id)
        )
        for case_id, received_at, amount in rows:
            found[case_id].append((received_at.date(), amount))
    return found


def sent_steps_of(session: Session, case_ids: Sequence[str]) -> dict[str, list[date]]:
    found: dict[str, list[date]] = defaultdict(list)
    if case_ids:
        rows = session.execute(
            select(Reminder.recovery_case_id, Reminder.sent_at).where(
                Reminder.recovery_case_id.in_(case_ids),
                Reminder.status == "SENT",
                Reminder.sent_at.is_not(None),
            )
        )
        for case_id, sent_at in rows:
            if sent_at is not None:
                found[case_id].append(sent_at.date())
    return found


def waivers_of(session: Session, case_ids: Sequence[str]) -> dict[str, list[ChargeWaiver]]:
    found: dict[str, list[ChargeWaiver]] = defaultdict(list)
    if case_ids:
        for row in session.scalars(
            select(ChargeWaiver)
            .where(ChargeWaiver.recovery_case_id.in_(case_ids))
            .order_by(ChargeWaiver.created_at)
        ):
            found[row.recovery_case_id].append(row)
    return found


def customer_terms(
    session: Session, customer_ids: Sequence[str]
) -> dict[str, tuple[Any, bool, str | None]]:
    """(late_charges, is_business, policy_id) per customer."""
    if not customer_ids:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.late_charges, Customer.is_business, Customer.policy_id).where(
            Customer.id.in_(customer_ids)
        )
    )
    return {cid: (late, bool(business), policy) for cid, late, business, policy in rows}


def customer_terms_of_cases(
    session: Session, case_ids: Sequence[str]
) -> dict[str, tuple[Any, bool, str | None]]:
    """`customer_terms` of the customers of these cases, in one query."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.late_charges, Customer.is_business, Customer.policy_id)
        .join(RecoveryCase, RecoveryCase.customer_id == Customer.id)
        .where(RecoveryCase.id.in_(case_ids))
        .distinct()
    )
    return {cid: (late, bool(business), policy) for cid, late, business, policy in rows}


def policy_definitions(session: Session, policy_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not policy_ids:
        return {}
    rows = session.execute(select(Policy.id, Policy.definition).where(Policy.id.in_(policy_ids)))
    return {pid: definition for pid, definition in rows}


def added_rates(session: Session) -> list[ReferenceRateRow]:
    return list(session.scalars(select(ReferenceRateRow).order_by(ReferenceRateRow.valid_from)))


def added_rate(session: Session, reference: str, valid_from: date) -> ReferenceRateRow | None:
    return session.scalar(
        select(ReferenceRateRow).where(
            ReferenceRateRow.reference == reference, ReferenceRateRow.valid_from == valid_from
        )
    )


def cases_with_charges(
    session: Session, policy_ids: Sequence[str], default_on: bool
) -> list[tuple[RecoveryCase, str | None]]:
    """Cases whose late-charge scheme may be on: their own policy or their customer's is one
    of `policy_ids`, their customer overrides the scheme, or (with `default_on`) they fall
    back to the default policy. With the customer's policy id."""
    own = RecoveryCase.policy_id.in_(policy_ids) if policy_ids else false()
    by_customer = and_(
        RecoveryCase.policy_id.is_(None),
        Customer.policy_id.in_(policy_ids) if policy_ids else false(),
    )
    fallback = (
        and_(RecoveryCase.policy_id.is_(None), Customer.policy_id.is_(None))
        if default_on
        else false()
    )
    rows = session.execute(
        select(RecoveryCase, Customer.policy_id)
        .join(Customer, Customer.id == RecoveryCase.customer_id)
        .where(or_(own, by_customer, fallback, Customer.late_charges.is_not(None)))
        .order_by(RecoveryCase.id)
    )
    return [(case, policy_id) for case, policy_id in rows]


def policies_with_late_charges(session: Session) -> dict[str, dict[str, Any]]:
    return {
        pid: d
        for pid, d in session.execute(select(Policy.id, Policy.definition))
        if isinstance(d, dict) and d.get("lateCharges")
    }
