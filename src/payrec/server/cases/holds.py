"""Holding a case (a pause until a date) and taking contact up again (resume).

A pause moves the case to PAUSED through the normal status change (which cancels every
contact still waiting) and remembers when it ends: the start of the `until` day in the
customer's zone. Resuming, by hand or when that moment passes (`due_check`), moves the case
back to the open status it would have (`domain.case_actions.resume_status`) and hands the
steps the pause cancelled back to the scheduler (`replan.release_steps`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from payrec.domain.case_actions import check_pause_until, resume_status
from payrec.domain.states import CaseStatus
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cases import repository
from payrec.server.cases import service as cases
from payrec.server.cases.replan import release_steps
from payrec.server.cases.schemas import CaseUpdate
from payrec.server.errors import Conflict
from payrec.server.models import Customer, RecoveryCase


def zone_of(session: Session, case: RecoveryCase) -> ZoneInfo:
    """The customer's time zone (UTC when it is unknown)."""
    customer = session.get(Customer, case.customer_id)
    try:
        return ZoneInfo(str(customer.timezone if customer is not None else "UTC") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(session: Session, case: RecoveryCase, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone_of(session, case)).date()


def pause(session: Session, case_id: str, until: date, reason: str, actor: Actor) -> RecoveryCase:
    """Pause a case until the start of `until` (customer's zone), or until a pending
    promise breaks if that is later; pausing a paused case moves its end. A disputed case is
    held by its dispute; a closed one cannot be paused."""
    case = cases.get(session, case_id, for_update=True)
    if case.status == CaseStatus.DISPUTED:
        raise Conflict("case is DISPUTED; resolve the dispute instead", code="case-disputed")
    tz = zone_of(session, case)
    check_pause_until(until, datetime.now(UTC).astimezone(tz).date())
    before = {"status": case.status, "pausedUntil": case.paused_until}
    cases.update(session, case.id, CaseUpdate(status="PAUSED"), actor, locked=case)
    ends = datetime.combine(until, time(0, 0), tzinfo=tz).astimezone(UTC)
    promise = repository.pending_promise(session, case.id)
    if promise is not None and promise.breaks_at > ends:
        ends = promise.breaks_at  # a shorter pause does not lift a promise's hold early
    case.paused_until = ends
    session.flush()
    record_change(
        session,
        actor,
        "case.paused",
        case,
        before=before,
        after={"status": case.status, "pausedUntil": case.paused_until, "reason": reason},
    )
    return case


def resume(session: Session, case_id: str, actor: Actor, *, reason: str) -> RecoveryCase:
    """Take contact up again on a paused case (409 when it is not paused)."""
    case = cases.get(session, case_id, for_update=True)
    if case.status != CaseStatus.PAUSED:
        raise Conflict(f"case is {case.status}, not PAUSED", code="case-not-paused")
    reopen(session, case, actor, reason=reason)
    return case


def reopen(
    session: Session, case: RecoveryCase, actor: Actor, *, reason: str, release: bool = True
) -> str:
    """Move a held (PAUSED or DISPUTED) case back to its open status, release the steps the
    hold cancelled (unless `release` is False: a broken promise sends its own e-mail in their
    place), and record it; the caller holds the case's lock. Returns the status."""
    before = {"status": case.status, "pausedUntil": case.paused_until}
    status = resume_status(case.due_date, local_today(session, case), case.last_reminder_sent_at)
    cases.update(session, case.id, CaseUpdate(status=status), actor, locked=case)
    case.paused_until = None
    released = release_steps(session, case, actor, reason=reason, waiting=False) if release else 0
    record_change(
        session,
        actor,
        "case.resumed",
        case,
        before=before,
        after={"status": status, "reason": reason, "stepsReleased": released},
    )
    session.flush()
    return status
