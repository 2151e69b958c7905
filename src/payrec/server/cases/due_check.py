"""The periodic check of held cases, run by every backend's sweeper (`server/app.py`).

Every few seconds each backend looks for promises whose time is up and pauses whose end has
passed, a batch at a time, and settles each case in its own transaction under the case's
lock: two backends sweeping at once meet on the lock, and the second finds nothing left to
do. Living in the backend, it needs no worker to run, and it uses the same services as the
API (a broken promise and a resumed pause are exactly what a collector's call would do).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from payrec.domain.states import CaseStatus
from payrec.server.actor import SYSTEM
from payrec.server.cases import promises
from payrec.server.cases import repository as case_repository
from payrec.server.cases.holds import reopen
from payrec.server.db import Database

logger = logging.getLogger("payrec.cases.due_check")
BATCH = 100


def settle_case(session: Session, case_id: str, now: datetime) -> bool:
    """Break or keep the case's due promise, then end its pause if that has passed."""
    case = case_repository.get(session, case_id, for_update=True)
    if case is None:
        return False
    changed = False
    promise = promises.pending_of(session, case.id)
    if promise is not None and promise.breaks_at <= now:
        changed = promises.check_due(session, promise, case, now)
    if (
        case.status == CaseStatus.PAUSED
        and case.paused_until is not None
        and case.paused_until <= now
    ):
        reopen(session, case, SYSTEM, reason="pause ended")
        changed = True
    return changed


def run(db: Database, now: datetime) -> int:
    """One sweep: every due case settled in a transaction of its own. Returns how many."""
    with db.read() as session:
        ids = case_repository.due_hold_case_ids(session, now, BATCH)
    done = 0
    for case_id in ids:
        try:
            with db.write() as session:
                done += settle_case(session, case_id, now)
        except Exception:  # one case that cannot be settled must not stop the others
            logger.exception("case %s: the due check failed", case_id)
    return done
