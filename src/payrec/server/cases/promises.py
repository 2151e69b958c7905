"""Promises to pay: taken by a collector, kept by payments, broken by the periodic check.

A promise holds the case (PAUSED through the normal status change, so every waiting contact
is cancelled) until it breaks: the start of the day after the promised date plus the
policy's `promiseGraceDays`, in the customer's zone. A payment that brings in the promised
amount (or everything owed) keeps it: the case resolves when nothing is owed, otherwise
contact resumes for the rest. A promise broken resumes the ladder with the
`promise-broken` e-mail, planned at once inside the send window, in the place of the steps
the promise held (they stay cancelled; the later ones follow on their dates), and flags the
case (`brokenPromise`) so that the worklist ranks it first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from payrec.domain.case_actions import (
    PromiseStatus,
    check_promise,
    promise_breaks_at,
    promise_deadline,
    promise_status,
)
from payrec.domain.cases import is_contactable
from payrec.domain.money import quantize
from payrec.domain.policy import DunningPolicy
from payrec.domain.schedule import placer
from payrec.domain.states import CaseStatus
from payrec.server.actor import SYSTEM, Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cases import repository
from payrec.server.cases import service as cases
from payrec.server.cases.holds import local_today, reopen, zone_of
from payrec.server.cases.schemas import CaseUpdate
from payrec.server.events.service import emit, promise_data
from payrec.server.models import Customer, Promise, RecoveryCase
from payrec.server.policies import service as policies
from payrec.server.tasks import service as tasks
from payrec.server.tasks.schemas import TaskCreate

BROKEN_TEMPLATE = "promise-broken"


def case_policy(session: Session, case: RecoveryCase) -> DunningPolicy:
    """The policy the case follows: its own, else its customer's, else the default."""
    customer = session.get(Customer, case.customer_id)
    for policy_id in (case.policy_id, customer.policy_id if customer is not None else None):
        if policy_id:
            found = policies.find(session, policy_id)
            if found is not None:
                return found[0]
    return policies.get(session, policies.DEFAULT_ID)[0]


def pending_of(session: Session, case_id: str) -> Promise | None:
    return repository.pending_promise(session, case_id)


def listing(session: Session, case_id: str) -> Sequence[Promise]:
    cases.get(session, case_id)
    return repository.promises_of(session, case_id)


def create(
    session: Session,
    case_id: str,
    *,
    promised_date: date,
    amount: Decimal | None,
    note: str | None,
    actor: Actor,
) -> Promise:
    case = cases.get(session, case_id, for_update=True)
    if amount is not None:
        amount = Decimal(str(cases.validated_amount(amount, case.currency)))
    target = check_promise(
        status=case.status,
        promised=promised_date,
        today=local_today(session, case),
        amount=amount,
        owed=case.outstanding,
    )
    earlier = pending_of(session, case.id)
    if earlier is not None:
        settle(session, earlier, PromiseStatus.CANCELLED, actor, reason="a new promise")
    grace = case_policy(session, case).promise_grace_days
    promise = Promise(
        recovery_case_id=case.id,
        promised_date=promised_date,
        amount=amount,
        target=target,
        paid_before=case.amount_paid,
        currency=case.currency,
        grace_days=grace,
        deadline=promise_deadline(promised_date, grace),
        breaks_at=promise_breaks_at(promised_date, grace, zone_of(session, case)),
        status=PromiseStatus.PENDING.value,
        note=note,
        created_by=actor.name,
    )
    session.add(promise)
    session.flush()
    if case.status != CaseStatus.PAUSED:
        cases.update(session, case.id, CaseUpdate(status="PAUSED"), actor, locked=case)
    if case.paused_until is None or case.paused_until < promise.breaks_at:
        case.paused_until = promise.breaks_at
    case.promise_due = promised_date
    case.broken_promise_at = None
    session.flush()
    record_change(session, actor, "promise.created", promise, after=_audit_view(promise))
    emit(session, "promise.created", promise_data(case, promise))
    if note:
        cases.add_note(session, case, note, actor)
    return promise


