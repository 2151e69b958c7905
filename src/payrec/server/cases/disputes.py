"""Disputes: a customer contests a case; contact stops until someone resolves it.

Opening one moves the case to DISPUTED through the normal status change (every waiting
contact cancelled; a pending promise is cancelled with it). Resolving it (`domain.
case_actions.resolve_dispute`): RESUME goes back to the open status and re-plans the steps
the dispute cancelled; WRITE_OFF closes the case with the note as its reason; CREDIT lowers
the amount (the case resolves when that leaves nothing owing, else resumes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from payrec.domain.case_actions import PromiseStatus, resolve_dispute, resume_status
from payrec.domain.cases import is_terminal
from payrec.domain.money import quantize
from payrec.domain.states import CaseStatus
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cases import promises, repository
from payrec.server.cases import service as cases
from payrec.server.cases.holds import local_today, reopen
from payrec.server.cases.schemas import CaseUpdate
from payrec.server.errors import Conflict, NotFound
from payrec.server.events.service import case_data, emit
from payrec.server.models import Dispute, RecoveryCase


def listing(session: Session, case_id: str) -> Sequence[Dispute]:
    cases.get(session, case_id)
    return repository.disputes_of(session, case_id)


def open_dispute(
    session: Session, case_id: str, *, reason: str, text: str | None, actor: Actor
) -> Dispute:
    case = cases.get(session, case_id, for_update=True)
    if is_terminal(case.status):
        raise Conflict(f"case is {case.status}; there is nothing to dispute", code="case-closed")
    if case.status == CaseStatus.DISPUTED:
        raise Conflict("case already has an open dispute", code="dispute-open")
    dispute = Dispute(
        recovery_case_id=case.id,
        reason=reason,
        text=text,
        status="OPEN",
        status_before=case.status,
        opened_by=actor.name,
    )
    session.add(dispute)
    session.flush()
    pending = promises.pending_of(session, case.id)
    if pending is not None:
        promises.settle(session, pending, PromiseStatus.CANCELLED, actor, reason="disputed")
        case.promise_due = None
    cases.update(session, case.id, CaseUpdate(status="DISPUTED"), actor, locked=case)
    case.paused_until = None
    session.flush()
    record_change(
        session,
        actor,
        "dispute.opened",
        dispute,
        after={"reason": reason, "text": text, "statusBefore": dispute.status_before},
    )
    emit(session, "dispute.opened", case_data(case, disputeId=dispute.id, reason=reason))
    return dispute


def resolve(
    session: Session,
    case_id: str,
    dispute_id: str,
    *,
    outcome: str,
    amount: Decimal | None,
    note: str,
    actor: Actor,
    may_write_off: bool = False,
) -> tuple[Dispute, RecoveryCase]:
    """Resolve an open dispute; a WRITE_OFF needs a caller who may write off (an ADMIN)."""
    case = cases.get(session, case_id, for_update=True)
    dispute = session.get(Dispute, dispute_id)
    if dispute is None or dispute.recovery_case_id != case.id:
        raise NotFound("dispute", dispute_id)
    if dispute.status != "OPEN":
        raise Conflict(f"dispute was already resolved ({dispute.outcome})", code="dispute-resolved")
    if case.status != CaseStatus.DISPUTED:
        raise Conflict(f"case is {case.status}, not DISPUTED", code="case-not-disputed")
    if amount is not None:
        amount = Decimal(str(cases.validated_amount(amount, case.currency)))
    reopen_as = resume_status(case.due_date, local_today(session, case), case.last_reminder_sent_at)
    result = resolve_dispute(
        outcome, amount=case.amount, paid=case.amount_paid, credit=amount, reopen_status=reopen_as
    )
    before = cases.snapshot(case)
    dispute.status = "RESOLVED"
    dispute.outcome = outcome
    dispute.amount = amount
    dispute.resolution_note = note
    dispute.resolved_by = actor.name
    dispute.resolved_at = datetime.now(UTC)
    case.amount = result.amount
    if result.status == reopen_as:
        reopen(session, case, actor, reason=f"dispute resolved: {outcome}")
    else:  # closed: written off, or nothing left owing after the credit
        cases.update(
            session,
            case.id,
            CaseUpdate(status=result.status),
            actor,
            locked=case,
            may_write_off=may_write_off,
            reason=note if result.status == CaseStatus.WRITTEN_OFF else None,
        )
    session.flush()
    record_change(
        session,
        actor,
        "dispute.resolved",
        dispute,
        before=before,
        after={
            **cases.snapshot(case),
            "outcome": outcome,
            "credit": None if amount is None else quantize(amount, case.currency),
            "note": note,
        },
    )
    emit(session, "dispute.resolved", case_data(case, disputeId=dispute.id, outcome=outcome))
    return dispute, case
