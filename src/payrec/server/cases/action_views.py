"""Promises and disputes as the API shows them (the action endpoints and the case detail)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from payrec.domain.money import quantize
from payrec.server.cases import disputes, promises
from payrec.server.cases.action_schemas import DisputeOut, PromiseOut
from payrec.server.models import Dispute, Promise


def promise_out(promise: Promise) -> PromiseOut:
    currency = promise.currency
    return PromiseOut(
        id=promise.id,
        recovery_case_id=promise.recovery_case_id,
        promised_date=promise.promised_date,
        amount=None if promise.amount is None else quantize(promise.amount, currency),
        target=quantize(promise.target, currency),
        currency=currency,
        grace_days=promise.grace_days,
        deadline=promise.deadline,
        breaks_at=promise.breaks_at,
        status=promise.status,
        note=promise.note,
        created_by=promise.created_by,
        created_at=promise.created_at,
        settled_at=promise.settled_at,
    )


def dispute_out(dispute: Dispute, currency: str) -> DisputeOut:
    return DisputeOut(
        id=dispute.id,
        recovery_case_id=dispute.recovery_case_id,
        reason=dispute.reason,
        text=dispute.text,
        status=dispute.status,
        status_before=dispute.status_before,
        outcome=dispute.outcome,
        amount=None if dispute.amount is None else quantize(dispute.amount, currency),
        resolution_note=dispute.resolution_note,
        opened_by=dispute.opened_by,
        resolved_by=dispute.resolved_by,
        created_at=dispute.created_at,
        resolved_at=dispute.resolved_at,
    )


def timeline_extras(session: Session, case_id: str, currency: str) -> dict[str, Any]:
    """The case detail's promises and disputes (`timeline.case_detail`)."""
    return {
        "promises": [
            promise_out(p).model_dump(mode="python", by_alias=True)
            for p in promises.listing(session, case_id)
        ],
        "disputes": [
            dispute_out(d, currency).model_dump(mode="python", by_alias=True)
            for d in disputes.listing(session, case_id)
        ],
    }
