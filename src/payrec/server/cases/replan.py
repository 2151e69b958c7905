"""Handing a case's steps back to the scheduler: a resumed case, or one whose due date or
policy changed, gets the steps that were cancelled (or are still waiting) planned again.

The scheduler keeps at most one task per (case, step key) and plans only the steps without
one. Releasing a step renames the key of its cancelled task (`key~task-id`: the task stays on
the record, cancelled, with its reason) so that the next scheduler pass plans the step anew
from the case as it now stands: at its time if it lies ahead, or as a catch-up (as the
policy's `catchUp` says, `domain.schedule.due_steps`) if it is due already.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cancellation import cancel_task
from payrec.server.cases import repository
from payrec.server.models import RecoveryCase

RELEASED = "~"
"""Separates a released step key from the id of the task that held it."""
STOPPED_BY = ("case PAUSED", "case DISPUTED", "case settled by payment")
"""The reasons `stop_contact` gives the tasks it cancels when a case is paused, disputed or
settled (a reversed payment re-opens a settled case)."""


def release_steps(
    session: Session, case: RecoveryCase, actor: Actor, *, reason: str, waiting: bool
) -> int:
    """Release the steps a pause or a dispute cancelled; with `waiting`, also cancel and
    release the steps still PENDING (their times followed the old due date or policy). Steps
    that ran (sent, failed, running) stay. Returns how many were released. The caller holds
    the case's lock."""
    tasks = repository.keyed_tasks(
        session, case.id, ["PENDING", "CANCELLED"] if waiting else ["CANCELLED"]
    )
    released: list[str] = []
    for task in tasks:
        key = str(task.dedupe_key)
        if RELEASED in key:
            continue
        if task.status == "PENDING":
            cancel_task(session, task, actor, reason)
        elif not waiting and task.last_error not in STOPPED_BY:
            continue  # superseded or skipped by the scheduler's own decision: it stands
        task.dedupe_key = f"{key}{RELEASED}{task.id}"[:200]
        released.append(key)
    if released:
        record_change(
            session, actor, "case.steps_released", case, after={"steps": released, "reason": reason}
        )
    session.flush()
    return len(released)
