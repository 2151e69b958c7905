"""What an admin or collector changes about late charges: waivers, and reference rates added
for a half-year; and a case resolved once it owes nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from payrec.domain.cases import is_terminal
from payrec.domain.charges.compute import CaseCharges
from payrec.domain.charges.rates import check_rate
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cases.settlement import stop_contact
from payrec.server.charges import repository
from payrec.server.charges.schemas import RateCreate, RateList, RateOut, WaiverCreate, WaiverOut
from payrec.server.charges.service import charge_day, event_fields, for_case, rate_table, settled
from payrec.server.errors import Conflict, NotFound
from payrec.server.events.service import case_data, emit
from payrec.server.models import ChargeWaiver, RecoveryCase, ReferenceRateRow

__all__ = [
    "add_rate",
    "case_or_404",
    "list_rates",
    "resolve_if_settled",
    "waive",
    "waiver_out",
]


def waive(
    session: Session, case: RecoveryCase, body: WaiverCreate, actor: Actor
) -> tuple[ChargeWaiver, CaseCharges]:
    """Waive a kind of charge on the case from today on, with a reason (audited)."""
    before = for_case(session, case)
    if not before.applicable:
        raise Conflict("the case has no late charges to waive", code="no-late-charges")
    if any(w.kind == body.kind for w in repository.waivers_of(session, [case.id])[case.id]):
        raise Conflict(f"{body.kind} is already waived on this case", code="already-waived")
    waiver = ChargeWaiver(
        recovery_case_id=case.id,
        kind=body.kind,
        waived_on=charge_day(case),
        reason=body.reason.strip(),
        actor=actor.name,
    )
    session.add(waiver)
    session.flush()
    after = for_case(session, case)
    record_change(
        session,
        actor,
        "charges.waived",
        case,
        before={"chargesOutstanding": str(before.outstanding)},
        after={
            "kind": body.kind,
            "reason": waiver.reason,
            "waived": str(after.waived - before.waived),
            "chargesOutstanding": str(after.outstanding),
        },
    )
    return waiver, after


def waiver_out(waiver: ChargeWaiver) -> WaiverOut:
    return WaiverOut(
        id=waiver.id,
        case_id=waiver.recovery_case_id,
        kind=waiver.kind,
        waived_on=waiver.waived_on,
        reason=waiver.reason,
        actor=waiver.actor,
        created_at=waiver.created_at,
    )


def list_rates(session: Session, reference: str | None = None) -> RateList:
    rates = [r for r in rate_table(session).all() if reference in (None, r.reference)]
    return RateList(
        rates=[
            RateOut(
                reference=r.reference,
                valid_from=r.valid_from,
                rate=r.rate,
                source=r.source,
                shipped=r.shipped,
            )
            for r in rates
        ]
    )


def add_rate(session: Session, body: RateCreate, actor: Actor) -> RateOut:
    """An admin adds a half-year's rate (409 when that half-year already has one)."""
    check_rate(body.reference, body.valid_from, body.rate)
    if rate_table(session).get(body.reference, body.valid_from) is not None:
        raise Conflict(
            f"{body.reference} already has a rate from {body.valid_from}",
            code="reference-rate-exists",
        )
    row = ReferenceRateRow(
        reference=body.reference,
        valid_from=body.valid_from,
        rate=body.rate,
        source=body.source.strip(),
        created_by=actor.name,
    )
    session.add(row)
    session.flush()
    record_change(
        session,
        actor,
        "reference_rate.added",
        row,
        after={
            "reference": row.reference,
            "validFrom": row.valid_from.isoformat(),
            "rate": str(row.rate),
            "source": row.source,
        },
    )
    return RateOut(
        reference=row.reference,
        valid_from=row.valid_from,
        rate=row.rate,
        source=row.source,
        shipped=False,
    )


def case_or_404(session: Session, case_id: str) -> RecoveryCase:
    case = session.get(RecoveryCase, case_id)
    if case is None:
        raise NotFound("recovery case", case_id)
    return case


def resolve_if_settled(session: Session, case: RecoveryCase, actor: Actor) -> bool:
    """A case with a scheme on resolves once it owes nothing (principal and charges): after
    a payment, or a waiver of what was left. Returns whether it resolved now."""
    if is_terminal(case.status) or not settled(session, case):
        return False
    before = case.status
    case.status = "RESOLVED"
    case.resolved_at = datetime.now(UTC)
    stop_contact(session, case, actor, reason="case settled")
    record_change(
        session,
        actor,
        "case.resolved",
        case,
        before={"status": before},
        after={"status": "RESOLVED"},
    )
    emit(session, "case.resolved", case_data(case, **event_fields(session, case)))
    return True
