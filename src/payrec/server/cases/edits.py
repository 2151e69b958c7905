"""A person's edit of a case (`PATCH /recovery-cases/{id}`): the automation update's fields,
plus the amount, due date and policy, each with a reason, audited.

An amount is never below what was paid (equal settles the case); a new due date moves a
PENDING case to OVERDUE or back as a new case would open; a new due date or policy cancels
the steps still waiting and hands every step not yet run back to the scheduler
(`replan.release_steps`), which plans them from the case as it now stands.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from payrec.domain.case_actions import check_edited_amount
from payrec.domain.cases import is_terminal, opening_status, settled
from payrec.domain.states import CaseStatus
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cases import service as cases
from payrec.server.cases.holds import local_today
from payrec.server.cases.replan import release_steps
from payrec.server.cases.schemas import CaseEdit, CaseUpdate
from payrec.server.errors import Conflict, Invalid
from payrec.server.models import Policy, RecoveryCase

EDITED = ("amount", "due_date", "policy_id")


def edit(
    session: Session, case_id: str, data: CaseEdit, actor: Actor, *, may_write_off: bool = False
) -> RecoveryCase:
    case = cases.get(session, case_id, for_update=True)
    changes = {name for name in EDITED if name in data.model_fields_set}
    if changes:
        _apply(session, case, data, changes, actor)
    automation = CaseUpdate(
        status=data.status,
        priority=data.priority,
        last_reminder_sent_at=data.last_reminder_sent_at,
        notes=data.notes,
    )
    return cases.update(
        session,
        case.id,
        automation,
        actor,
        locked=case,
        may_write_off=may_write_off,
        reason=data.reason if data.status is not None else None,
    )


def _apply(
    session: Session, case: RecoveryCase, data: CaseEdit, changes: set[str], actor: Actor
) -> None:
    if not data.reason:
        raise Invalid("an edit of the amount, due date or policy needs a reason", field="reason")
    if is_terminal(case.status):
        raise Conflict(f"case is {case.status}; it cannot be edited", code="case-closed")
    before = cases.snapshot(case) | {"policyId": case.policy_id}
    if "amount" in changes:
        if data.amount is None:
            raise Invalid("amount cannot be removed", field="amount")
        amount = Decimal(str(cases.validated_amount(data.amount, case.currency)))
        check_edited_amount(amount, case.amount_paid)
        case.amount = amount
    if "due_date" in changes:
        if data.due_date is None:
            raise Invalid("dueDate cannot be removed", field="dueDate")
        case.due_date = data.due_date
        if case.status in (CaseStatus.PENDING, CaseStatus.OVERDUE):
            case.status = opening_status(data.due_date, local_today(session, case))
    if "policy_id" in changes:
        policy_id = data.policy_id
        if policy_id and policy_id != "policy-default" and session.get(Policy, policy_id) is None:
            raise Invalid("unknown policy", field="policyId")
        case.policy_id = policy_id
    session.flush()
    after = cases.snapshot(case) | {"policyId": case.policy_id}
    record_change(
        session, actor, "case.edited", case, before=before, after={**after, "reason": data.reason}
    )
    if settled(case.amount, case.amount_paid):
        cases.update(session, case.id, CaseUpdate(status="RESOLVED"), actor, locked=case)
    elif changes & {"due_date", "policy_id"} and before != after:
        release_steps(session, case, actor, reason=f"re-planned: {data.reason}", waiting=True)
