"""Report wire shapes: money as exact JSON numbers with the currency's minor units."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from payrec.server.types import ExactNumber, OutModel

BucketName = Literal["current", "1-30", "31-60", "61-90", "90+"]

DEFINITIONS: dict[str, str] = {
    "population": (
        "recovery cases created on or before asOf (and whose invoice was issued on or after "
        "`from` when given); payments count when received on or before asOf (UTC days)"
    ),
    "outstanding": (
        "amount minus payments received by asOf, for cases not RESOLVED or WRITTEN_OFF by "
        "asOf; every case created by asOf counts, whatever `from` says. Where a late-charge "
        "scheme applies: the total due, i.e. the principal left after the scheme's allocation "
        "order (costs, interest, then principal by default) plus the late charges left"
    ),
    "aging": (
        "outstanding amounts by days past due on asOf: current (not yet due), 1-30, 31-60, "
        "61-90, 90+"
    ),
    "billed": (
        "sum of the amounts of the cases in the population, each billed on its invoice's "
        "issueDate (a case opened without one: the earlier of its creation day and due date)"
    ),
    "amountRecovered": "payments received by asOf on the cases in the population",
    "recoveryRate": "amountRecovered / billed, 4 decimal places; null when nothing was billed",
    "amountWrittenOff": (
        "unpaid principal of population cases WRITTEN_OFF by asOf (after the late-charge "
        "allocation where a scheme applies)"
    ),
    "byPolicyStep": (
        "outstanding cases and amounts by the furthest policy step carried out for them by "
        "asOf (a COMPLETED step task); stepIndex null when no step has been carried out yet"
    ),
    "byCollector": (
        "outstanding cases and amounts by the user each case is assigned to now "
        "(assigneeUserId null: unassigned)"
    ),
    "promises": (
        "promises to pay taken by asOf, by their status now: KEPT, BROKEN or PENDING"
    ),
    "daysSalesOutstanding": (
        "outstanding / billedLast90Days x 90, one decimal place; billedLast90Days is the sum "
        "of the amounts of cases whose invoice was issued in the 90 days ending on asOf; null "
        "when zero"
    ),
}


class Bucket(OutModel):
    bucket: BucketName
    min_days_past_due: int | None
    max_days_past_due: int | None
    count: int
    amount: ExactNumber


class Total(OutModel):
    count: int
    amount: ExactNumber


class StepFigure(OutModel):
    """Open cases whose furthest carried-out step is this one (`stepIndex` null: none yet)."""

    policy_id: str | None
    step_index: int | None
    channel: str | None
    offset_days: int | None
    count: int
    amount: ExactNumber


class CollectorFigure(OutModel):
    """Open cases assigned to this user (`assigneeUserId` null: nobody)."""

    assignee_user_id: str | None
    count: int
    amount: ExactNumber


class PromiseFigures(OutModel):
    kept: int = 0
    broken: int = 0
    pending: int = 0


class CurrencySummary(OutModel):
    currency: str
    cases: int
    aging: list[Bucket]
    outstanding: Total
    billed: ExactNumber
    amount_recovered: ExactNumber
    recovery_rate: ExactNumber | None
    amount_written_off: ExactNumber
    billed_last_90_days: ExactNumber
    days_sales_outstanding: ExactNumber | None
    by_policy_step: list[StepFigure] = Field(default_factory=list)
    by_collector: list[CollectorFigure] = Field(default_factory=list)
    promises: PromiseFigures = Field(default_factory=PromiseFigures)


class Summary(OutModel):
    as_of: date
    from_: date | None = Field(default=None, alias="from")
    generated_at: datetime
    currencies: list[CurrencySummary]
    definitions: dict[str, str]
