"""A claim as the automation API answers it: the leased tasks with what `include` asks for.

`tasks.service.claim` leases; this module adds each task's case (`recoveryCase`) and its
reminder recorded in the same transaction (`reminder`). It sits above the task, case and
reminder services, so none of them needs to import another in a circle.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.cases import repository as cases
from payrec.server.cases.service import row_to_wire as case_to_wire
from payrec.server.charges import service as late_charges
from payrec.server.reminders import claimed as reminders
from payrec.server.tasks import contact_plan, service
from payrec.server.tasks.schemas import TaskClaim


def claim(
    session: Session,
    data: TaskClaim,
    actor: Actor,
    *,
    link_template: str,
) -> list[dict[str, Any]]:
    """Lease due tasks (`tasks.service.claim`) and attach what `data.include` names."""
    claimed = service.claim(session, data, actor)
    if not claimed:
        return []
    if "recoveryCase" in data.include:
        _attach_cases(session, claimed)
    if "reminder" in data.include:
        contact_plan.fold_at_claim(session, claimed, actor)
        reminders.attach(session, claimed, actor, link_template=link_template)
    return claimed


def _attach_cases(session: Session, claimed: list[dict[str, Any]]) -> None:
    ids = sorted({str(t["recoveryCaseId"]) for t in claimed if t["recoveryCaseId"]})
    by_id = {row[0]: case_to_wire(row) for row in cases.wire_rows_by_id(session, ids)}
    late_charges.annotate_wire(session, list(by_id.values()))  # as GET /recovery-cases/{id}
    for task in claimed:
        if task["recoveryCaseId"]:
            task["recoveryCase"] = by_id.get(task["recoveryCaseId"])