def after_payment(session: Session, case: RecoveryCase, actor: Actor) -> None:
    """A payment was recorded on the (locked) case: a pending promise it fulfils is kept,
    and a case still owing leaves the promise's hold. Called by the payment service."""
    promise = pending_of(session, case.id)
    if promise is None:
        return
    if evaluate(promise, case, datetime.now(UTC)) is not PromiseStatus.KEPT:
        return
    settle(session, promise, PromiseStatus.KEPT, actor, reason="paid")
    case.promise_due = None
    case.broken_promise_at = None
    if case.status == CaseStatus.PAUSED and case.paused_until == promise.breaks_at:
        reopen(session, case, actor, reason="promise kept; the rest is still owed")


def evaluate(promise: Promise, case: RecoveryCase, now: datetime) -> PromiseStatus:
    return promise_status(
        promised_amount=promise.target,
        paid_since=case.amount_paid - promise.paid_before,
        owed=case.outstanding,
        breaks_at=promise.breaks_at,
        now=now,
    )


def check_due(session: Session, promise: Promise, case: RecoveryCase, now: datetime) -> bool:
    """The periodic check of one pending promise whose time is up (case locked by the
    caller): kept if the money came in, else broken. Returns whether it changed."""
    if promise.status != PromiseStatus.PENDING:
        return False
    status = evaluate(promise, case, now)
    if status is PromiseStatus.PENDING:
        return False
    if status is PromiseStatus.KEPT or case.status in (CaseStatus.RESOLVED, CaseStatus.WRITTEN_OFF):
        settle(session, promise, PromiseStatus.KEPT, SYSTEM, reason="paid")
        case.promise_due = None
        return True
    settle(session, promise, PromiseStatus.BROKEN, SYSTEM, reason="not paid in time")
    emit(session, "promise.broken", promise_data(case, promise))
    case.promise_due = None
    case.broken_promise_at = now
    if case.status == CaseStatus.PAUSED and case.paused_until == promise.breaks_at:
        reopen(session, case, SYSTEM, reason="promise broken", release=False)
    if is_contactable(case.status):
        _plan_broken_reminder(session, promise, case, now)
    session.flush()
    return True


def _plan_broken_reminder(
    session: Session, promise: Promise, case: RecoveryCase, now: datetime
) -> None:
    """The `promise-broken` e-mail, placed at the first moment inside the send window (one
    per promise: its step key is the promise's)."""
    customer = session.get(Customer, case.customer_id)
    if customer is None or not customer.email or customer.opt_out_email:
        cases.add_note(
            session, case, "Promise broken: no e-mail contact; the ladder resumes.", SYSTEM
        )
        return
    policy = case_policy(session, case)
    when = placer(policy, zone_of(session, case))(now)
    data = TaskCreate(
        type="REMINDER",
        scheduled_at=when,
        recovery_case_id=case.id,
        dedupe_key=f"promise-broken:{promise.id}",
        metadata={
            "reminderType": "EMAIL",
            "templateId": BROKEN_TEMPLATE,
            "policyId": policy.id,
            "promiseId": promise.id,
            "plannedAt": when.isoformat().replace("+00:00", "Z"),
        },
    )
    tasks.create(session, data, SYSTEM, default_max_attempts=5)


def settle(
    session: Session, promise: Promise, status: PromiseStatus, actor: Actor, *, reason: str
) -> None:
    before = {"status": promise.status}
    promise.status = status.value
    promise.settled_at = datetime.now(UTC)
    record_change(
        session,
        actor,
        f"promise.{status.value.lower()}",
        promise,
        before=before,
        after={"status": promise.status, "reason": reason},
    )


def _audit_view(promise: Promise) -> dict[str, object]:
    return {
        "promisedDate": promise.promised_date,
        "amount": None if promise.amount is None else quantize(promise.amount, promise.currency),
        "target": quantize(promise.target, promise.currency),
        "currency": promise.currency,
        "deadline": promise.deadline,
        "breaksAt": promise.breaks_at,
        "status": promise.status,
    }
