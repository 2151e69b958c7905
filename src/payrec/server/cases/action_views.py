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
    return PromiseOut.from_row(
        promise,
        amount=None if promise.amount is None else quantize(promise.amount, currency),
        target=quantize(promise.target, currency),
    )


def dispute_out(dispute: Dispute, currency: str) -> DisputeOut:
    return DisputeOut.from_row(
        dispute, amount=None if dispute.amount is None else quantize(dispute.amount, currency)
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
